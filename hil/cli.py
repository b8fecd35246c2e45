# SPDX-License-Identifier: MIT
"""The `lgn` command line (DESIGN.md contract 3).

Each command lives in its own module under hil/commands and exposes
`register(subparsers)`, which adds a parser whose `func(args)` returns a dict. Progress
goes to stderr; with --json the dict is printed as exactly one JSON object on stdout.
Bad input raises one of USER_ERRORS and ends as a one-line message with exit status 2; a
check that does not hold raises hil.checks.CheckFailed: exit status 1, JSON still printed.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys

from hil.checks import CheckFailed
from host.netlist import NetlistError

# Explicit list (no folder scanning): the order is the order of `lgn --help`.
COMMANDS = ["train", "eval", "rtl", "synth", "board", "infer", "hil", "demo"]


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


# OSError: missing files, serial devices, refused connections, link timeouts.
USER_ERRORS = (UsageError, NetlistError, ValueError, OSError)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lgn", description="logic-gate networks with FPGAs in the loop")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:   # a missing command module is an error, never a silent gap
        importlib.import_module(f"hil.commands.{name}").register(sub)
    return p


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout at the end")


def _stop_on_sigterm(signum, frame):
    # SystemExit unwinds like Ctrl-C does, so `finally` blocks stop the tools a command
    # started (nextpnr, yosys, make) instead of leaving them running without a parent
    print("lgn: terminated", file=sys.stderr)
    raise SystemExit(128 + signum)


def _process_settings() -> None:
    """What the `lgn` process sets for itself (never a library import, never a caller that
    runs main(argv) in its own process)."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # torch's OpenMP workers spin after every op by default; our C kernels run on Python
    # threads beside them, and with both on the same cores a spinning worker starves ours
    # (measured: a fused layer step went from 7 ms to 300 ms with 2 threads on a loaded 2-core
    # machine). Must be set before torch loads libgomp (commands import torch lazily).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the `lgn` process itself (tests call main(argv) in their own process)
        _process_settings()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    status = 0
    try:
        result = args.func(args)
    except CheckFailed as e:     # the results are still worth printing
        print(f"lgn {args.command}: check failed: {one_line(e)}", file=sys.stderr)
        result, status = e.result, 1
    except KeyboardInterrupt:
        print("lgn: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        print(f"lgn {args.command}: error: {one_line(e)}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug, not bad input: still one line unless asked for more
        if os.environ.get("LGN_DEBUG"):
            raise
        print(f"lgn {args.command}: internal error: {type(e).__name__}: {one_line(e)} "
              f"(set LGN_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1
    if result is None:
        result = {}
    if getattr(args, "json", False):
        print(json.dumps(result, default=_jsonable))
    else:
        for k, v in result.items():
            print(f"{k}: {v}", file=sys.stderr)
    return status


def one_line(e: BaseException) -> str:
    msg = str(e) or type(e).__name__
    if isinstance(e, OSError) and e.filename and e.strerror:
        msg = f"{e.strerror}: {e.filename}"
    return " ".join(msg.split())


def _jsonable(o):
    import numpy as np
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


if __name__ == "__main__":
    # `python -m hil.cli` runs this file as __main__: use the importable module's main so
    # that its UsageError is the class the command modules raise.
    from hil.cli import main as _main
    sys.exit(_main())
