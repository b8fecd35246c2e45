# SPDX-License-Identifier: MIT
"""The FTDI USB-serial latency timer (the ULX3S's FT231X). The chip holds received bytes up to
this long before sending a short USB packet; Linux's default of 16 ms adds that to every reply,
so a request-reply link at 3 Mbaud runs at a fraction of its speed. 1 ms is the minimum.

Linux exposes it as /sys/bus/usb-serial/devices/ttyUSBn/latency_timer (ftdi_sio), writable by
root or after the udev rule in docs/boards/ulx3s.md. Other systems: nothing is done here."""
from __future__ import annotations

import os
from pathlib import Path

SYSFS = Path("/sys/bus/usb-serial/devices")
WANT_MS = 1


def tune(port: str, say, sysfs: Path = SYSFS) -> int | None:
    """Set `port`'s latency timer to 1 ms if it is an FTDI device whose timer is higher. Returns
    the timer now in effect (None: not an FTDI device here); says in one line how to set it
    when this process may not."""
    name = os.path.basename(os.path.realpath(port))
    f = sysfs / name / "latency_timer"
    try:
        now = int(f.read_text().strip())
    except (OSError, ValueError):
        return None
    if now <= WANT_MS:
        return now
    try:
        f.write_text(f"{WANT_MS}\n")
        say(f"link: {name}: FTDI latency timer set from {now} ms to {WANT_MS} ms")
        return WANT_MS
    except OSError:
        say(f"link: {name}: the FTDI latency timer is {now} ms, which slows every reply; set it to "
            f"{WANT_MS} ms: echo {WANT_MS} | sudo tee {f} (or install the udev rule of docs/boards/ulx3s.md)")
        return now
