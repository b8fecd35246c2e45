# SPDX-License-Identifier: MIT
"""The fused C kernels of host/fused_kernel.c, built on first use with the system C compiler
(host.cbuild) and called through ctypes from a small thread pool (ctypes releases the GIL).
Without a compiler, LogicLayer falls back to its plain torch implementation."""
from __future__ import annotations

import ctypes
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from host.cbuild import BuildError, load_library

_SRC = Path(__file__).with_name("fused_kernel.c")
BLOCKS = 16  # fixed row blocks for the backward's reductions: thread-count independent
FORWARD_JOBS = 8  # row ranges of the forward, handed out to the threads as they come free
_lib = None
_failed: str | None = None
_pool: ThreadPoolExecutor | None = None


def _build() -> ctypes.CDLL:
    lib = load_library(_SRC)
    i64, p = ctypes.c_int64, ctypes.c_void_p
    lib.mix4_forward.argtypes = [p, i64, i64, i64, p, p, p, i64, p, p]
    lib.mix4_backward.argtypes = [p, p, i64, i64, i64, i64, p, p, p, i64, p, p, p]
    lib.sum_blocks.argtypes = [p, i64, i64, p]
    lib.mix4_lanes.restype = i64
    for f in (lib.mix4_forward_scratch, lib.mix4_backward_scratch):
        f.argtypes, f.restype = [i64, i64], i64
    return lib


def available(x: torch.Tensor, required: bool = False) -> bool:
    """Whether the fused path can run on `x` (CPU float32); raises if `required` and not."""
    global _lib, _failed
    ok_tensor = x.device.type == "cpu" and x.dtype == torch.float32
    if _lib is None and _failed is None:
        try:
            _lib = _build()
        except (BuildError, OSError) as e:
            _failed = str(e)
            if not required:
                print(f"lgn: fused kernel unavailable, using plain torch ({_failed})", file=sys.stderr)
    if required and (_lib is None or not ok_tensor):
        raise RuntimeError(f"fused implementation unavailable: {_failed or 'needs a CPU float32 tensor'}")
    return _lib is not None and ok_tensor


def _parallel(jobs: list, scratch_floats: int) -> None:
    """Run callables job(scratch) on torch.get_num_threads() threads, each thread with its own
    scratch buffer of `scratch_floats` floats; the caller's thread is one of them. Threads
    take the next job when done (not a fixed share each), so a core that other work slows
    down does not hold up the rest."""
    global _pool
    threads = max(1, min(torch.get_num_threads(), len(jobs)))
    scratch = torch.empty(threads, scratch_floats, dtype=torch.float32)
    queue = iter(jobs)  # next() on it is atomic under the GIL

    def run(i):
        for job in queue:
            job(scratch[i].data_ptr())
    if threads == 1:
        run(0)
        return
    if _pool is None or _pool._max_workers < threads - 1:
        _pool = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="lgn-fused")
    futures = [_pool.submit(run, i) for i in range(1, threads)]
    run(0)
    for f in futures:
        f.result()


def _ranges(n: int, parts: int, align: int = 1) -> list[tuple[int, int]]:
    """[0, n) cut into `parts` ranges (some may be empty); with align > 1, into ranges of whole
    multiples of `align` rows (the last takes the rest)."""
    if align == 1:
        return [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]
    step = -(-n // (parts * align)) * align
    return [(s, min(n, s + step)) for s in range(0, n, step)]


class _Mix4Fused(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coef, ia, ib):
        x, coef = x.contiguous(), coef.contiguous()
        ia, ib = ia.contiguous(), ib.contiguous()
        n, d_in, d_out = x.shape[0], x.shape[1], ia.shape[0]
        y = torch.empty(n, d_out, dtype=torch.float32)
        args = (d_in, coef.data_ptr(), ia.data_ptr(), ib.data_ptr(), d_out, y.data_ptr())
        _parallel([lambda sc, s0=s0, s1=s1: _lib.mix4_forward(x.data_ptr(), s0, s1, *args, sc)
                   for s0, s1 in _ranges(n, FORWARD_JOBS, _lib.mix4_lanes())],
                  _lib.mix4_forward_scratch(d_in, d_out))
        ctx.save_for_backward(x, coef, ia, ib)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, coef, ia, ib = ctx.saved_tensors
        gy = gy.float()
        if gy.stride(0) == 0:  # one gradient row broadcast over the batch (e.g. from .sum())
            gy, gy_stride = gy[0].contiguous(), 0
        else:
            gy = gy.contiguous()
            gy_stride = gy.stride(0)
        n, d_in, d_out = x.shape[0], x.shape[1], ia.shape[0]
        gx = torch.empty_like(x) if ctx.needs_input_grad[0] else None
        acc = torch.empty(BLOCKS, 4, d_out, dtype=torch.float32)
        gx_ptr = gx.data_ptr() if gx is not None else None
        _parallel([lambda sc, k=k, s0=s0, s1=s1: _lib.mix4_backward(
            x.data_ptr(), gy.data_ptr(), gy_stride, s0, s1, d_in, coef.data_ptr(), ia.data_ptr(),
            ib.data_ptr(), d_out, gx_ptr, acc[k].data_ptr(), sc)
            for k, (s0, s1) in enumerate(_ranges(n, BLOCKS))], _lib.mix4_backward_scratch(d_in, d_out))
        gcoef = torch.empty(d_out, 4, dtype=torch.float32)
        _lib.sum_blocks(acc.data_ptr(), BLOCKS, d_out, gcoef.data_ptr())
        return gx, gcoef, None, None


def mix4(x: torch.Tensor, coef: torch.Tensor, ia: torch.Tensor, ib: torch.Tensor) -> torch.Tensor:
    return _Mix4Fused.apply(x, coef, ia, ib)
