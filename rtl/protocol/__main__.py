# SPDX-License-Identifier: MIT
import sys

from .verilog import main

sys.exit(main(sys.argv[1:]))
