# SPDX-License-Identifier: MIT
"""One folder per board: constraints, top level, build/flash recipes, and the virtual board."""
