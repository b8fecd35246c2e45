# SPDX-License-Identifier: MIT
"""Testbench modules for the engine RTL (rtl/hdl): cocotb tests and their build helpers."""
