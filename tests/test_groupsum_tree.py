# SPDX-License-Identifier: MIT
"""The shape of GroupSum's adder tree (rtl/gen_groupsum.py), in Python: the leaves and
carry-ins count every bit once, each leaf counts neighbours in netlist order, and the
carry-ins go to the deepest merges first; tables take the first dots in order, within their
address bits and word size, and their words are the dots' sums, and the first adders pair
tables by place. The Verilog itself is tested bit for bit in test_rtl_verify."""
import re

import numpy as np
import pytest

from rtl.gen_groupsum import (ROM_BITS, ROM_MAX, Dot, _cins_by_level, _take, emit, merge_levels, rom_split,
                              tree)


def _dots(rng, n):
    """n dots, dot i reading t[i] (and t[i + 1]): every kind the generator meets."""
    out = []
    for i in range(n):
        k = rng.integers(0, 5)
        if k == 0:
            out.append(Dot.wire(f"t[{i}]", bool(rng.integers(0, 2))))
        elif k == 1:
            out.append(Dot.const(int(rng.integers(0, 2))))
        else:
            out.append(Dot.gate(int(rng.integers(0, 16)), f"t[{i}]", f"t[{i + 1}]"))
    return out


def _value(d, env, mat):
    if d is None:
        return 0
    m = re.fullmatch(r"\w+_m(\d+)", d.a or "")
    if m:
        return _value(mat[int(m.group(1))], env, mat)
    return d.at(env.get(d.a, 0), env.get(d.b, 0))


def test_take_spreads_evenly():
    pool = list(range(100))
    got = _take(pool, 10)
    assert got == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95] and len(pool) == 90
    assert _take(pool, 0) == [] and len(_take(list(range(7)), 7)) == 7


@pytest.mark.parametrize("n", [1, 2, 3, 5, 13, 64, 200, 800])
def test_leaves_and_carry_ins_count_every_bit_once(n):
    rng = np.random.default_rng(n)
    dots = _dots(rng, n)
    t = tree(dots, "c0")
    for _ in range(20):
        env = {f"t[{i}]": int(v) for i, v in enumerate(rng.integers(0, 2, n + 1))}
        total = sum(_value(c, env, t.materialized) for _, c in t.cins)
        for _, lf in t.leaves:
            if lf[0] == "dot":
                total += _value(lf[1], env, t.materialized)
            else:
                ad = lf[1]
                total += _value(ad.cin, env, t.materialized)
                total += sum((_value(x, env, t.materialized) + _value(y, env, t.materialized)) << i
                             for i, (x, y) in enumerate(zip(ad.x + [None] * 2, ad.y + [None] * 2)))
                assert total >= 0 and lf[2] < 2 ** ad.width
        assert total == sum(_value(d, env, t.materialized) for d in dots)


def test_leaves_count_neighbours():
    """Each leaf adder reads dots from one neighbourhood of the class (a pooled tree that
    ignores the order reads from all over it: half the class apart on average). A wide leaf
    needs four one-signal dots, a tenth of this class each kind, so it spans more."""
    n = 800
    t = tree(_dots(np.random.default_rng(5), n), "c0")
    places = [p for p, _ in t.leaves]
    assert places == sorted(places)
    spreads = []
    for place, lf in t.leaves:
        if lf[0] != "adder":
            continue
        ad = lf[1]
        idx = [int(m) for d in ad.x + ad.y + [ad.cin] if d is not None
               for s in d.signals for m in re.findall(r"t\[(\d+)\]", s)]
        if idx:
            spreads.append(max(idx) - min(idx))
            assert min(idx) - 40 <= place <= max(idx) + 40, (place, idx)
    assert np.median(spreads) <= 24 and np.percentile(spreads, 90) <= n / 16, sorted(spreads)[-20:]


def test_carry_ins_go_deepest_first_and_spread():
    levels = merge_levels(37)
    slots = {lv: sum(len(m) == 2 for m in merges) for lv, merges in enumerate(levels, start=2)}
    cins = [(float(p), Dot.wire(f"t[{p}]") if p % 3 else Dot.gate(6, f"t[{p}]", f"t[{p + 1}]"))
            for p in range(0, 300, 10)]
    got = _cins_by_level(levels, cins)
    assert sum(map(len, got.values())) == len(cins)
    assert all(len(got[lv]) <= slots[lv] for lv in slots)
    deepest = sorted(slots, reverse=True)
    full = [lv for lv in deepest if len(got[lv]) == slots[lv]]
    assert full == deepest[:len(full)]                     # no level skipped on the way down
    one = [d for lv in deepest[:len(full)] for _, d in got[lv]]
    assert all(len(d.signals) == 1 for d in one[:8])       # the one-signal dots wait longest
    lv2 = sorted(p for p, _ in got[2])
    assert lv2[0] < 60 and lv2[-1] > 240                  # a level's share spans the places


@pytest.mark.parametrize("n,ports", [(1, 1), (7, 1), (40, 2), (200, 3), (200, 100), (13, 0)])
def test_tables_take_the_first_dots_and_sum_them(n, ports):
    rng = np.random.default_rng(n + ports)
    dots = _dots(rng, n)
    roms, taken = rom_split(dots, ports)
    assert len(roms) <= ports and sum(len(r.dots) for r in roms) == taken
    assert [d for r in roms for d in r.dots] == dots[:taken]          # in order, each once
    assert taken == n or len(roms) == ports
    for r in roms:
        assert 0 < len(r.dots) <= ROM_MAX and len(r.addr) <= ROM_BITS
        assert len(set(r.addr)) == len(r.addr) and {s for d in r.dots for s in d.signals} <= set(r.addr)
        for w in rng.integers(0, 1 << ROM_BITS, 50):
            env = {a: (int(w) >> i) & 1 for i, a in enumerate(r.addr)}
            assert r.word(int(w)) == sum(d.at(env.get(d.a, 0), env.get(d.b, 0)) for d in r.dots)


def test_tables_pair_by_place():
    """With tables, the first adder level adds tables 0 + 1, 2 + 3, ... of each class, the
    order they sit in the block RAMs, whatever their widths (sorting by width would pair
    tables across the row)."""
    C, G, N = 3, 160, 1000
    rng = np.random.default_rng(11)
    # runs of dots over neighbouring signals (15 to a table, 4-bit words) and over signals
    # from all over (5 to a table, 3-bit words)
    classes = [[Dot.gate(int(rng.integers(0, 16)), *(f"taps[{int(x)}]" for x in
                (rng.integers(0, N, 2) if (i // 20) % 2 else (i, i + 1))))
                for i in range(G)] for _ in range(C)]
    v = "\n".join(emit("t", N, classes, G.bit_length(), 2, rom_ports=C * 40)[0])
    for c in range(C):
        widths = {int(w) for w in re.findall(rf"wire \[(\d+):0\] c{c}_l1_r\d+;", v)}
        assert widths == {2, 3}                                 # tables of 3 and 4 bits
        regs = re.search(rf"c{c}_l1o <= {{(.*?)}};", v, re.S).group(1).split(",")
        table = [int(re.search(r"_r(\d+)\[", b).group(1)) for b in reversed(regs)]
        adders = re.findall(rf"assign c{c}_l2_a(\d+) = (.*);", v)
        assert len(adders) == (max(table) + 1) // 2
        for k, rhs in adders:
            ops = [{table[int(i)] for i in re.findall(rf"c{c}_l1o\[(\d+)\]", o)}
                   for o in re.findall(r"{([^}]*)}", rhs)]
            assert sorted(t for op in ops for t in op) == [2 * int(k), 2 * int(k) + 1], (k, ops)
