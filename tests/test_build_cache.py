# SPDX-License-Identifier: MIT
"""The one build cache (host.cache) and the one module that builds Verilator models
(rtl.verilator): concurrent builders, interrupted builds, keys, and nobody else doing it."""
import re
import threading
import time
from pathlib import Path

import pytest

from host import cache

ROOT = Path(__file__).resolve().parents[1]


def test_parallel_builders_make_one_build(tmp_path, monkeypatch):
    monkeypatch.setenv("LGN_CACHE_DIR", str(tmp_path))
    runs, got = [], []

    def make(folder):
        runs.append(folder)
        time.sleep(0.3)                       # long enough for the other builder to arrive
        (folder / "lib.so").write_bytes(b"so")

    threads = [threading.Thread(target=lambda: got.append(cache.cached("k", "abc", make))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1 and len(got) == 3 and len(set(got)) == 1
    assert (got[0] / "lib.so").read_bytes() == b"so" and got[0].parent.parent == tmp_path


def test_interrupted_build_is_never_used(tmp_path, monkeypatch):
    monkeypatch.setenv("LGN_CACHE_DIR", str(tmp_path))

    def broken(folder):
        (folder / "half").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.cached("k", "key", broken)
    assert cache.find("k", "key") is None and not (tmp_path / "k" / "key").exists()
    (tmp_path / "k" / "key").mkdir()            # left by a killed process
    (tmp_path / "k" / "key" / "half").write_text("x")
    folder = cache.cached("k", "key", lambda f: (f / "whole").write_text("y"))
    assert sorted(p.name for p in folder.iterdir()) == [".complete", "whole"]


def test_keys_follow_content(tmp_path):
    a = tmp_path / "a.v"
    a.write_text("module a; endmodule\n")
    k1 = cache.digest("x", {"P": 1}, files=[a])
    assert k1 == cache.digest("x", {"P": 1}, files=[a])
    assert k1 != cache.digest("x", {"P": 2}, files=[a])
    a.write_text("module a; wire w; endmodule\n")
    assert k1 != cache.digest("x", {"P": 1}, files=[a])


@pytest.mark.needs("verilator")
def test_keys_follow_toolchain():
    from rtl.verilator import _toolchain, tool_env
    env = tool_env()
    other = dict(env, VERILATOR_ROOT="/another/venv/verilator")   # another clone's tools
    assert cache.digest(_toolchain(env)) != cache.digest(_toolchain(other))


def test_one_module_builds_models_and_one_reads_the_cache():
    """Outside tests/, only rtl/verilator.py runs cocotb's runner or verilates a model, and
    only host/cache.py knows where the cache is and takes its lock."""
    builds, caches = [], []
    for p in sorted(ROOT.glob("*/**/*.py")):
        rel = p.relative_to(ROOT).as_posix()
        if rel.startswith(("tests/", ".venv/")) or "/." in rel:
            continue
        text = p.read_text()
        if re.search(r"get_runner\(|\.build\(sources=|\"--cc\"|verilator_bin\(\)", text):
            builds.append(rel)
        if re.search(r"LGN_CACHE_DIR|platformdirs|FileLock|flock|\.cache\"|\"\.cache", text):
            caches.append(rel)
    assert builds == ["rtl/verilator.py"], builds
    assert caches == ["host/cache.py"], caches
