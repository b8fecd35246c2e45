# SPDX-License-Identifier: MIT
"""The host side of the loop: transports, board sessions, HIL fine-tuning, the `lgn` CLI."""

from hil.session import connect  # noqa: E402,F401  (hil.connect(url) -> board session)
