# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_score_record (the small build's 8 classes): samples go in one a clock,
each record comes out as one write two clocks later: the scores of the configured classes as
u16 little-endian, then the index of the first highest score (ties: the lowest class), at the
address given, rm_wn = 2 x classes + 1; `busy` covers every record in flight."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge

from tests.rtl_tb import common as tb
from tests.rtl_tb.build import SMALL_CORE

C = SMALL_CORE["MAX_CLASSES"]


def record(scores: list[int], classes: int) -> bytes:
    best = max(range(classes), key=lambda c: (scores[c], -c))
    return b"".join(s.to_bytes(2, "little") for s in scores[:classes]) + bytes([best])


async def run(dut, samples: list[tuple[int, list[int]]], classes: int, gap: float, rng) -> None:
    """Feed (address, scores) samples, with random idle clocks; check every write."""
    dut.cfg_classes.value = classes
    want = [(a, record(s, classes)) for a, s in samples]
    got, sent, clock = [], 0, 0
    sent_at = {}
    while len(got) < len(want):
        await FallingEdge(dut.clk)
        clock += 1
        if int(dut.rm_we.value):
            n = int(dut.rm_wn.value)
            wd = int(dut.rm_wd.value).to_bytes(64, "little")
            got.append((int(dut.rm_wa.value), wd[:n]))
            assert clock - sent_at[len(got) - 1] == 2, "a record is written two clocks after its sample"
        driving = sent < len(samples) and rng.random() >= gap
        if driving:
            a, s = samples[sent]
            dut.in_v.value, dut.in_wa.value = 1, a
            dut.in_sc.value = sum((s[c] if c < classes else 0) << (16 * c) for c in range(C))
            sent_at[sent] = clock
            sent += 1
        else:
            dut.in_v.value = 0
        assert clock < 10 * len(samples) + 50, "records missing"
        if sent and len(got) < sent:
            assert int(dut.busy.value) or driving, "not busy with a record in flight"
    assert got == want
    for _ in range(3):
        await FallingEdge(dut.clk)
    assert not int(dut.busy.value) and not int(dut.rm_we.value)


@cocotb.test()
async def records_and_ties(dut):
    tb.start(dut, ("in_v", "in_wa", "in_sc", "cfg_classes"))
    await tb.reset(dut)
    rng = random.Random(7)
    for classes in (1, 2, 3, 5, C):
        samples = []
        for k in range(40):
            top = rng.choice([1, 3, 2000, 65535])
            s = [rng.randint(0, top) for _ in range(C)]
            if k % 4 == 0:                       # a tie for the highest score
                i, j = sorted(rng.sample(range(classes), 2)) if classes > 1 else (0, 0)
                s[i] = s[j] = max(s[:classes])
            samples.append((rng.randrange(0, 400), s))
        samples.append((7, [0] * C))             # all zero: class 0
        await run(dut, samples, classes, gap=0.0 if classes == C else 0.3, rng=rng)
