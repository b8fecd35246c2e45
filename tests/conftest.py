# SPDX-License-Identifier: MIT
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

pytest_plugins = ["tests.ci_skips"]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def small_core():
    """The small cocotb build of lgn_core shared by the framer and engine tests."""
    from rtl.verilator import ToolchainError, tool_env
    from tests.rtl_tb import build
    try:
        tool_env()
    except ToolchainError as e:
        pytest.skip(str(e))
    return build.small_core()


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory):
    """A small network trained once per test session through the real `lgn train` path."""
    from hil.cli import main
    out = tmp_path_factory.mktemp("digits-small")
    rc = main(["train", "--dataset", "digits", "--layers", "2", "--width", "300", "--epochs", "3",
               "--out", str(out)])
    assert rc == 0
    return out
