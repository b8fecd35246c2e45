# SPDX-License-Identifier: MIT
"""The host side of the loop: transports, board sessions, HIL fine-tuning, the `lgn` CLI."""
