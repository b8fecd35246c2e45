# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_cmd alone (tests/rtl_tb/build.py CMD: the small core, one result bank).

The testbench plays the framer (pending frames, their bodies in the frame store behind a
one-clock read port), a stand-in gate engine (busy for a random time after e_start, then
e_cycles and e_ro) and the reply streamer (busy for a while after tx_start). Every reply
(type, seq, body) must be the one rtl.protocol.ReferenceBoard gives for the same frames,
RUN replies aside, whose head is the configured tag and the engine's cycles and whose
length is the reference's. Also checked: the configuration the gate engine gets (layer
widths, gate-memory bases, group size, class trackers), every gate write a LOAD makes (none
for a rejected one), what RUN starts, and that CONFIG and RESET hold the framer until their
reply starts."""
from __future__ import annotations

import random
from dataclasses import replace

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, Timer

from host.netlist import random_netlist
from rtl import protocol as P
from rtl.engine import Engine
from rtl.protocol import layouts
from tests.rtl_tb.build import CMD, fs_depth
from tests.rtl_tb import common as tb

p = CMD
L, G = p["LANES"], p["GATES_PER_CYCLE"]
AW = (max(-(-p["MAX_INPUTS"] // 8) * 8, p["MAX_WIDTH"]) - 1).bit_length()
GAW = max(1, (p["MAX_GATES"] // G - 1).bit_length())
CW = max(1, (p["MAX_CLASSES"] - 1).bit_length())
HB = max(P.INFO_BODY_BYTES, P.STATUS_BODY_BYTES, P.ERROR_BODY_BYTES, P.RUN_REPLY_FIXED_BYTES)
DEPTH = fs_depth(p)
KEEP = (P.Cmd.CONFIG, P.Cmd.RESET)     # held until the reply starts



class CmdTB:
    def __init__(self, dut, seed: int):
        self.dut = dut
        self.rng = random.Random(seed)
        self.ref = P.ReferenceBoard(Engine(**{k.lower(): v for k, v in p.items()}))
        self.frames: list = []           # (Frame or BadFrame, body) waiting for the framer
        self.replies: list = []          # (seq, type, len, hlen, head)
        self.writes: list = []           # gate writes (slot, addr, data)
        self.starts: list = []           # (mode, last, count, fsbase)
        self.store: dict[int, bytes] = {}
        self.bank = 0
        self.cycles_total = self.last_cycles = 0
        tb.start(dut, ("fr_pending", "fr_seq", "fr_type", "fr_len", "fr_head", "fr_code",
                     "fr_detail", "fr_base", "fs_rword", "e_busy", "e_flush", "e_cycles", "e_ro", "tx_busy"))

    async def reset(self) -> None:
        await tb.reset(self.dut)
        cocotb.start_soon(self._world())
        await FallingEdge(self.dut.clk)

    async def _world(self) -> None:
        """Everything around the handler. At each falling edge: first what the parts
        registered at the edge just gone (from what the handler drove before it), then the
        new inputs, then (1 ns later, settled) what the handler drives for the next edge."""
        dut, rng = self.dut, self.rng
        fs_req, cur = None, None
        pending, gap, busy, tx_busy = False, 0, 0, 0
        release_seen = tx_seen = e_seen = False
        while True:
            await FallingEdge(dut.clk)
            if fs_req is not None:                   # the frame store's registered read
                dut.fs_rword.value = int.from_bytes(self.store.get(fs_req, bytes(L)), "little")
            if release_seen:                         # the framer drops the frame
                pending, gap = False, rng.randint(0, 3)
            if tx_seen:                              # the reply streamer took the reply
                tx_busy = rng.randint(2, 8)
            elif tx_busy:
                tx_busy -= 1
            if e_seen:                               # the engine runs: e_cycles = clocks busy
                busy = rng.randint(1, 12)
                self.starts.append((int(dut.e_mode.value), int(dut.e_last.value),
                                    int(dut.e_count.value), int(dut.e_fsbase.value)))
                self.last_cycles = busy
                self.cycles_total += busy
                dut.e_cycles.value = busy
                dut.e_ro.value = self._records(*self.starts[-1][:3])
            elif busy:
                busy -= 1
            if not pending and self.frames and gap == 0:
                cur = self.frames.pop(0)
                self._present(*cur)
                pending = True
            elif gap:
                gap -= 1
            dut.fr_pending.value, dut.e_busy.value = int(pending), int(busy > 0)
            dut.tx_busy.value = int(tx_busy > 0)
            await Timer(1, unit="ns")
            fs_req = int(dut.fs_raddr.value) if int(dut.fs_ren.value) else None
            tx_seen = bool(int(dut.tx_start.value))
            if tx_seen:
                self.replies.append((int(dut.rp_seq.value), int(dut.rp_type.value), int(dut.rp_len.value),
                                     int(dut.rp_hlen.value), int(dut.hreg.value).to_bytes(HB, "little")))
            release_seen = pending and bool(int(dut.fr_release.value))
            if release_seen:
                f = cur[0]
                held = isinstance(f, P.Frame) and f.type in KEEP
                assert tx_seen == held, f"{f}: released {'with' if tx_seen else 'before'} its reply"
            e_seen = bool(int(dut.e_start.value))
            if int(dut.gw_en.value):
                self.writes.append((int(dut.gw_slot.value), int(dut.gw_addr.value), int(dut.gw_data.value)))

    def _present(self, f, body: bytes) -> None:
        dut = self.dut
        base = self.bank * DEPTH
        self.bank ^= 1
        for w in range(0, len(body), L):
            self.store[base + w // L] = body[w:w + L].ljust(L, b"\0")
        good = isinstance(f, P.Frame)
        dut.fr_seq.value, dut.fr_type.value, dut.fr_base.value = f.seq, f.type, base
        dut.fr_len.value = len(body)
        dut.fr_head.value = int.from_bytes(body[:P.RUN_FIXED_BYTES].ljust(P.RUN_FIXED_BYTES, b"\0"), "little")
        dut.fr_code.value = 0 if good else int(f.code)
        dut.fr_detail.value = 0 if good else f.detail

    def _records(self, mode: int, last: int, count: int) -> int:
        c = self.ref.config
        return P.run_reply_bytes(mode, count, c.classes, c.widths[last] if mode else 0) - P.RUN_REPLY_FIXED_BYTES

    async def command(self, seq: int, ftype: int, body: bytes = b"", bad=None) -> tuple:
        """One frame (or a framer error `bad` = (code, detail)); returns (reference reply, ours)."""
        f = P.Frame(seq, ftype, bytes(body)) if bad is None else P.BadFrame(bad[0], seq, ftype, bad[1], b"")
        n = len(self.replies)
        self.frames.append((f, bytes(body)))
        want = P.decode_frame(self.ref.handle(f)[:-1])
        for _ in range(20000):
            if len(self.replies) > n:
                break
            await FallingEdge(self.dut.clk)
        else:
            raise AssertionError(f"no reply to {f}")
        seq_, rtype, blen, hlen, head = self.replies[n]
        assert (seq_, rtype) == (want.seq, want.type), (f, self.replies[n], want)
        if rtype == P.Cmd.RUN | P.REPLY_FLAG:       # records from the engine, not compared here
            assert (hlen, blen) == (P.RUN_REPLY_FIXED_BYTES, len(want.body)), (hlen, blen, len(want.body))
            tag = layouts.RUN_REPLY.unpack_from(want.body)[0]
            assert head[:hlen] == layouts.RUN_REPLY.pack(tag, self.last_cycles), (head[:hlen].hex(), tag)
        elif rtype == P.Cmd.STATUS | P.REPLY_FLAG:
            got, ref = P.Status.unpack(head[:blen]), P.Status.unpack(want.body)
            assert replace(got, busy_cycles=0, idle_cycles=0) == replace(ref, busy_cycles=0, idle_cycles=0), (got, ref)
            assert got.busy_cycles == self.cycles_total and got.idle_cycles > 0, (got, self.cycles_total)
        else:
            assert blen == hlen and head[:blen] == want.body, (f, head[:blen].hex(), want.body.hex())
        if rtype == P.Cmd.RESET | P.REPLY_FLAG:
            self.cycles_total = 0
        return want, head[:blen]

    def check_config(self, net) -> None:
        """What the gate engine is given for this netlist."""
        dut = self.dut
        widths = net.widths
        gs = widths[-1] // net.classes
        assert int(dut.cfg_valid.value) == 1
        assert (int(dut.cfg_nbytes.value), int(dut.cfg_classes.value), int(dut.cfg_gs.value)) == \
            (-(-net.inputs // 8), net.classes, gs)
        bases = np.concatenate(([0], np.cumsum([-(-w // G) for w in widths])))
        wf, bf = int(dut.cfg_width_f.value), int(dut.cfg_base_f.value)
        assert [tb.field(wf, k, 16) for k in range(len(widths))] == list(widths), hex(wf)
        assert [tb.field(bf, k, GAW + 1) for k in range(len(widths))] == list(bases[:-1]), hex(bf)
        cf, rf = int(dut.cls_init_c_f.value), int(dut.cls_init_r_f.value)
        assert [(tb.field(cf, q, CW + 1), tb.field(rf, q, 16)) for q in range(G)] == [divmod(q, gs) for q in range(G)]
        assert (int(dut.cls_step_c.value), int(dut.cls_step_r.value)) == divmod(G, gs)
        self.bases = bases

    def expected_writes(self, layer: int, first: int, a, b, op) -> list:
        return [((first + g) % G, int(self.bases[layer]) + (first + g) // G,
                 (int(op[g]) << (2 * AW)) | (int(b[g]) << AW) | int(a[g])) for g in range(len(op))]


def cfg(inputs, widths, classes, tag=5) -> bytes:
    return P.Config(inputs, tuple(widths), classes, tag).pack()


@cocotb.test()
async def replies_match_the_reference_board(dut):
    tb = CmdTB(dut, seed=61)
    await tb.reset()
    E, C = P.Err, P.Cmd
    x = np.zeros((2, 2), np.uint8)
    # no body expected, unknown types, framer errors, not configured
    for ftype, body in [(C.INFO, b""), (C.STATUS, b""), (C.INFO, b"\1"), (C.RESET, b"ab"),
                        (C.STATUS, bytes(40)), (0x00, b""), (0x7F, b"xyz"), (0x85, b""),
                        (C.RUN, P.encode_run(0, 0, x)), (C.LOAD, P.encode_load(0, 0, [0], [0], [1]))]:
        await tb.command(1, ftype, body)
    for code, detail in [(E.BAD_CRC, 9), (E.BAD_COBS, 0), (E.FRAME_TOO_LONG, 512), (E.BAD_LENGTH, 3)]:
        await tb.command(2, C.INFO, b"", bad=(code, detail))
    # CONFIG: every capacity and argument error, then good ones
    for inputs, widths, classes, tag in [(65, [8], 8, 5), (8, [72], 8, 5), (8, [8] * 5, 8, 5),
                                         (8, [18], 9, 5), (8, [64, 64, 61, 4], 4, 5),
                                         (0, [8], 8, 5), (8, [8, 0, 8], 8, 5), (8, [9], 2, 5),
                                         (8, [8], 0, 5), (8, [8], 8, 0), (8, [], 1, 5)]:
        await tb.command(3, C.CONFIG, cfg(inputs, widths, classes, tag))
        assert int(dut.cfg_valid.value) == 0
    for body in (cfg(8, [8, 8], 8)[:-1], cfg(8, [8], 8) + b"\0", b"\1\0\1"):
        await tb.command(3, C.CONFIG, body)
    rng = np.random.default_rng(61)
    for inputs, widths, classes in [(13, [7, 5, 9, 6], 3), (64, [64, 64, 64], 8), (20, [30, 8], 8),
                                    (1, [1], 1), (10, [16, 8], 4)]:
        net = random_netlist(rng, inputs, widths, classes)
        await tb.command(4, C.CONFIG, cfg(inputs, widths, classes, tag=0x1000 + inputs))
        tb.check_config(net)
        # LOAD: every layer in shuffled chunks; each gate written where the engine reads it
        per = P.max_load_count(p["MAX_BODY"])
        for k, layer in enumerate(net.layers):
            chunks = list(range(0, layer.width, 7))
            random.Random(k).shuffle(chunks)
            for s in chunks:
                e = s + 7
                tb.writes.clear()
                await tb.command(5, C.LOAD, P.encode_load(k, s, layer.a[s:e], layer.b[s:e], layer.op[s:e]))
                assert tb.writes == tb.expected_writes(k, s, layer.a[s:e], layer.b[s:e], layer.op[s:e])
        assert per >= 7
    # rejected LOADs write nothing
    prevw = net.inputs
    for body in [P.encode_load(2, 0, [0], [0], [1]), P.encode_load(0, 15, [0, 1], [0, 1], [1, 1]),
                 P.encode_load(0, 1, [0, prevw], [0, 1], [1, 1]), P.encode_load(1, 0, [0, 1], [0, 16], [1, 2]),
                 P.encode_load(0, 3, [1, 2], [2, 3], [3, 16]), P.encode_load(0, 0, [1], [2], [3])[:-1],
                 b"\0\0\0"]:
        tb.writes.clear()
        await tb.command(6, C.LOAD, body)
        assert tb.writes == [], tb.writes
    # RUN: errors, then good ones start the engine with the frame's buffer
    for body in [P.encode_run(2, 0, np.zeros((2, 2), np.uint8)), P.encode_run(1, 2, np.zeros((2, 2), np.uint8)),
                 P.encode_run(0, 0, np.zeros((2, 2), np.uint8))[:-1], b"\0\0",
                 P.encode_run(0, 0, np.zeros((60, 2), np.uint8))]:
        await tb.command(7, C.RUN, body)
    for mode, layer, count in [(0, 0, 3), (1, 0, 17), (1, 1, 1), (0, 0, 0), (0, 1, 40)]:
        n = len(tb.starts)
        await tb.command(8, C.RUN, P.encode_run(mode, layer, np.zeros((count, 2), np.uint8)))
        assert tb.starts[n:] == [(mode, layer if mode else 1, count, tb.starts[n][3])], tb.starts[n:]
        assert tb.starts[n][3] in (0, DEPTH)
    await tb.command(9, C.STATUS)
    await tb.command(9, C.INFO)
    await tb.command(10, C.RESET)
    await tb.command(11, C.INFO)
    await tb.command(12, C.STATUS)


@cocotb.test()
async def random_frames_match_the_reference_board(dut):
    """Random commands with random (mostly small, often malformed) bodies."""
    tb = CmdTB(dut, seed=62)
    await tb.reset()
    rng = random.Random(62)
    for i in range(250):
        ftype = rng.choice(list(P.Cmd) + [0x42])
        if ftype == P.Cmd.CONFIG and rng.random() < 0.6:
            layers = rng.randint(0, 5)
            classes = rng.choice([0, 1, 2, 3, 4, 8, 9])
            widths = [rng.choice([0, 1, 3, 4, 8, 12, 16, 64, 65]) for _ in range(layers)]
            body = layouts.CONFIG.pack(rng.choice([0, 1, 9, 64, 65]), layers, classes, rng.choice([0, 7])) \
                + b"".join(w.to_bytes(2, "little") for w in widths)
        elif ftype == P.Cmd.LOAD and rng.random() < 0.7:
            n = rng.randint(0, 4)
            body = layouts.LOAD.pack(rng.randint(0, 4), rng.randint(0, 9), n) + bytes(
                b for _ in range(n) for b in layouts.GATE.pack(rng.randint(0, 12), rng.randint(0, 12), rng.randint(0, 17)))
        elif ftype == P.Cmd.RUN and rng.random() < 0.7:
            nb = P.sample_bytes(tb.ref.config.inputs) if tb.ref.config else 1
            count = rng.randint(0, 9)
            body = layouts.RUN.pack(rng.choice([0, 0, 1, 2]), rng.randint(0, 4), count) + bytes(count * nb)
        else:
            body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 0, 1, 5, 11])))
        body = body[:rng.randint(len(body) - 1, len(body))] if body and rng.random() < 0.2 else body
        await tb.command(i & 0xFF, ftype, body)
    await tb.command(0, P.Cmd.STATUS)
