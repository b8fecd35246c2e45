# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_gate_engine alone (tests/rtl_tb/build.py GATE_ENGINE: the small core's
sizes, with fault injection).

The testbench plays the command handler (configuration, gate writes, start) and the frame
store (samples lane-major, one-clock read port), and collects what the engine writes into
the result memory. The records must be byte for byte what rtl.protocol.encode_run_reply
makes of host.softmodel.SoftModel's results (scores, predictions, raw layer bits with
padding 0), e_cycles the documented count; a stuck-at slot and a flip mask must act as the
netlist with those gates made constant or inverted."""
from __future__ import annotations

import copy

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from host.netlist import Netlist, random_netlist
from host.softmodel import SoftModel
from rtl import protocol as P
from tests.rtl_tb.build import GATE_ENGINE, fs_depth
from tests.rtl_tb import common as tb
from tests.rtl_tb.common import run_cycles

p = GATE_ENGINE
L, G = p["LANES"], p["GATES_PER_CYCLE"]
ADEPTH = max(-(-p["MAX_INPUTS"] // 8) * 8, p["MAX_WIDTH"])
AW = (ADEPTH - 1).bit_length()
GAW = max(1, (p["MAX_GATES"] // G - 1).bit_length())
CW = max(1, (p["MAX_CLASSES"] - 1).bit_length())
DEPTH = fs_depth(p)
RECW = P.SCORE_BYTES * p["MAX_CLASSES"] + P.PRED_BYTES


def pack(values, bits: int) -> int:
    return sum(int(v) << (bits * i) for i, v in enumerate(values))


class EngineTB:
    def __init__(self, dut):
        self.dut = dut
        self.store: dict[int, bytes] = {}
        self.rmem = bytearray(p["MAX_BODY"])
        self.req = None
        tb.start(dut, ("e_start", "e_mode", "e_last", "e_count", "e_fsbase", "cfg_nbytes",
                     "cfg_classes", "cfg_gs", "cfg_width_f", "cfg_base_f", "cls_init_c_f",
                     "cls_init_r_f", "cls_step_c", "cls_step_r", "gw_en", "gw_slot", "gw_addr",
                     "gw_data", "fault_we", "fault_gate", "fault_stuck", "flip_mask", "fs_rword"))

    async def reset(self) -> None:
        await tb.reset(self.dut)
        cocotb.start_soon(self._memories())
        await FallingEdge(self.dut.clk)       # inputs change at falling edges only

    async def _memories(self) -> None:
        """The frame store's read port (registered: the word read at one edge is seen at the
        next) and the result memory's write port."""
        dut = self.dut
        while True:
            await FallingEdge(dut.clk)
            if self.req is not None:
                dut.fs_rword.value = int.from_bytes(self.store.get(self.req, bytes(L)), "little")
            self.req = int(dut.fs_raddr.value) if int(dut.fs_ren.value) else None
            if int(dut.rm_we.value):
                a, n = int(dut.rm_wa.value), int(dut.rm_wn.value)
                self.rmem[a:a + n] = int(dut.rm_wd.value).to_bytes(RECW, "little")[:n]

    async def configure(self, net: Netlist) -> None:
        """What lgn_cmd derives from a CONFIG, and the gates a LOAD writes."""
        dut = self.dut
        widths = net.widths
        bases = np.concatenate(([0], np.cumsum([-(-w // G) for w in widths])))[:-1]
        gs = widths[-1] // net.classes
        dut.cfg_nbytes.value = -(-net.inputs // 8)
        dut.cfg_classes.value, dut.cfg_gs.value = net.classes, gs
        dut.cfg_width_f.value = pack(list(widths) + [0] * (p["MAX_LAYERS"] - len(widths)), 16)
        dut.cfg_base_f.value = pack(list(bases) + [0] * (p["MAX_LAYERS"] - len(widths)), GAW + 1)
        dut.cls_init_c_f.value = pack([q // gs for q in range(G)], CW + 1)
        dut.cls_init_r_f.value = pack([q % gs for q in range(G)], 16)
        dut.cls_step_c.value, dut.cls_step_r.value = G // gs, G % gs
        for k, layer in enumerate(net.layers):
            for i in range(layer.width):
                dut.gw_en.value, dut.gw_slot.value = 1, i % G
                dut.gw_addr.value = int(bases[k]) + i // G
                dut.gw_data.value = (int(layer.op[i]) << (2 * AW)) | (int(layer.b[i]) << AW) | int(layer.a[i])
                await FallingEdge(dut.clk)
        dut.gw_en.value = 0
        self.bases = bases

    async def run(self, net: Netlist, bits: np.ndarray, mode: int, last: int, fsbase: int):
        """One RUN of these samples; returns (record bytes, e_cycles)."""
        dut = self.dut
        packed = P.pack_samples(bits)
        nb = packed.shape[1]
        self.store = {}
        for c in range(0, len(bits), L):                    # lane-major, as lgn_framer stores
            for j in range(nb):
                word = bytearray(L)
                for s in range(c, min(c + L, len(bits))):
                    word[s % L] = packed[s, j]
                self.store[fsbase + (c // L) * nb + j] = bytes(word)
        dut.e_mode.value, dut.e_last.value, dut.e_count.value = mode, last, len(bits)
        dut.e_fsbase.value, dut.e_start.value = fsbase, 1
        await FallingEdge(dut.clk)
        dut.e_start.value = 0
        for _ in range(100_000):
            await FallingEdge(dut.clk)
            if not int(dut.e_busy.value) and not int(dut.e_flush.value):
                break
        else:
            raise AssertionError("the engine is still busy")
        n = int(dut.e_ro.value)
        return bytes(self.rmem[:n]), int(dut.e_cycles.value)


async def check_runs(tb: EngineTB, net: Netlist, bits: np.ndarray, sm: SoftModel | None = None) -> None:
    """Scores and every layer's raw bits, exact to the byte, and the cycle counts."""
    sm = sm or SoftModel(net)
    for mode, last in [(0, len(net.layers) - 1)] + [(1, k) for k in range(len(net.layers))]:
        got, cycles = await tb.run(net, bits, mode, last, fsbase=DEPTH * (last % 2))
        if mode == 0:
            ref = sm.scores(bits)
            want = P.encode_run_reply(0, 0, scores=ref, pred=ref.argmax(1))[P.RUN_REPLY_FIXED_BYTES:]
        else:
            want = P.encode_run_reply(0, 0, bits=sm.layer_bits(bits, last))[P.RUN_REPLY_FIXED_BYTES:]
        assert got == want, f"{net} mode {mode} layer {last}: records {got.hex()} != {want.hex()}"
        assert cycles == run_cycles(net.widths, net.inputs, len(bits), mode, last, L, G), (cycles, mode, last)


CASES = [   # (inputs, widths, classes, samples): the edges of the small build's capacity
    (64, [64, 64, 64], 8, 2 * L + 1), (13, [7, 5, 9, 6], 3, 9), (1, [1], 1, 3),
    (20, [30, 8], 8, L), (33, [40, 40, 40, 24], 8, 3)]


@cocotb.test()
async def random_netlists_bit_exact(dut):
    tb = EngineTB(dut)
    await tb.reset()
    rng = np.random.default_rng(51)
    for inputs, widths, classes, n in CASES:
        net = random_netlist(rng, inputs, widths, classes)
        await tb.configure(net)
        await check_runs(tb, net, rng.integers(0, 2, (n, inputs), dtype=np.uint8))
    # count 0: nothing written, one cycle
    got, cycles = await tb.run(net, np.zeros((0, net.inputs), np.uint8), 0, len(net.layers) - 1, 0)
    assert got == b"" and cycles == 1, (got, cycles)


@cocotb.test()
async def padding_bits_are_zero_after_a_wider_net(dut):
    """Raw layer bits past a layer's width are 0 (docs/protocol.md), also when an earlier,
    wider netlist left outputs in those activation slots."""
    tb = EngineTB(dut)
    await tb.reset()
    rng = np.random.default_rng(52)
    wide = random_netlist(rng, 64, [64, 64], 8)
    wide.layers[0].op[:] = 15                      # every slot of both buffers left at 1
    wide.layers[1].op[:] = 15
    await tb.configure(wide)
    await check_runs(tb, wide, rng.integers(0, 2, (L, 64), dtype=np.uint8))
    narrow = random_netlist(rng, 4, [4, 2], 2)     # the docs' example shape: 4 and 2 bits
    await tb.configure(narrow)
    bits = rng.integers(0, 2, (L + 3, 4), dtype=np.uint8)
    for last in (0, 1):
        got, _ = await tb.run(narrow, bits, 1, last, 0)
        assert all(b >> narrow.widths[last] == 0 for b in got), f"layer {last}: padding bits set in {got.hex()}"
    await check_runs(tb, narrow, bits)


@cocotb.test()
async def stuck_slots_and_flips(dut):
    """A stuck slot outputs its constant in every layer that uses it; a flip mask word
    inverts its slot's gate outputs in the flipped lanes."""
    tb = EngineTB(dut)
    await tb.reset()
    rng = np.random.default_rng(53)
    net = random_netlist(rng, 24, [40, 36, 16], 4)
    await tb.configure(net)
    bits = rng.integers(0, 2, (2 * L - 3, 24), dtype=np.uint8)
    await check_runs(tb, net, bits)
    faulty = copy.deepcopy(net)
    stuck = [(0, 3, 1), (0, 38, 0), (1, 0, 1), (1, 35, 1), (2, 15, 0)]     # (layer, gate, value)
    for k, i, v in stuck:
        dut.fault_we.value, dut.fault_stuck.value = 1, 2 | v
        dut.fault_gate.value = (int(tb.bases[k]) + i // G) * G + i % G
        await FallingEdge(dut.clk)
        faulty.layers[k].op[i] = 15 if v else 0
    dut.fault_we.value = 0
    await check_runs(tb, net, bits, SoftModel(faulty))
    # slot q flipped in every lane: every gate i with i % G == q inverted (not the stuck ones)
    q = 2
    dut.flip_mask.value = ((1 << L) - 1) << (q * L)
    for k, layer in enumerate(faulty.layers):
        for i in range(q, layer.width, G):
            if (k, i) not in {(a, b) for a, b, _ in stuck}:
                layer.op[i] ^= 15
    await check_runs(tb, net, bits, SoftModel(faulty))
