# SPDX-License-Identifier: MIT
"""cocotb tests of the engine inside lgn_core (small build, tests/rtl_tb/build.py SMALL_CORE:
8 lanes, 4 gates/cycle, 64 inputs, width 64, 4 layers, 192 gates, 8 classes, body 512).

Random netlists at and inside every capacity edge go in through CONFIG/LOAD frames; RUN
results (scores, predictions, raw layer bits) must equal host.softmodel.SoftModel bit for
bit; the RTL's cycle count must equal the documented formula; every limit answers with its
error code."""
from __future__ import annotations

import random

import cocotb
import numpy as np

from host.netlist import random_netlist
from host.softmodel import SoftModel
from rtl import protocol as P
from tests.rtl_tb import common
from tests.rtl_tb.build import SMALL_CORE
from tests.rtl_tb.core_bench import MAX_BODY, CoreTB, info_expected

L, G = SMALL_CORE["LANES"], SMALL_CORE["GATES_PER_CYCLE"]


def run_cycles(net, count: int, mode: int, layer: int, p: dict = SMALL_CORE) -> int:
    """Engine cycles of one RUN of `net` on a build of p."""
    last = len(net.layers) - 1 if mode == 0 else layer
    return common.run_cycles(net.widths, net.inputs, count, mode, last, p["LANES"], p["GATES_PER_CYCLE"])


async def load(tb, net, tag: int, p: dict = SMALL_CORE) -> None:
    """CONFIG and LOAD `net` through `tb` (anything with CoreTB's ok()) into a build of p."""
    cfg = P.Config(net.inputs, tuple(net.widths), net.classes, tag).pack()
    await tb.ok(1, P.Cmd.CONFIG, cfg)
    per = P.max_load_count(p["MAX_BODY"])
    for k, l in enumerate(net.layers):
        order = list(range(0, l.width, per))
        random.Random(tag + k).shuffle(order)      # chunks in any order
        for s in order:
            e = s + per
            await tb.ok(2, P.Cmd.LOAD, P.encode_load(k, s, l.a[s:e], l.b[s:e], l.op[s:e]))


async def check_runs(tb, net, bits: np.ndarray, tag: int, p: dict = SMALL_CORE) -> None:
    """Every RUN mode of `net` on `bits` equals the software model, cycles the formula."""
    sm = SoftModel(net)
    packed = P.pack_samples(bits)
    n = len(bits)
    for mode, layer in [(0, 0)] + [(1, k) for k in range(len(net.layers))]:
        width = net.widths[layer] if mode else 0
        per = P.max_run_count(p["MAX_BODY"], net.inputs, mode, net.classes, width)
        got_s, got_p, got_b = [], [], []
        for s in range(0, n, per):
            chunk = packed[s:s + per]
            body = await tb.ok(3, P.Cmd.RUN, P.encode_run(mode, layer, chunk))
            r = P.decode_run_reply(body, mode, len(chunk), net.classes, width)
            assert r.tag == tag, (r.tag, tag)
            want = run_cycles(net, len(chunk), mode, layer, p)
            assert r.cycles == want, f"RUN of {len(chunk)} took {r.cycles} cycles, formula says {want}"
            if mode == 0:
                got_s.append(r.scores)
                got_p.append(r.pred)
            else:
                got_b.append(r.bits)
        if mode == 0:
            ref = sm.scores(bits)
            sc = np.concatenate(got_s)
            bad = np.flatnonzero((sc != ref).any(1))
            assert bad.size == 0, f"{net}: sample {bad[:5]} scores {sc[bad[:2]]} != {ref[bad[:2]]}"
            assert (np.concatenate(got_p) == ref.argmax(1)).all(), "predictions differ"
        else:
            ref = sm.layer_bits(bits, layer)
            assert (np.concatenate(got_b) == ref).all(), f"{net}: layer {layer} bits differ"


CASES = [
    # (inputs, widths, classes, samples): the edges of the small build's capacity
    (64, [64, 64, 64], 8, 2 * L + 1),            # max inputs/width, 192 gates = MAX_GATES
    (64, [61, 64, 64], 8, L),                    # padded to G: 64 + 64 + 64 slots
    (13, [7, 5, 9, 6], 3, 9),                    # nothing a multiple of 8 or of G
    (1, [1], 1, 20),                             # the smallest netlist
    (20, [30, 8], 8, 11),                        # group size 1 (< G), 8 classes
    (33, [40, 40, 40, 24], 8, 3),                # max layers, group size 3
    (64, [64, 64], 1, 17),                       # one class: prediction always 0
]


@cocotb.test()
async def random_netlists_bit_exact(dut):
    tb = CoreTB(dut, seed=21, in_stall=0.1, out_stall=0.2)
    await tb.reset()
    rng = np.random.default_rng(21)
    for i, (inputs, widths, classes, n) in enumerate(CASES):
        net = random_netlist(rng, inputs, widths, classes)
        tag = 0x1000 + i
        await load(tb, net, tag)
        bits = rng.integers(0, 2, (n, inputs), dtype=np.uint8)
        await check_runs(tb, net, bits, tag)
    st = P.Status.unpack(await tb.ok(9, P.Cmd.STATUS))
    assert st.other_errors == 0 and st.crc_errors == 0, st


@cocotb.test()
async def ties_and_constant_gates(dut):
    """All-constant last layers make every class tie: the prediction is class 0; gates
    reading the same input twice; every op on every input combination."""
    tb = CoreTB(dut, seed=22)
    await tb.reset()
    rng = np.random.default_rng(22)
    net = random_netlist(rng, 2, [16, 16], 4)
    net.layers[0].a[:] = np.arange(16) % 2
    net.layers[0].b[:] = (np.arange(16) // 2) % 2
    net.layers[0].op[:] = np.arange(16)              # all 16 truth tables
    net.layers[1].op[:] = 15                         # TRUE: scores 4,4,4,4
    await load(tb, net, 77)
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 3, dtype=np.uint8)
    await check_runs(tb, net, bits, 77)
    body = await tb.ok(4, P.Cmd.RUN, P.encode_run(0, 0, P.pack_samples(bits)))
    r = P.decode_run_reply(body, 0, len(bits), 4)
    assert (r.scores == 4).all() and (r.pred == 0).all(), r


@cocotb.test()
async def capacity_and_argument_errors(dut):
    tb = CoreTB(dut, seed=23)
    await tb.reset()
    E = P.Err
    p = SMALL_CORE
    # before CONFIG
    assert (await tb.error(1, P.Cmd.RUN, P.encode_run(0, 0, np.zeros((1, 1), np.uint8)))).code == E.NOT_CONFIGURED
    assert (await tb.error(1, P.Cmd.LOAD, P.encode_load(0, 0, [0], [0], [1]))).code == E.NOT_CONFIGURED

    def cfg(inputs, widths, classes, tag=5):
        return P.Config(inputs, tuple(widths), classes, tag).pack()
    over = [(cfg(p["MAX_INPUTS"] + 1, [8], 8), p["MAX_INPUTS"]),
            (cfg(8, [p["MAX_WIDTH"] + 8], 8), p["MAX_WIDTH"]),
            (cfg(8, [8] * (p["MAX_LAYERS"] + 1), 8), p["MAX_LAYERS"]),
            (cfg(8, [18], p["MAX_CLASSES"] + 1), p["MAX_CLASSES"]),
            (cfg(8, [64, 64, 61, 4], 4), p["MAX_GATES"])]    # 196 slots > 192
    for body, limit in over:
        e = await tb.error(2, P.Cmd.CONFIG, body)
        assert e == (E.OVER_CAPACITY, P.Cmd.CONFIG, limit), e
    for body in (cfg(0, [8], 8), cfg(8, [], 1), cfg(8, [8, 0, 8], 8), cfg(8, [9], 2),
                 cfg(8, [8], 0), cfg(8, [8], 8, tag=0)):
        e = await tb.error(3, P.Cmd.CONFIG, body)
        assert e.code == E.BAD_ARG, (body.hex(), e)
    assert (await tb.error(3, P.Cmd.CONFIG, cfg(8, [8, 8], 8)[:-1])).code == E.BAD_LENGTH
    # a rejected CONFIG leaves the board unconfigured (tag 0)
    assert P.Info.unpack(await tb.ok(4, P.Cmd.INFO)).config_tag == 0
    await tb.ok(5, P.Cmd.CONFIG, cfg(10, [16, 8], 4, tag=99))
    assert P.Info.unpack(await tb.ok(4, P.Cmd.INFO)) == info_expected(99)
    # LOAD checks
    bad_loads = [(P.encode_load(2, 0, [0], [0], [1]), E.BAD_ARG),      # no layer 2
                 (P.encode_load(0, 15, [0, 1], [0, 1], [1, 1]), E.BAD_ARG),   # past the width
                 (P.encode_load(0, 0, [10], [0], [1]), E.BAD_ARG),     # a >= inputs
                 (P.encode_load(1, 0, [0], [16], [1]), E.BAD_ARG),     # b >= width of layer 0
                 (P.encode_load(0, 3, [1], [2], [16]), E.BAD_ARG),     # op outside 0..15
                 (P.encode_load(0, 0, [1], [2], [3])[:-1], E.BAD_LENGTH),
                 (b"\x00\x00\x00", E.BAD_LENGTH)]
    for body, code in bad_loads:
        e = await tb.error(6, P.Cmd.LOAD, body)
        assert e.code == code, (body.hex(), e)
    await tb.ok(6, P.Cmd.LOAD, P.encode_load(1, 0, [15] * 8, [0] * 8, [3] * 8))
    # RUN checks
    x = np.zeros((2, 2), np.uint8)
    assert (await tb.error(7, P.Cmd.RUN, P.encode_run(2, 0, x))).code == E.BAD_ARG
    assert (await tb.error(7, P.Cmd.RUN, P.encode_run(1, 2, x))).code == E.BAD_ARG
    assert (await tb.error(7, P.Cmd.RUN, P.encode_run(0, 0, x)[:-1])).code == E.BAD_LENGTH
    assert (await tb.error(7, P.Cmd.RUN, b"\x00\x00")).code == E.BAD_LENGTH
    many = np.zeros((60, 2), np.uint8)       # request fits (125 B), reply 8 + 60*9 > 512
    e = await tb.error(7, P.Cmd.RUN, P.encode_run(0, 0, many))
    assert e == (E.OVER_CAPACITY, P.Cmd.RUN, MAX_BODY), e
    # count 0: tag and cycles only
    body = await tb.ok(8, P.Cmd.RUN, P.encode_run(0, 0, np.zeros((0, 2), np.uint8)))
    assert len(body) == 8 and int.from_bytes(body[:4], "little") == 99
    # RESET: unconfigured again
    await tb.ok(9, P.Cmd.RESET)
    assert P.Info.unpack(await tb.ok(10, P.Cmd.INFO)).config_tag == 0
    assert (await tb.error(11, P.Cmd.RUN, P.encode_run(0, 0, x))).code == E.NOT_CONFIGURED


@cocotb.test()
async def counters_add_up(dut):
    tb = CoreTB(dut, seed=24)
    await tb.reset()
    rng = np.random.default_rng(24)
    net = random_netlist(rng, 16, [20, 12], 4)
    await load(tb, net, 5)
    st0 = P.Status.unpack(await tb.ok(1, P.Cmd.STATUS))
    cycles, samples = 0, 0
    for n in (1, 8, 9, 30):
        body = await tb.ok(2, P.Cmd.RUN, P.encode_run(0, 0, P.pack_samples(
            rng.integers(0, 2, (n, 16), dtype=np.uint8))))
        cycles += int.from_bytes(body[4:8], "little")
        samples += n
    st = P.Status.unpack(await tb.ok(3, P.Cmd.STATUS))
    assert st.runs - st0.runs == 4 and st.samples - st0.samples == samples, st
    assert st.busy_cycles - st0.busy_cycles == cycles, (st, cycles)
    assert st.idle_cycles > st0.idle_cycles, st
