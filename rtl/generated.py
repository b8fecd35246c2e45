# SPDX-License-Identifier: MIT
"""Verilog headers generated from Python definitions (rtl/hdl/generated/): writing one only
when it changed, and the `--header | --check | --print` command each generator offers."""
from __future__ import annotations

import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "hdl" / "generated"


def write(path: Path, text: str) -> bool:
    """Write `text` to `path` if it differs; True when the file changed."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def main(argv: list[str], headers: dict[Path, str], command: str) -> int:
    """`headers`: path -> its text; `command`: how to run this generator (for messages)."""
    if argv == ["--header"]:
        for path, text in headers.items():
            print(f"{path}: {'updated' if write(path, text) else 'up to date'}", file=sys.stderr)
        return 0
    if argv == ["--check"]:
        stale = [p for p, text in headers.items() if not p.exists() or p.read_text() != text]
        for path in headers:
            print(f"{path}: {f'OUT OF DATE ({command} --header)' if path in stale else 'up to date'}",
                  file=sys.stderr)
        return 1 if stale else 0
    if argv == ["--print"]:
        sys.stdout.write("".join(headers.values()))
        return 0
    print(f"usage: {command} --header | --check | --print", file=sys.stderr)
    return 2
