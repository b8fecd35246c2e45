# SPDX-License-Identifier: MIT
"""`lgn board serve` (the virtual board on a TCP socket or a pseudo-terminal) and
`lgn board info` (capabilities of a connected board); list, build and flash are in
hil/commands/board_build.py."""
from __future__ import annotations

import contextlib
import sys
from urllib.parse import urlsplit

from host.progress import log


def register(sub) -> None:
    from hil.cli import add_json_flag
    p = sub.add_parser("board", help="the boards: list, build, flash, serve, info")
    bsub = p.add_subparsers(dest="board_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: _no_sub(p))

    s = bsub.add_parser("serve", help="serve the virtual board's byte stream on TCP or a pty")
    s.add_argument("--board", default="sim", help="board to serve (only 'sim': the virtual board)")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", metavar="tcp://HOST:PORT", help="listen on a TCP address (port 0: any)")
    where.add_argument("--pty", action="store_true", help="open a pseudo-terminal and print its path")
    s.add_argument("--faults", help="virtual-board engine faults, e.g. stuck=0.02,flip=0.001")
    s.add_argument("--fault-seed", type=int, help="seed of the fault pattern")
    s.add_argument("--baud", type=int, help="run the board's UART in the loop at this baud (simulated time)")
    s.add_argument("--once", action="store_true", help="exit when the first client disconnects")
    s.add_argument("--token", help="TCP: clients must show this token (tcp://HOST:PORT?token=...)")
    s.add_argument("--idle-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="TCP: drop a client after this long without a byte either way (0: never; default 600)")
    add_json_flag(s)
    s.set_defaults(func=run_serve)

    i = bsub.add_parser("info", help="capabilities of a board")
    i.add_argument("--board", required=True, metavar="URL",
                   help="sim, tcp://host:port, socket://host:port, /dev/ttyUSB0?baud=...")
    i.add_argument("--status", action="store_true", help="also read the board's counters")
    add_json_flag(i)
    i.set_defaults(func=run_info)

    from hil.commands import board_build
    board_build.register(bsub)


def _no_sub(p):
    from hil.cli import UsageError
    raise UsageError("give a subcommand: lgn board list | build | flash | serve | info")


@contextlib.contextmanager
def link_errors():
    """A link or board failure ends a command with its one-line message and exit status 2
    (it is about the board or the cable, not a bug of this program)."""
    from hil.cli import UsageError
    from hil.session import BoardError
    from hil.transport import TransportError
    try:
        yield
    except (TransportError, BoardError) as e:
        raise UsageError(str(e)) from None


# info ------------------------------------------------------------------------------------------

def run_info(args) -> dict:
    from hil.session import connect
    if args.board.split("?")[0] == "sim":
        log("board info: starting the virtual board (its first use builds it with Verilator, ~1 min)")
    with link_errors(), connect(args.board) as board:
        info = board.capacity
        out = {"board": args.board, "protocol": info.protocol_version}
        out.update({k: v for k, v in info.as_dict().items() if k != "protocol_version"})
        if args.status:
            out["status"] = board.status().as_dict()
    return out


# serve -----------------------------------------------------------------------------------------

def _open_board(args):
    from hil.cli import UsageError
    if args.board != "sim":
        raise UsageError(f"--board {args.board!r}: only the virtual board ('sim') can be served")
    log("board serve: starting the virtual board (its first use builds it with Verilator, ~1 min)")
    try:
        from boards.sim import VirtualBoard
    except ImportError as e:
        raise UsageError(f"the virtual board is not available: {e}") from None
    params = {}
    if args.baud:
        params["baud"] = args.baud
    if args.faults:
        params["faults"] = args.faults
    if args.fault_seed is not None:
        params["fault_seed"] = args.fault_seed
    return VirtualBoard(**params)


def run_serve(args) -> dict:
    from hil.cli import UsageError
    if args.listen:
        parts = urlsplit(args.listen)
        if parts.scheme != "tcp" or parts.hostname is None or parts.port is None:
            raise UsageError(f"--listen {args.listen!r}: expected tcp://HOST:PORT")
        if args.token is not None:
            from boards.server import check_token
            try:
                check_token(args.token)
            except ValueError as e:
                raise UsageError(f"--token: {e}") from None
    elif args.token is not None:
        raise UsageError("--token applies to --listen tcp://... only (a pty has no handshake)")
    if args.idle_timeout < 0:
        raise UsageError(f"--idle-timeout {args.idle_timeout:g}: must be >= 0 (0: never)")
    from boards.server import serve_pty, serve_tcp
    board = _open_board(args)
    try:
        if args.pty:
            return serve_pty(board, once=args.once)
        return serve_tcp(board, parts.hostname, parts.port, once=args.once, token=args.token,
                         idle_timeout=args.idle_timeout or None)
    finally:
        board.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: lgn board serve|info")
