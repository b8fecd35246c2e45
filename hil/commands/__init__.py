# SPDX-License-Identifier: MIT
"""One module per `lgn` command; each exposes `register(subparsers)` (see hil.cli)."""
