# SPDX-License-Identifier: MIT
"""The one gate table: every derived form agrees with the truth table on all 16 x 4 cases."""
import itertools

import numpy as np
import pytest

from host import gates


def test_named_ops_match_contract():
    # DESIGN.md contract 1
    expect = {0: "FALSE", 1: "AND", 3: "A", 5: "B", 6: "XOR", 7: "OR", 8: "NOR", 9: "XNOR",
              14: "NAND", 15: "TRUE"}
    for op, name in expect.items():
        assert gates.NAMES[op] == name
    assert gates.truth(0b0111, 0, 0) == 0 and gates.truth(0b0111, 1, 1) == 1


@pytest.mark.parametrize("op", range(16))
def test_all_forms_agree(op):
    k = gates.ANF[op]
    c = gates.RELAXED_COEFFS[op]
    for a, b in itertools.product((0, 1), repeat=2):
        f = (op >> (3 - 2 * a - b)) & 1
        assert gates.apply_int(op, a, b) == f
        assert (k[0] ^ (k[1] & a) ^ (k[2] & b) ^ (k[3] & a & b)) == f, (op, a, b)
        assert c[0] + c[1] * a + c[2] * b + c[3] * a * b == f, (op, a, b)
        expr = gates.verilog_expr(op, "a", "b")
        py = (expr.replace("1'b1", "1").replace("1'b0", "0").replace("~a", "(1-a)")
              .replace("~b", "(1-b)").replace("~(", "1-("))
        assert eval(py, {"a": a, "b": b}) & 1 == f, (op, expr)


def test_anf_masks_word_parallel(rng):
    ops = np.arange(16, dtype=np.uint8)
    a = rng.integers(0, 2**63, 16, dtype=np.uint64)
    b = rng.integers(0, 2**63, 16, dtype=np.uint64)
    k0, k1, k2, k3 = gates.anf_masks(ops)
    out = k0 ^ (k1 & a) ^ (k2 & b) ^ (k3 & a & b)
    for op in range(16):
        for bit in range(64):
            va, vb = int(a[op] >> np.uint64(bit)) & 1, int(b[op] >> np.uint64(bit)) & 1
            assert (int(out[op]) >> bit) & 1 == gates.truth(op, va, vb)


def test_multilinear_extension_inside_cube():
    # OR(a, b) = a + b - ab: the relaxed gate is the multilinear extension
    c = gates.RELAXED_COEFFS[gates.OR]
    a, b = 0.3, 0.6
    assert abs(c[0] + c[1] * a + c[2] * b + c[3] * a * b - (a + b - a * b)) < 1e-6
