# SPDX-License-Identifier: MIT
"""Netlist pruning: passes that keep every class score identical and shrink the netlist.

The netlist stays strictly layered (layer k reads only layer k-1), so a pass-through gate
cannot be skipped: it carries a signal across a layer boundary. What can be done:

- `fold`: gates whose inputs are constants, or whose two inputs are the same signal,
  become constant (FALSE/TRUE) or single-input gates (A, NOT_A with a == b). Single-input
  gates are wires or inverters in hardware: they cost no LUT of their own.
- `merge`: identical gates (same op on the same inputs) in a layer become one.
- `sweep`: gates that no gate of the next layer depends on are removed (the last layer
  is kept whole: GroupSum reads all of it). Inputs a gate does not depend on (the b of
  NOT_A, both of TRUE) are not uses.

`prune` runs them to a fixed point and reports gate counts before and after.
"""
from __future__ import annotations

import numpy as np

from host.gates import ANF, N_OPS, depends, truth
from host.netlist import Layer, Netlist

_DEP = np.array([depends(op) for op in range(N_OPS)], dtype=bool)  # [16, 2]


def _restrict(op: int, ca: int | None, cb: int | None, same: bool) -> tuple[int, str]:
    """Gate `op` with input a fixed to ca, b to cb (None = free), or b tied to a.

    Returns (new_op, wiring): wiring 'ab' keeps both inputs, 'a'/'b' reads only that one
    (as op A/NOT_A on a == b), 'const' reads nothing.
    """
    def f(a, b):
        return truth(op, ca if ca is not None else a, cb if cb is not None else (a if same else b))
    table = [f(a, b) for a in (0, 1) for b in (0, 1)]  # f00, f01, f10, f11
    new = (table[0] << 3) | (table[1] << 2) | (table[2] << 1) | table[3]
    da, db = depends(new)
    if not da and not db:
        return new, "const"
    if da and not db:
        return (3 if truth(new, 1, 0) else 12), "a"  # A or NOT_A
    if db and not da:
        return (3 if truth(new, 0, 1) else 12), "b"  # moved to input a
    return new, "ab"


_AB, _A, _B, _CONST = range(4)     # _restrict's wiring, as fold's table holds it
_WIRING = {"ab": _AB, "a": _A, "b": _B, "const": _CONST}


def _fold_table() -> np.ndarray:
    """[op, constant a + 1, constant b + 1, a == b] -> (new op, wiring): _restrict for
    every case, constants as 0/1 and -1 for a free input, so fold works on whole layers."""
    t = np.zeros((N_OPS, 3, 3, 2, 2), dtype=np.int64)
    for op in range(N_OPS):
        for ca in (-1, 0, 1):
            for cb in (-1, 0, 1):
                for same in (0, 1):
                    o, w = _restrict(op, None if ca < 0 else ca, None if cb < 0 else cb, bool(same))
                    t[op, ca + 1, cb + 1, same] = o, _WIRING[w]
    return t


_FOLD = _fold_table()


def fold(net: Netlist) -> tuple[Netlist, int]:
    """Propagate constants and tied inputs; returns (netlist, gates changed)."""
    const = np.full(net.inputs, -1, dtype=np.int8)  # inputs are never constant
    layers, changed = [], 0
    for layer in net.layers:
        a, b, op = layer.a, layer.b, layer.op.astype(np.int64)
        ca = np.where(_DEP[op, 0], const[a], -1)
        cb = np.where(_DEP[op, 1], const[b], -1)
        o, w = _FOLD[op, ca + 1, cb + 1, (a == b).astype(np.int64)].T
        na = np.where(w == _CONST, 0, np.where(w == _B, b, a)).astype(a.dtype)
        nb = np.where(w == _CONST, 0, np.where(w == _A, a, b)).astype(b.dtype)
        changed += int(((o != op) | (na != a) | (nb != b)).sum())
        layers.append(Layer(na, nb, o.astype(layer.op.dtype)))
        const = np.where(w == _CONST, ANF[o, 0], -1).astype(np.int8)   # ANF's k0 is f(0, 0)
    return _with_layers(net, layers), changed


def merge(net: Netlist) -> tuple[Netlist, int]:
    """Let the next layer read the first of any identical gates (sweep then drops the rest)."""
    layers = [Layer(l.a.copy(), l.b.copy(), l.op.copy()) for l in net.layers]
    changed = 0
    for k in range(len(layers) - 1):
        l = layers[k]
        # canonical key: inputs the op ignores are zeroed; commutative pairs keep their order
        key = np.stack([l.op.astype(np.int64),
                        np.where(_DEP[l.op, 0], l.a, 0), np.where(_DEP[l.op, 1], l.b, 0)], 1)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        rep = first[inverse.reshape(-1)].astype(np.int32)
        nxt = layers[k + 1]
        na, nb = rep[nxt.a], rep[nxt.b]
        changed += int((na != nxt.a).sum() + (nb != nxt.b).sum())
        layers[k + 1] = Layer(na, nb, nxt.op)
    return _with_layers(net, layers), changed


def sweep(net: Netlist) -> tuple[Netlist, int]:
    """Remove gates that nothing depends on; returns (netlist, gates removed)."""
    n = len(net.layers)
    used = [None] * n
    used[-1] = np.ones(net.layers[-1].width, dtype=bool)  # GroupSum reads the whole last layer
    for k in range(n - 1, 0, -1):
        l, live = net.layers[k], used[k]
        prev = np.zeros(net.layers[k - 1].width, dtype=bool)
        prev[l.a[live & _DEP[l.op, 0]]] = True
        prev[l.b[live & _DEP[l.op, 1]]] = True
        if not prev.any():
            prev[0] = True  # a layer may not be empty
        used[k - 1] = prev
    layers, removed, remap = [], 0, None
    for k, l in enumerate(net.layers):
        keep = used[k]
        a, b, op = l.a[keep], l.b[keep], l.op[keep]
        if remap is not None:
            # an input the op ignores may point at a removed gate: send it to 0
            a = np.where(_DEP[op, 0], remap[a], 0).astype(np.int32)
            b = np.where(_DEP[op, 1], remap[b], 0).astype(np.int32)
        layers.append(Layer(a, b, op))
        removed += l.width - int(keep.sum())
        remap = np.cumsum(keep, dtype=np.int32) - 1
    return _with_layers(net, layers), removed


def prune(net: Netlist) -> tuple[Netlist, dict]:
    """Fold, merge and sweep to a fixed point; the scores of every input stay identical."""
    before = _counts(net)
    folded = merged = 0
    for _ in range(100):
        net, f = fold(net)
        net, m = merge(net)
        net, s = sweep(net)
        folded, merged = folded + f, merged + m
        if f == m == s == 0:
            break
    after = _counts(net)
    return net, {"gates_before": before["gates"], "gates_after": after["gates"],
                 "logic_before": before["logic"], "logic_after": after["logic"],
                 "wires_after": after["wires"], "constants_after": after["constants"],
                 "widths_before": before["widths"], "widths_after": after["widths"],
                 "folded": folded}


def _counts(net: Netlist) -> dict:
    ops = np.concatenate([l.op for l in net.layers])
    dep = _DEP[ops]
    return {"gates": int(ops.size), "logic": int((dep[:, 0] & dep[:, 1]).sum()),
            "wires": int((dep[:, 0] ^ dep[:, 1]).sum()), "constants": int((~dep[:, 0] & ~dep[:, 1]).sum()),
            "widths": net.widths}


def _with_layers(net: Netlist, layers: list[Layer]) -> Netlist:
    return Netlist(inputs=net.inputs, layers=layers, classes=net.classes, tau=net.tau,
                   encoding=net.encoding, extra=dict(net.extra))
