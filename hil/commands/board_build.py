# SPDX-License-Identifier: MIT
"""`lgn board list` (the registry with each engine build's capacity), `lgn board build B`
(an engine bitstream) and `lgn board flash B` (program it)."""
from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from host.progress import log

FLASH_TOOL = "openFPGALoader"
INSTALL_FLASH_TOOL = "sudo apt install openfpgaloader (Debian/Ubuntu package)"


def register(bsub) -> None:
    from boards.registry import BOARDS
    from hil.cli import add_json_flag
    li = bsub.add_parser("list", help="the boards, each with its engine build's capacity")
    add_json_flag(li)
    li.set_defaults(func=run_list)

    b = bsub.add_parser("build", help="build a board's engine bitstream (ULX3S: yosys + nextpnr-ecp5)")
    b.add_argument("board", choices=list(BOARDS), metavar="BOARD", help=", ".join(BOARDS))
    b.add_argument("--out", help="output folder (default runs/board-BOARD)")
    b.add_argument("--baud", type=int, help="UART baud rate (default 3000000; 115200 as a fallback)")
    b.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    add_json_flag(b)
    b.set_defaults(func=run_build)

    f = bsub.add_parser("flash", help="program a board with its bitstream (openFPGALoader)")
    f.add_argument("board", choices=list(BOARDS), metavar="BOARD", help=", ".join(BOARDS))
    f.add_argument("--bit", help="bitstream (default: the one `lgn board build BOARD` wrote)")
    f.add_argument("--out", help="the build folder to take the bitstream from (default runs/board-BOARD)")
    f.add_argument("--write-flash", action="store_true",
                   help="write the SPI flash (kept over power cycles) instead of the FPGA's SRAM")
    f.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    add_json_flag(f)
    f.set_defaults(func=run_flash)


def run_list(args) -> dict:
    from boards.registry import BOARDS
    rows = [{"board": b.name, "device": b.part.device if b.part else "(Verilator)", "link": b.link,
             **b.capacity(), "url": b.url} for b in BOARDS.values()]
    if args.json:
        return {"boards": rows}
    cols = ["board", "device", "link", "clock_mhz", "gates", "inputs", "width", "layers", "classes",
            "lanes", "gates_per_clock", "url"]
    cells = [[f"{r[c]:g}" if isinstance(r[c], float) else str(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    for row in [cols] + cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return {}


def _out(args) -> Path:
    return Path(args.out or f"runs/board-{args.board}")


def run_build(args) -> dict:
    from boards.registry import get
    from hil.cli import UsageError
    board = get(args.board)
    if board.link == "sim":
        raise UsageError("the virtual board needs no bitstream: it is built with Verilator on first use")
    if board.link == "axi":
        raise UsageError("the PYNQ-Z2 bitstream is built with Vivado, which lgn does not run: "
                         "vivado -mode batch -source boards/pynq_z2/build.tcl -tclargs OUTDIR "
                         "(docs/boards/pynq-z2.md)")
    from boards import ulx3s
    from rtl.synth import SynthError
    try:
        rep = ulx3s.build(board, _out(args), baud=args.baud or ulx3s.DEFAULT_BAUD, seed=args.seed, progress=log)
    except SynthError as e:
        raise UsageError(str(e)) from None
    log(f"board build: {rep['bitstream']}: {rep['luts']} of {rep['part_luts']} LUT4, {rep['ffs']} FF, "
        f"{rep['brams']} of {rep['part_brams']} DP16KD; Fmax {rep['fmax_mhz']} MHz at a "
        f"{rep['clock_mhz']:g} MHz clock: timing {'met' if rep['timing_met'] else 'NOT met'}")
    problems = [p for ok, p in ((rep["timing_met"], "misses timing"),
                                (rep["fits"], f"exceeds the {board.part.device}'s capacity")) if not ok]
    if problems:
        from hil.checks import CheckFailed
        raise CheckFailed("the build " + " and ".join(problems), rep)
    return rep


def flash_command(bit: Path, write_flash: bool = False) -> list[str]:
    return [FLASH_TOOL, "--board", "ulx3s", *(["--write-flash"] if write_flash else []), str(bit)]


def run_flash(args) -> dict:
    from boards import ulx3s
    from boards.registry import get
    from hil.cli import UsageError
    board = get(args.board)
    if board.link != "uart":
        raise UsageError(f"{board.name}: lgn flashes the ULX3S boards only; "
                         + ("the PYNQ-Z2 loads its overlay itself (docs/boards/pynq-z2.md)"
                            if board.link == "axi" else "the virtual board has nothing to flash"))
    bit = Path(args.bit) if args.bit else _out(args) / ulx3s.bitstream_name(board)
    cmd = flash_command(bit, args.write_flash)
    line = shlex.join(cmd)
    if args.dry_run:
        if args.json:
            return {"command": line, "ran": False}
        print(line)
        return {}
    if not bit.exists():
        raise UsageError(f"no bitstream at {bit}: run `lgn board build {board.name}` first (or give --bit)")
    if shutil.which(FLASH_TOOL) is None:
        raise UsageError(f"{FLASH_TOOL} is not installed: {INSTALL_FLASH_TOOL}")
    log(f"board flash: {line}")
    r = subprocess.run(cmd)
    if r.returncode:
        raise UsageError(f"{FLASH_TOOL} failed (exit {r.returncode}); is the board plugged in "
                         f"and its udev rule installed? (docs/boards/ulx3s.md)")
    return {"command": line, "ran": True, "bitstream": str(bit)}
