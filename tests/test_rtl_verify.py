# SPDX-License-Identifier: MIT
"""Compiled RTL == software model, bit for bit, in Verilator driven by cocotb.

Many netlists share one Verilator build (rtl.compiled_sim): 220 random netlists of varied
depth, width, class count, group size (1 to 13, mostly not powers of two), input count,
register spacing and gate mix (uniform, wire-heavy, constant-heavy), a fifth of them (of
every kind) with GroupSum tables (block RAM in the ECP5 form) for some or all of their bits,
each with its own random inputs and idle cycles; four with groups of 49 to 150 bits (deep
adder trees, carry-ins on several levels); plus the trained digits, mnist5k and mnist5k-2000
netlists on 1,000+ inputs each. A design with one gate deliberately changed must be caught.
"""
import re
import time
from pathlib import Path

import numpy as np
import pytest

from host.netlist import Netlist, random_netlist
from rtl import compiled_sim
from rtl.gen_verilog import generate
from tests.helpers import lgn

pytestmark = [pytest.mark.needs("verilator"),
              pytest.mark.slow(seconds=555)]   # (the whole file's time on a fresh clone, for scheduling)
DATA = Path(__file__).resolve().parent / "data"
N_RANDOM = 220
# (classes, group size) of random netlists with large groups
WIDE = [(2, 49), (3, 97), (2, 150), (1, 120)]
KINDS = 6   # random_case's shapes: netlist i is of kind i % KINDS


def random_case(rng, i):
    """One random netlist shape; the kinds cycle so every kind is well represented."""
    kind = i % KINDS
    classes = int(rng.integers(1, 8))
    group = int(rng.integers(1, 14))
    inputs = int(rng.integers(1, 70))
    if kind == 0:    # deep and narrow
        depth = int(rng.integers(6, 13))
        widths = [int(rng.integers(1, 5)) for _ in range(depth - 1)]
    elif kind == 1:  # width-1 layers somewhere
        depth = int(rng.integers(2, 6))
        widths = [1 if rng.random() < 0.5 else int(rng.integers(1, 20)) for _ in range(depth - 1)]
    else:
        depth = int(rng.integers(1, 7))
        widths = [int(rng.integers(1, 48)) for _ in range(depth - 1)]
    widths.append(classes * group)
    net = random_netlist(rng, inputs, widths, classes)
    if kind == 3:    # wire-heavy: pass-throughs and inverters chained across registers
        for l in net.layers:
            m = rng.random(l.width) < 0.7
            l.op[m] = rng.choice([3, 5, 10, 12], int(m.sum()))
    elif kind == 4:  # constant-heavy and tied inputs
        for l in net.layers:
            m = rng.random(l.width) < 0.4
            l.op[m] = rng.choice([0, 15, 1, 6], int(m.sum()))
            t = rng.random(l.width) < 0.3
            l.b[t] = l.a[t]
    register_every = int(rng.integers(1, 5))
    prune = bool(i % 7 != 5)  # some designs skip pruning: the emitter must cope alone
    return net, register_every, prune


@pytest.fixture(scope="module")
def random_batch(tmp_path_factory):
    rng = np.random.default_rng(2024)
    nets, designs, inputs = [], [], []
    for i in range(N_RANDOM):
        net, k, prune = random_case(rng, i)
        nets.append(net)
        # tables: from one per class to three (enough for every bit of most groups), on every
        # fifth netlist (5 and KINDS are coprime: every kind gets tables)
        brams = int(rng.integers(net.classes // 2 + 1, 2 * net.classes)) if i % 5 == 0 else 0
        designs.append(generate(net, name=f"rnd{i}", register_every=k, prune=prune, brams=brams))
        n = int(rng.integers(30, 90))
        inputs.append(rng.integers(0, 2, (n, net.inputs), dtype=np.uint8))
    for i, (classes, group) in enumerate(WIDE):
        net = random_netlist(rng, 40, [int(rng.integers(20, 80)), classes * group], classes)
        nets.append(net)
        designs.append(generate(net, name=f"wide{i}", register_every=1 + i % 2, brams=3 * classes * (i % 2)))
        inputs.append(rng.integers(0, 2, (60, net.inputs), dtype=np.uint8))
    # A saboteur: a netlist whose last layer is all XOR, emitted with one counted XOR
    # inverted in its adder (portable form) and in its CCU2C (the ECP5 form: a position
    # half's whole INIT inverted is ~x ^ y with generate ~x); every sample must then mismatch.
    sab = random_netlist(rng, 16, [24, 12], 3)
    sab.layers[-1].op[:] = 6
    bad = generate(sab, name="saboteur", register_every=2)
    m = re.search(r"\{1'b0, (taps\[\d+\] \^ taps\[\d+\])\}", bad.verilog)
    assert m, "no counted XOR to sabotage"
    text = bad.verilog[:m.start()] + f"{{1'b0, ~({m.group(1)})}}" + bad.verilog[m.end():]
    # a position half: its LUT's upper half (D = 1) is p = x ^ y, where a carry half's is 0
    m = next((m for m in re.finditer(r"\.INIT[01]\(16'h([0-9A-F]{4})\)", text)
              if int(m.group(1), 16) & 0xFF00), None)
    assert m, "no position half to sabotage"
    bad.verilog = text[:m.start(1)] + f"{int(m.group(1), 16) ^ 0xFFFF:04X}" + text[m.end(1):]
    bad_inputs = rng.integers(0, 2, (200, sab.inputs), dtype=np.uint8)
    all_designs = designs + [bad]
    build_dir = tmp_path_factory.mktemp("rtl_random")
    t0 = time.perf_counter()
    model = compiled_sim.build(all_designs)
    t_build = time.perf_counter() - t0
    results = compiled_sim.run(model, build_dir, all_designs, inputs + [bad_inputs], idle=0.25, seed=7)
    # the same designs as `lgn synth` builds them for the ECP5: the adders as CCU2C chains
    # (half of them, to keep the suite's time: two in every four, so that every kind is in)
    half = [i for i in range(N_RANDOM) if i % 4 < 2] + list(range(N_RANDOM, len(designs)))
    ecp5 = [designs[i] for i in half] + [bad]
    model = compiled_sim.build(ecp5, carry="ecp5")
    res_ecp5 = compiled_sim.run(model, tmp_path_factory.mktemp("rtl_random_ecp5"), ecp5,
                                [inputs[i] for i in half] + [bad_inputs], idle=0.25, seed=8)
    ecp5_results = dict(zip(half, res_ecp5))
    ecp5_results["saboteur"] = res_ecp5[-1]
    return nets, designs, inputs, results, (sab, bad_inputs), t_build, ecp5_results


def test_random_netlists_bit_exact(random_batch):
    nets, designs, inputs, results, *_ = random_batch
    assert len(nets) >= 200
    kinds = {(len(n.layers) >= 6, n.classes == 1, 1 in n.widths, n.group_size & (n.group_size - 1) != 0)
             for n in nets}
    assert any(k[0] for k in kinds) and any(k[1] for k in kinds)
    assert any(k[2] for k in kinds) and any(k[3] for k in kinds)
    failures = []
    total = 0
    for i, (net, x, got) in enumerate(zip(nets, inputs, results)):
        chk = compiled_sim.compare(net, x, got)
        total += chk.samples
        if chk.mismatches:
            failures.append((i, net, designs[i].register_every, chk.mismatches, chk.missing))
    assert not failures, failures[:5]
    assert total > 200 * 30


def test_random_netlists_bit_exact_on_ecp5_carry_chains(random_batch):
    """The CCU2C and DP16KD form (compiled_sim.ECP5_MODELS model the cells) gives the same bits."""
    nets, designs, inputs, *_, ecp5 = random_batch
    failures = []
    for i, got in ecp5.items():
        if i == "saboteur":
            continue
        chk = compiled_sim.compare(nets[i], inputs[i], got)
        if chk.mismatches:
            failures.append((i, nets[i], chk.mismatches, chk.missing))
    assert len(ecp5) > 100 and not failures, failures[:5]
    assert {i % KINDS for i in ecp5 if i != "saboteur" and i < N_RANDOM} == set(range(KINDS))
    groups = {nets[i].group_size for i in ecp5 if i != "saboteur"}
    assert 1 in groups and any(g & (g - 1) for g in groups)   # groups of 1, not powers of 2
    tabled = [i for i in ecp5 if i != "saboteur" and designs[i].brams]
    assert len(tabled) > 20 and any(0 < designs[i].table_bits < nets[i].outputs for i in tabled)
    assert {i % KINDS for i in tabled if i < N_RANDOM} == set(range(KINDS))
    assert any(designs[i].table_bits == nets[i].outputs for i in tabled)
    groups = {nets[i].group_size for i in tabled}
    assert 1 in groups and any(g & (g - 1) for g in groups)


def test_saboteur_is_caught(random_batch):
    """The comparison is not vacuous: one inverted gate shows up as mismatches."""
    *_, (net, bits), _, ecp5 = random_batch
    for got in (random_batch[3][-1], ecp5["saboteur"]):
        chk = compiled_sim.compare(net, bits, got)
        assert chk.samples == 200 and chk.missing == 0
        assert chk.mismatches == 200


def test_one_sample_per_clock_and_latency(random_batch):
    """Outputs come out in order, one per accepted input, none extra."""
    nets, designs, inputs, results, *_ = random_batch
    for x, got in zip(inputs, results):
        assert len(got.scores) == len(x)


def _trained(name):
    p = DATA / f"{name}.netlist.json"
    if not p.exists():
        pytest.skip(f"{p} is not in the repository yet")
    return Netlist.load(p)


@pytest.mark.parametrize("name,register_every,carry,brams", [
    ("digits", 1, "portable", 0),
    # `lgn synth --board ulx3s-85f` puts every digits bit on 304 tables (--brams 208): Verilator
    # builds a module per block RAM contents, so that build takes minutes; 20 blocks here, and
    # every bit on tables in the random netlists
    ("digits", 1, "ecp5", 20),
    ("mnist5k-2000", 2, "ecp5", 40),  # some bits in tables, the rest on carry chains
    ("mnist5k", 4, "portable", 0),    # 20,000 gates: about a minute of Verilator build
])
def test_trained_netlist_bit_exact(tmp_path, name, register_every, carry, brams):
    """Dataset test samples plus random bits, >= 1,000 inputs, through `lgn rtl --verify`. The
    file is named netlist.json, as `lgn train` names it, so the digits design is the very one
    `lgn demo` verifies: the build cache compiles it once for both."""
    from host import datasets
    from host.encoding import encode
    net = _trained(name)
    ds = datasets.load(net.extra["dataset"])
    x = encode(net.encoding, ds.x_test)[:1000]
    rnd = np.random.default_rng(1).integers(0, 2, (1000 - len(x) + 200, net.inputs), dtype=np.uint8)
    x = np.concatenate([x, rnd]).astype(np.uint8)
    assert len(x) >= 1000
    np.save(tmp_path / "x.npy", x)
    net.save(tmp_path / "netlist.json")
    r = lgn("rtl", tmp_path / "netlist.json", "--out", tmp_path / "rtl", "--verify",
            "--register-every", register_every, "--bits", tmp_path / "x.npy", "--carry", carry,
            "--brams", brams, "--json", check=None)
    chk = r.json
    assert chk["samples"] >= 1000
    assert r.code == 0 and chk["mismatches"] == 0, (net, chk["score_mismatches"], chk["class_mismatches"],
                                                    chk["missing"])
