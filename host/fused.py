# SPDX-License-Identifier: MIT
"""The fused C kernels of host/fused_kernel.c, built on first use with the system C compiler
(host.cbuild) and called through ctypes.
Without a compiler, LogicLayer falls back to its plain torch implementation."""
from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import torch

from host.cbuild import DEFAULT_FLAGS, BuildError, load_library

_SRC = Path(__file__).with_name("fused_kernel.c")
_lib = None
_failed: str | None = None


def _build() -> ctypes.CDLL:
    lib = load_library(_SRC, DEFAULT_FLAGS + ("-fopenmp",))
    i64, p, c_int = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    lib.mix4_forward.argtypes = [p, i64, i64, p, p, p, i64, p, c_int]
    lib.mix4_backward.argtypes = [p, p, i64, i64, p, p, p, i64, p, p, p, c_int]
    lib.mix4_blocks.restype = c_int
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


def _ptr(t: torch.Tensor) -> int:
    return t.data_ptr()


class _Mix4Fused(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coef, ia, ib):
        x, coef = x.contiguous(), coef.contiguous()
        ia, ib = ia.contiguous(), ib.contiguous()
        y = torch.empty(x.shape[0], ia.shape[0], dtype=torch.float32)
        _lib.mix4_forward(_ptr(x), x.shape[0], x.shape[1], _ptr(coef), _ptr(ia), _ptr(ib),
                          ia.shape[0], _ptr(y), torch.get_num_threads())
        ctx.save_for_backward(x, coef, ia, ib)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, coef, ia, ib = ctx.saved_tensors
        gy = gy.contiguous().float()
        threads = torch.get_num_threads()
        gx = torch.zeros_like(x) if ctx.needs_input_grad[0] else None
        gcoef = torch.zeros_like(coef)
        scratch = torch.empty(_lib.mix4_blocks() * coef.numel(), dtype=torch.float32)
        _lib.mix4_backward(_ptr(x), _ptr(gy), x.shape[0], x.shape[1], _ptr(coef), _ptr(ia), _ptr(ib),
                           ia.shape[0], _ptr(gx) if gx is not None else None, _ptr(gcoef),
                           _ptr(scratch), threads)
        return gx, gcoef, None, None


def mix4(x: torch.Tensor, coef: torch.Tensor, ia: torch.Tensor, ib: torch.Tensor) -> torch.Tensor:
    return _Mix4Fused.apply(x, coef, ia, ib)
