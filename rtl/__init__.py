# SPDX-License-Identifier: MIT
"""RTL sources, the compiled-network generator, the link protocol and Verilator helpers."""
