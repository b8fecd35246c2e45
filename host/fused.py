# SPDX-License-Identifier: MIT
"""The fused C kernels of host/fused_kernel.c, built on first use with the system C compiler
(cached by source hash under $LGN_CACHE_DIR or ~/.cache/lgn-hil) and called through ctypes.
Without a compiler, LogicLayer falls back to its plain torch implementation."""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

_SRC = Path(__file__).with_name("fused_kernel.c")
_lib = None
_failed: str | None = None


def cache_dir() -> Path:
    d = os.environ.get("LGN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "lgn-hil")
    return Path(d)


def _build() -> ctypes.CDLL:
    src = _SRC.read_bytes()
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise RuntimeError("no C compiler (cc/gcc/clang) on PATH")
    flags = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]
    key = hashlib.sha256(src + " ".join([cc] + flags).encode()).hexdigest()[:16]
    out = cache_dir() / f"fused_kernel-{key}.so"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            tmp_so = Path(tmp) / out.name
            r = subprocess.run([cc, *flags, str(_SRC), "-o", str(tmp_so)], capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(f"building the fused kernel failed: {r.stderr.strip()[:400]}")
            os.replace(tmp_so, out)  # atomic: a parallel build never sees half a library
    lib = ctypes.CDLL(str(out))
    i64, p, c_int = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    lib.mix4_forward.argtypes = [p, i64, i64, p, p, p, i64, p, c_int]
    lib.mix4_backward.argtypes = [p, p, i64, i64, p, p, p, i64, p, p, p, c_int]
    return lib


def available(x: torch.Tensor, required: bool = False) -> bool:
    """Whether the fused path can run on `x` (CPU float32); raises if `required` and not."""
    global _lib, _failed
    ok_tensor = x.device.type == "cpu" and x.dtype == torch.float32
    if _lib is None and _failed is None:
        try:
            _lib = _build()
        except (RuntimeError, OSError) as e:
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
        scratch = torch.empty(threads * coef.numel(), dtype=torch.float32)
        _lib.mix4_backward(_ptr(x), _ptr(gy), x.shape[0], x.shape[1], _ptr(coef), _ptr(ia), _ptr(ib),
                           ia.shape[0], _ptr(gx) if gx is not None else None, _ptr(gcoef),
                           _ptr(scratch), threads)
        return gx, gcoef, None, None


def mix4(x: torch.Tensor, coef: torch.Tensor, ia: torch.Tensor, ib: torch.Tensor) -> torch.Tensor:
    return _Mix4Fused.apply(x, coef, ia, ib)
