# SPDX-License-Identifier: MIT
"""The one gate table of lgn-hil.

A gate op is a 4-bit number whose bits are its truth table (DESIGN.md, contract 1):

    bit3 = f(0,0)   bit2 = f(0,1)   bit1 = f(1,0)   bit0 = f(1,1)

    op  name      f(0,0) f(0,1) f(1,0) f(1,1)   relaxed (multilinear) form
     0  FALSE       0      0      0      0      0
     1  AND         0      0      0      1      ab
     2  A_AND_NOT_B 0      0      1      0      a - ab
     3  A           0      0      1      1      a
     4  NOT_A_AND_B 0      1      0      0      b - ab
     5  B           0      1      0      1      b
     6  XOR         0      1      1      0      a + b - 2ab
     7  OR          0      1      1      1      a + b - ab
     8  NOR         1      0      0      0      1 - a - b + ab
     9  XNOR        1      0      0      1      1 - a - b + 2ab
    10  NOT_B       1      0      1      0      1 - b
    11  A_OR_NOT_B  1      0      1      1      1 - b + ab
    12  NOT_A       1      1      0      0      1 - a
    13  NOT_A_OR_B  1      1      0      1      1 - a + ab
    14  NAND        1      1      1      0      1 - ab
    15  TRUE        1      1      1      1      1

Everything else is derived from the op number here: the relaxed coefficients used
in training, the bitwise algebraic normal form used by the software model, and the
Verilog expression used by the RTL generator. Nothing else in the project spells
out a gate.
"""
from __future__ import annotations

import numpy as np

NAMES = (
    "FALSE", "AND", "A_AND_NOT_B", "A", "NOT_A_AND_B", "B", "XOR", "OR",
    "NOR", "XNOR", "NOT_B", "A_OR_NOT_B", "NOT_A", "NOT_A_OR_B", "NAND", "TRUE",
)
N_OPS = 16
FALSE, AND, A, B, XOR, OR, NOR, XNOR, NOT_B, NOT_A, NAND, TRUE = 0, 1, 3, 5, 6, 7, 8, 9, 10, 12, 14, 15


def truth(op: int, a: int, b: int) -> int:
    """f(a, b) for gate `op`: bit (3 - 2a - b) of the op."""
    return (op >> (3 - 2 * a - b)) & 1


def apply_int(op: int, a: int, b: int) -> int:
    """Evaluate one gate on single bits (the readable reference)."""
    return truth(op, a & 1, b & 1)


def _relaxed_coefficients() -> np.ndarray:
    """C[op] = (c0, c1, c2, c3) with f(a,b) = c0 + c1 a + c2 b + c3 ab on [0,1]^2."""
    c = np.zeros((N_OPS, 4), dtype=np.float32)
    for op in range(N_OPS):
        f00, f01, f10, f11 = (truth(op, 0, 0), truth(op, 0, 1), truth(op, 1, 0), truth(op, 1, 1))
        c[op] = (f00, f10 - f00, f01 - f00, f11 - f10 - f01 + f00)
    return c


def _anf() -> np.ndarray:
    """K[op] = (k0, k1, k2, k3) with f(a,b) = k0 ^ k1&a ^ k2&b ^ k3&a&b over GF(2)."""
    k = np.zeros((N_OPS, 4), dtype=np.uint8)
    for op in range(N_OPS):
        f00, f01, f10, f11 = (truth(op, 0, 0), truth(op, 0, 1), truth(op, 1, 0), truth(op, 1, 1))
        k[op] = (f00, f00 ^ f10, f00 ^ f01, f00 ^ f01 ^ f10 ^ f11)
    return k


#: float32 [16, 4]: the multilinear coefficients of every gate (training).
RELAXED_COEFFS = _relaxed_coefficients()
#: uint8 [16, 4]: the GF(2) algebraic normal form of every gate (bit-sliced evaluation).
ANF = _anf()


def anf_masks(ops: np.ndarray, dtype=np.uint64) -> tuple[np.ndarray, ...]:
    """Per-gate all-ones/all-zeros masks (k0, k1, k2, k3) for word-parallel evaluation."""
    ones = np.array(~np.zeros((), dtype=dtype), dtype=dtype)
    k = ANF[np.asarray(ops, dtype=np.int64)]
    return tuple(np.where(k[:, i] != 0, ones, dtype(0)).astype(dtype) for i in range(4))


def depends(op: int) -> tuple[bool, bool]:
    """Whether gate `op` depends on input a, and on input b."""
    da = any(truth(op, 0, b) != truth(op, 1, b) for b in (0, 1))
    db = any(truth(op, a, 0) != truth(op, a, 1) for a in (0, 1))
    return da, db


def verilog_expr(op: int, a: str, b: str) -> str:
    """A Verilog expression for gate `op` on 1-bit signals `a` and `b`.

    Derived from the truth table: constants and single-input gates reduce to a
    literal, a wire or its inverse; the rest is the sum of minterms, which synthesis
    maps into one LUT anyway. Keeping the expression small keeps the generated RTL
    readable.
    """
    da, db = depends(op)
    if not da and not db:
        return "1'b1" if truth(op, 0, 0) else "1'b0"
    if not db:
        return a if truth(op, 1, 0) else f"~{a}"
    if not da:
        return b if truth(op, 0, 1) else f"~{b}"
    special = {AND: f"{a} & {b}", OR: f"{a} | {b}", XOR: f"{a} ^ {b}", NAND: f"~({a} & {b})",
               NOR: f"~({a} | {b})", XNOR: f"~({a} ^ {b})"}
    if op in special:
        return special[op]
    terms = []
    for va in (0, 1):
        for vb in (0, 1):
            if truth(op, va, vb):
                terms.append(f"{a if va else '~' + a} & {b if vb else '~' + b}")
    return " | ".join(f"({t})" for t in terms)
