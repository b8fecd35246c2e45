# SPDX-License-Identifier: MIT
"""The FTDI latency timer: lowered to 1 ms when writable, a one-line how-to when not, nothing
for a port that is not an FTDI device (a sysfs tree in a temporary folder stands in for
/sys/bus/usb-serial/devices)."""
from hil.latency_timer import tune


def sysfs(tmp_path, ms: int):
    d = tmp_path / "ttyUSB0"
    d.mkdir()
    (d / "latency_timer").write_text(f"{ms}\n")
    return d / "latency_timer"


def test_lowered_when_writable(tmp_path):
    f = sysfs(tmp_path, 16)
    said = []
    assert tune("/dev/ttyUSB0", said.append, sysfs=tmp_path) == 1
    assert f.read_text().strip() == "1" and "16 ms to 1 ms" in said[0]


def test_left_alone_when_already_low(tmp_path):
    sysfs(tmp_path, 1)
    said = []
    assert tune("/dev/ttyUSB0", said.append, sysfs=tmp_path) == 1 and said == []


def test_how_to_when_not_writable(tmp_path):
    # a file even root may not write (a read-only sysctl holding a number) as the timer
    ro = "/proc/sys/kernel/ngroups_max"
    d = tmp_path / "ttyUSB0"
    d.mkdir()
    (d / "latency_timer").symlink_to(ro)
    said = []
    now = int(open(ro).read())
    assert tune("/dev/ttyUSB0", said.append, sysfs=tmp_path) == now
    assert len(said) == 1 and "sudo tee" in said[0] and "docs/boards/ulx3s.md" in said[0]


def test_not_an_ftdi_device(tmp_path):
    said = []
    assert tune("/dev/ttyACM3", said.append, sysfs=tmp_path) is None and said == []
