# SPDX-License-Identifier: MIT
"""Relaxed logic-gate layers (torch).

Each node holds logits over the 16 gates of host.gates. Every gate's multilinear form is
c0 + c1*a + c2*b + c3*a*b, so the softmax mix of the 16 gates is itself
    y = c0 + c1*a + c2*b + c3*a*b   with   (c0..c3) = softmax(logits) @ RELAXED_COEFFS,
four coefficients per node instead of 16 gate evaluations. In eval mode each node uses
its argmax gate, which on 0/1 inputs gives exactly the discrete netlist's bits.

Two implementations of that formula: `python` (plain torch ops, readable, autograd does
the rest) and `fused` (one C kernel for forward and one for backward, host.fused), which
is the default when a C compiler is available.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from host.gates import N_OPS, RELAXED_COEFFS
from host.train_config import CONNECTIONS

A_GATE = 3  # pass-through of input a: what residual init favours


def make_connections(in_dim: int, out_dim: int, kind: str, generator: torch.Generator | None = None,
                     grid: tuple[int, int] | None = None, groups: int | None = None, window: int = 0):
    """Input indices (a, b) of each node.

    random: like difflogic, a random permutation of 2*out_dim slots spread over the inputs.
    unique: every input is used before any is used twice, and a != b for every node.
    local: wiring a placer can keep short. Both layers are laid evenly over the `grid`
    (h, w) of the input image (`local_positions`), and each node reads the two least-used
    nodes of the layer before within a window of +-r pixels around its own (r = `window`, or
    with 0 max(h, w) / 14, at least 1: 2 on 28 x 28, where 4 was no more accurate and needed a
    third more wire). `groups` (the last layer's classes) interleaves the groups, so that
    every class still sees the whole image.
    """
    if kind == "local":
        return _local(in_dim, out_dim, grid or (1, in_dim), groups, generator, window)
    if kind == "random":
        c = torch.randperm(2 * out_dim, generator=generator) % in_dim
        c = torch.randperm(in_dim, generator=generator)[c]
        a, b = c.reshape(2, out_dim)
    elif kind == "unique":
        reps = -(-2 * out_dim // in_dim)
        c = torch.cat([torch.randperm(in_dim, generator=generator) for _ in range(reps)])[: 2 * out_dim]
        a, b = c[:out_dim].clone(), c[out_dim:].clone()
        if in_dim > 1:
            same = a == b
            # move b to another input where it equals a (keeps coverage almost untouched)
            shift = torch.randint(1, in_dim, (int(same.sum()),), generator=generator)
            b[same] = (b[same] + shift) % in_dim
    else:
        raise ValueError(f"unknown connections {kind!r} ({', '.join(CONNECTIONS)})")
    return a.long(), b.long()


def local_positions(n: int, grid: tuple[int, int], groups: int | None = None) -> np.ndarray:
    """The pixel (row-major index into `grid`) of each of n nodes laid evenly over it; with
    `groups`, node j of group j // (n / groups) sits where the groups interleave. For the
    thermometer-coded input, this puts each bit on its own pixel (bits are feature-major)."""
    idx = np.arange(n)
    if groups:
        g = n // groups
        idx = (idx % g) * groups + idx // g
    return idx * (grid[0] * grid[1]) // n


def _local(in_dim, out_dim, grid, groups, generator, window):
    h, w = grid
    rng = np.random.default_rng(int(torch.randint(0, 2 ** 31, (1,), generator=generator)))
    by_pixel = [[] for _ in range(h * w)]
    for i, p in enumerate(local_positions(in_dim, grid)):
        by_pixel[p].append(i)
    r0 = window or max(1, round(max(h, w) / 14))
    windows: dict[int, np.ndarray] = {}

    def candidates(p):
        if p not in windows:
            y, x = divmod(int(p), w)
            r = r0
            while True:   # widen where the layer before is too sparse for two inputs
                cand = [i for yy in range(max(0, y - r), min(h, y + r + 1))
                        for xx in range(max(0, x - r), min(w, x + r + 1)) for i in by_pixel[yy * w + xx]]
                if len(cand) >= min(2, in_dim) or r > max(h, w):
                    break
                r += 1
            windows[p] = np.array(cand)
        return windows[p]
    use = np.zeros(in_dim)
    a = np.empty(out_dim, np.int64)
    b = np.empty(out_dim, np.int64)
    pos = local_positions(out_dim, grid, groups)
    for j in rng.permutation(out_dim):
        cand = candidates(pos[j])
        two = cand[np.argsort(use[cand] + rng.random(len(cand)))[:2]]
        a[j], b[j] = two[0], two[-1]
        use[two] += 1
    return torch.from_numpy(a), torch.from_numpy(b)


class _Mix4(torch.autograd.Function):
    """y = c0 + c1 a + c2 b + c3 ab with a = x[:, ia], b = x[:, ib]; memory-lean backward."""

    @staticmethod
    def forward(ctx, x, coef, ia, ib):
        xa, xb = x[:, ia], x[:, ib]
        ctx.save_for_backward(x, coef, ia, ib)
        return torch.addcmul(coef[:, 0] + coef[:, 1] * xa, xb, coef[:, 2] + coef[:, 3] * xa)

    @staticmethod
    def backward(ctx, gy):
        x, coef, ia, ib = ctx.saved_tensors
        xa, xb = x[:, ia], x[:, ib]
        gcoef = torch.stack([gy.sum(0), (gy * xa).sum(0), (gy * xb).sum(0), (gy * xa * xb).sum(0)], 1)
        gx = None
        if ctx.needs_input_grad[0]:
            gx = torch.zeros_like(x)
            gx.index_add_(1, ia, gy * (coef[:, 1] + coef[:, 3] * xb))
            gx.index_add_(1, ib, gy * (coef[:, 2] + coef[:, 3] * xa))
        return gx, gcoef, None, None


class LogicLayer(nn.Module):
    """`out_dim` relaxed two-input gates reading a [batch, in_dim] tensor of values in [0, 1]."""

    def __init__(self, in_dim: int, out_dim: int, connections: str = "random", init: str = "gaussian",
                 implementation: str = "auto", generator: torch.Generator | None = None,
                 grid: tuple[int, int] | None = None, groups: int | None = None, window: int = 0):
        super().__init__()
        self.in_dim, self.out_dim, self.connections, self.init = in_dim, out_dim, connections, init
        if init == "gaussian":
            w = torch.randn(out_dim, N_OPS, generator=generator)
        elif init == "residual":
            # Mostly the pass-through gate A, so a deep stack starts as (near) identity and
            # gradients reach the first layers; the rest small and random.
            w = torch.randn(out_dim, N_OPS, generator=generator) * 0.1
            w[:, A_GATE] = 5.0
        else:
            raise ValueError(f"unknown init {init!r} (gaussian, residual)")
        self.weights = nn.Parameter(w)
        a, b = make_connections(in_dim, out_dim, connections, generator, grid, groups, window)
        self.register_buffer("idx_a", a)
        self.register_buffer("idx_b", b)
        self.register_buffer("coeffs", torch.from_numpy(RELAXED_COEFFS.copy()), persistent=False)
        if implementation not in ("auto", "python", "fused"):
            raise ValueError(f"unknown implementation {implementation!r} (auto, python, fused)")
        self.implementation = implementation

    def extra_repr(self) -> str:
        return (f"in_dim={self.in_dim}, out_dim={self.out_dim}, connections={self.connections!r}, "
                f"init={self.init!r}")

    def coefficients(self) -> torch.Tensor:
        """[out_dim, 4]: the soft mix while training, the argmax gate's in eval mode."""
        if self.training:
            return torch.softmax(self.weights, dim=-1) @ self.coeffs
        return self.coeffs[self.weights.argmax(-1)]

    def ops(self) -> torch.Tensor:
        """The discrete gate of each node (its truth-table op)."""
        return self.weights.argmax(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.dim() == 2 and x.shape[-1] == self.in_dim, (tuple(x.shape), self.in_dim)
        coef = self.coefficients()
        impl = self.implementation
        if impl != "python":
            from host import fused
            if fused.available(x, required=impl == "fused"):
                return fused.mix4(x, coef, self.idx_a, self.idx_b)
        if impl == "python" and not torch.is_grad_enabled():
            xa, xb = x[:, self.idx_a], x[:, self.idx_b]
            return coef[:, 0] + coef[:, 1] * xa + coef[:, 2] * xb + coef[:, 3] * xa * xb
        return _Mix4.apply(x, coef, self.idx_a, self.idx_b)


class GroupSum(nn.Module):
    """Split the last dim into `classes` consecutive groups; score = group sum / tau."""

    def __init__(self, classes: int, tau: float = 1.0):
        super().__init__()
        self.classes, self.tau = classes, tau

    def extra_repr(self) -> str:
        return f"classes={self.classes}, tau={self.tau}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[-1] % self.classes == 0, (tuple(x.shape), self.classes)
        return x.reshape(*x.shape[:-1], self.classes, -1).sum(-1) / self.tau
