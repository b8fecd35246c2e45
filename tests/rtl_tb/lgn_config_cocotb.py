# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_config alone (tests/rtl_tb/build.py CONFIG: the small core's sizes).

CONFIG bodies (every capacity and argument error, good ones, random ones) go in as the
command handler streams them, a byte a clock with random pauses; the answer (done, or the
error's code and detail) must be rtl.protocol.ReferenceBoard's, and after a good one the
outputs must be what the gate engine needs: widths, each layer's first gate-memory word, the
group size, the class and group offset of gates 0..G-1 and of gate G."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge, Timer

from rtl import protocol as P
from rtl.protocol import layouts
from tests.rtl_tb.build import CONFIG, SMALL
from tests.rtl_tb import common as tb

p = CONFIG
G, MAX_LAYERS = p["GATES_PER_CYCLE"], p["MAX_LAYERS"]
GAW = max(1, (p["MAX_GATES"] // G - 1).bit_length())
CW = max(1, (p["MAX_CLASSES"] - 1).bit_length())



class ConfigTB:
    def __init__(self, dut, seed: int):
        self.dut = dut
        self.rng = random.Random(seed)
        self.ref = P.ReferenceBoard(SMALL)
        tb.start(dut, ("clear", "cmd", "h_len", "rs_v", "rs_k", "rs_byte", "stream_done"))

    async def reset(self) -> None:
        await tb.reset(self.dut)
        await FallingEdge(self.dut.clk)

    async def config(self, body: bytes):
        """One CONFIG as the handler runs it: returns (error code, detail) or None (done)."""
        dut = self.dut
        dut.cmd.value, dut.h_len.value = 1, len(body)
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        dut.cmd.value = 0
        for i, b in enumerate(body):
            while self.rng.random() < 0.2:              # a pause in the stream
                dut.rs_v.value = 0
                await FallingEdge(dut.clk)
            dut.rs_v.value, dut.rs_k.value, dut.rs_byte.value = 1, i, b
            await FallingEdge(dut.clk)
        dut.rs_v.value, dut.stream_done.value = 0, 1
        for _ in range(2000):
            await FallingEdge(dut.clk)
            if int(dut.c_err.value) or int(dut.c_done.value):
                break
        else:
            raise AssertionError("no answer to the CONFIG")
        got = (int(dut.c_code.value), int(dut.c_detail.value)) if int(dut.c_err.value) else None
        await FallingEdge(dut.clk)
        dut.stream_done.value = 0
        return got

    async def check(self, body: bytes) -> None:
        want = P.decode_frame(self.ref.handle(P.Frame(1, P.Cmd.CONFIG, body))[:-1])
        if len(body) < layouts.CONFIG.size:              # rejected in the dispatch clock
            dut = self.dut
            dut.cmd.value, dut.h_len.value = 1, len(body)
            await Timer(1, unit="ns")                      # settled: c_err with cmd
            got = (int(dut.c_code.value), int(dut.c_detail.value)) if int(dut.c_err.value) else None
            await FallingEdge(dut.clk)
            dut.cmd.value = 0
        else:
            got = await self.config(body)
        if want.type == P.TYPE_ERROR:
            e = P.ErrorBody.unpack(want.body)
            assert got == (e.code, e.detail), (body.hex(), got, e)
            assert int(self.dut.cfg_valid.value) == 0, "a rejected CONFIG left the board configured"
        else:
            assert got is None, (body.hex(), got)
            self.check_outputs(P.Config.unpack(body))

    def check_outputs(self, c) -> None:
        dut = self.dut
        widths = list(c.widths)
        gs = widths[-1] // c.classes
        assert int(dut.cfg_valid.value) == 1
        assert (int(dut.cfg_tag.value), int(dut.cfg_inputs.value), int(dut.cfg_layers.value),
                int(dut.cfg_classes.value), int(dut.cfg_nbytes.value), int(dut.cfg_gs.value)) == \
            (c.tag, c.inputs, len(widths), c.classes, -(-c.inputs // 8), gs)
        bases = [sum(-(-w // G) for w in widths[:k]) for k in range(len(widths))]
        wf, bf = int(dut.cfg_width_f.value), int(dut.cfg_base_f.value)
        assert [tb.field(wf, k, 16) for k in range(MAX_LAYERS)] == widths + [0] * (MAX_LAYERS - len(widths)), hex(wf)
        assert [tb.field(bf, k, GAW + 1) for k in range(len(widths))] == bases, hex(bf)
        cf, rf = int(dut.cls_init_c_f.value), int(dut.cls_init_r_f.value)
        assert [(tb.field(cf, q, CW + 1), tb.field(rf, q, 16)) for q in range(G)] == [divmod(q, gs) for q in range(G)]
        assert (int(dut.cls_step_c.value), int(dut.cls_step_r.value)) == divmod(G, gs)


def cfg(inputs, widths, classes, tag=5) -> bytes:
    return layouts.CONFIG.pack(inputs, len(widths), classes, tag) + b"".join(
        layouts.CONFIG_WIDTH.pack(w) for w in widths)


@cocotb.test()
async def errors_and_derived_values(dut):
    tb = ConfigTB(dut, seed=71)
    await tb.reset()
    for body in [cfg(65, [8], 8), cfg(8, [72], 8), cfg(8, [8] * 5, 8), cfg(8, [18], 9),
                 cfg(8, [64, 64, 61, 4], 4), cfg(0, [8], 8), cfg(8, [8, 0, 8], 8), cfg(8, [9], 2),
                 cfg(8, [8], 0), cfg(8, [8], 8, tag=0), cfg(8, [], 1), cfg(8, [8, 8], 8)[:-1],
                 cfg(8, [8], 8) + b"\0", b"\1\0\1", b""]:
        await tb.check(body)
    for inputs, widths, classes in [(13, [7, 5, 9, 6], 3), (64, [64, 64, 64], 8), (20, [30, 8], 8),
                                    (1, [1], 1), (10, [16, 8], 4), (64, [64, 64, 61, 3], 1), (9, [24], 8)]:
        await tb.check(cfg(inputs, widths, classes, tag=0x1000 + inputs))
        await tb.check(cfg(inputs, widths, classes, tag=0))          # and unconfigured again
        await tb.check(cfg(inputs, widths, classes, tag=0xFFFFFFFF))
    # RESET: the power-up configuration
    dut.clear.value = 1
    await FallingEdge(dut.clk)
    dut.clear.value = 0
    tb.ref.power_cycle()
    assert (int(dut.cfg_valid.value), int(dut.cfg_tag.value), int(dut.cfg_inputs.value),
            int(dut.cfg_layers.value), int(dut.cfg_classes.value), int(dut.cfg_nbytes.value)) == (0,) * 6


@cocotb.test()
async def random_bodies(dut):
    tb = ConfigTB(dut, seed=72)
    await tb.reset()
    rng = random.Random(72)
    for _ in range(200):
        layers = rng.randint(0, 5)
        widths = [rng.choice([0, 1, 2, 3, 4, 8, 12, 16, 24, 48, 64, 65]) for _ in range(layers)]
        body = layouts.CONFIG.pack(rng.choice([0, 1, 9, 63, 64, 65]), layers, rng.choice([0, 1, 2, 3, 4, 8, 9]),
                                   rng.choice([0, 7, 0xFFFFFFFF])) + b"".join(w.to_bytes(2, "little") for w in widths)
        if rng.random() < 0.1:
            body = body[:rng.randrange(len(body) + 1)]
        await tb.check(body)
