# SPDX-License-Identifier: MIT
import fcntl
import os
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

pytest_plugins = ["tests.ci_skips"]

from tests.helpers import lgn, missing  # noqa: E402 - needs ROOT on sys.path


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*tools): skip, saying why, unless the tools run here: "
                                       "verilator, yowasp, cc, iverilog (tests/helpers.py checks them)")
    config.addinivalue_line("markers", "serial: runs alone, with no test in another pytest-xdist "
                                       "worker at the same time (it measures time)")
    if not hasattr(config, "workerinput") and config.getoption("testrunuid", None) is None:
        # pick the run id pytest-xdist would, so that this process knows which lock file to remove
        config.option.testrunuid = uuid.uuid4().hex


def pytest_unconfigure(config):
    run = None if hasattr(config, "workerinput") else config.getoption("testrunuid", None)
    if run:
        _lock_path(run).unlink(missing_ok=True)


def _lock_path(run: str) -> Path:
    return Path(tempfile.gettempdir()) / f"lgn-tests-{run}.lock"


def pytest_collection_modifyitems(items):
    """The one place a test skips for a missing toolchain: a skip mark, so it skips before its
    fixtures (a module fixture that builds with the tool never runs without it) and is
    reported at the test's own line. Slow tests go first, longest first (`slow(seconds=N)`:
    N as measured on a fresh clone), so that with pytest-xdist, which hands out whole files
    in this order, the longest ones do not start last and leave one worker finishing alone."""
    def weight(item):
        slow = item.get_closest_marker("slow")
        return -slow.kwargs.get("seconds", 1) if slow else 0
    items.sort(key=weight)
    reasons = {}
    for item in items:
        tools = tuple(t for m in item.iter_markers("needs") for t in m.args)
        if tools and tools not in reasons:
            reasons[tools] = missing(*tools)
        if tools and reasons[tools]:
            item.add_marker(pytest.mark.skip(reason=reasons[tools]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under pytest-xdist, a `serial` test holds an exclusive lock while it runs (set-up
    included) and every other test a shared one, so timing checks are not measured while
    another worker loads the machine."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")     # the same in every worker of a run
    if run is None:
        return (yield)
    with open(_lock_path(run), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX if item.get_closest_marker("serial") else fcntl.LOCK_SH)
        return (yield)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def small_core():
    """The small cocotb build of lgn_core shared by the framer and engine tests (which carry
    needs("verilator"))."""
    from tests.rtl_tb import build
    return build.small_core()


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory):
    """A small network trained once per test session through the real `lgn train` path."""
    out = tmp_path_factory.mktemp("digits-small")
    lgn("train", "--dataset", "digits", "--layers", 2, "--width", 300, "--epochs", 3, "--out", out)
    return out
