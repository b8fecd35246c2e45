# SPDX-License-Identifier: MIT
import sys
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


def pytest_collection_modifyitems(items):
    """The one place a test skips for a missing toolchain: a skip mark, so it skips before its
    fixtures (a module fixture that builds with the tool never runs without it) and is
    reported at the test's own line."""
    reasons = {}
    for item in items:
        tools = tuple(t for m in item.iter_markers("needs") for t in m.args)
        if tools and tools not in reasons:
            reasons[tools] = missing(*tools)
        if tools and reasons[tools]:
            item.add_marker(pytest.mark.skip(reason=reasons[tools]))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def small_core():
    """The small cocotb build of lgn_core shared by the framer and engine tests."""
    from tests.rtl_tb import build
    reason = missing("verilator")
    if reason:
        pytest.skip(reason)
    return build.small_core()


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory):
    """A small network trained once per test session through the real `lgn train` path."""
    out = tmp_path_factory.mktemp("digits-small")
    lgn("train", "--dataset", "digits", "--layers", 2, "--width", 300, "--epochs", 3, "--out", out)
    return out
