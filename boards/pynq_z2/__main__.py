# SPDX-License-Identifier: MIT
"""python -m boards.pynq_z2 --header | --check | --print | --tcl-params (see __init__.py)."""
import sys

from boards import pynq_z2
from rtl import generated

argv = sys.argv[1:]
if argv == ["--tcl-params"]:
    argv = ["--print"]
sys.exit(generated.main(argv, pynq_z2.headers(), "python -m boards.pynq_z2"))
