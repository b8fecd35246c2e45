# SPDX-License-Identifier: MIT
"""cocotb testbench for compiled netlists (run by rtl/compiled_sim.py, not imported directly).

The HDL top is a generated wrapper holding one or more compiled netlists, each with its
own ports `d<i>_in_valid`, `d<i>_in_bits`, `d<i>_out_valid`, `d<i>_out_scores`,
`d<i>_out_class` and a shared `clk`/`rst`. The spec file named by $LGN_TB_SPEC lists, per
design, the .npy file of input bits to drive and the .npz file to write the outputs to.
All designs run side by side in the same clock cycles. Inputs are driven on the falling
edge with a seeded random pattern of idle cycles (in_valid low), outputs are collected
whenever out_valid is high; comparing them with the software model is left to the caller,
which keeps this file free of any reference model.
"""
from __future__ import annotations

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from rtl.gen_verilog import DATA_PORTS


def _rows_to_ints(bits: np.ndarray) -> list[int]:
    """uint8 [n, m] -> one Python int per row with bit i = column i."""
    if bits.shape[0] == 0:
        return []
    packed = np.packbits(bits.astype(np.uint8), axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _u(handle) -> int:
    """The unsigned value of a port (a 1-bit port reads as Logic, wider ones as LogicArray)."""
    v = handle.value
    return v.to_unsigned() if hasattr(v, "to_unsigned") else int(v)


@cocotb.test()
async def compiled_netlists(dut):
    with open(os.environ["LGN_TB_SPEC"]) as f:
        spec = json.load(f)
    rnd = random.Random(spec.get("seed", 1))
    idle = float(spec.get("idle", 0.0))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    designs = []
    for i, d in enumerate(spec["designs"]):
        bits = np.load(d["inputs"])
        designs.append({
            **{name: getattr(dut, f"d{i}_{name}") for name in DATA_PORTS},
            "rows": _rows_to_ints(bits), "next": 0, "scores": [], "classes": [],
            "sw": int(d["score_width"]), "classes_n": int(d["classes"]), "out": d["outputs"],
            "latency": int(d["latency"]),
        })
    dut.rst.value = 1
    for d in designs:
        d["in_valid"].value = 0
        d["in_bits"].value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0

    budget = max((len(d["rows"]) for d in designs), default=0)
    budget = int(budget / max(1e-3, 1.0 - idle)) + 64 + max((d["latency"] for d in designs), default=0)
    for _cycle in range(budget * 2 + 100):
        pending = False
        for d in designs:
            # outputs of the previous rising edge
            if _u(d["out_valid"]):
                d["scores"].append(_u(d["out_scores"]))
                d["classes"].append(_u(d["out_class"]))
            # next input
            if d["next"] < len(d["rows"]) and (idle <= 0 or rnd.random() >= idle):
                d["in_valid"].value = 1
                d["in_bits"].value = d["rows"][d["next"]]
                d["next"] += 1
            else:
                d["in_valid"].value = 0
            pending |= len(d["scores"]) < len(d["rows"])
        if not pending:
            break
        await FallingEdge(dut.clk)
    # a few more cycles: nothing else may come out
    for _ in range(max((d["latency"] for d in designs), default=0) + 2):
        await FallingEdge(dut.clk)
        for d in designs:
            if _u(d["out_valid"]):
                d["scores"].append(_u(d["out_scores"]))
                d["classes"].append(_u(d["out_class"]))

    for d in designs:
        sw, c = d["sw"], d["classes_n"]
        mask = (1 << sw) - 1
        scores = np.array([[(v >> (k * sw)) & mask for k in range(c)] for v in d["scores"]],
                          dtype=np.int32).reshape(-1, c)
        np.savez(d["out"], scores=scores, classes=np.array(d["classes"], dtype=np.int64))
