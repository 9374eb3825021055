"""Launchers of the CUDA kernels in `kernels/*.cu`: the GPU twins of `_ref_numpy`.

Every function has exactly the name, signature and semantics of its numpy twin in
`gkeras/ops/_ref_numpy.py` (the contract is `docs/kernels.md`): it takes C-contiguous
NHWC / NDHWC arrays of float32 or float64 and Python ints, allocates the outputs on the
arrays' module and launches one kernel through `gkeras.backend.cuda`. The kernel's
arguments are passed in the order of its `extern "C"` signature (kernels/README.md).
"""
import numpy

from ..backend import cuda
from ..backend import xp as _xp


def _empty(like, shape, dtype):
    """An uninitialised output array on `like`'s module (the kernels write every element)."""
    return _xp.get_array_module(like).empty(shape, dtype=dtype)


def _contiguous(a, dtype=None):
    return _xp.get_array_module(a).ascontiguousarray(a, dtype=dtype)


# ---------------------------------------------------------------------------- lowering
def im2col_2d(x, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow):
    """x (N, H, W, C) -> cols (N, oh, ow, kh, kw, C); kernel `im2col_2d` of im2col.cu."""
    x = _contiguous(x)
    n, h, w, c = x.shape
    cols = _empty(x, (n, oh, ow, kh, kw, c), x.dtype)
    cuda.launch("im2col.cu", cuda.kernel_name("im2col_2d", x.dtype), cols.size, x, cols,
                n, h, w, c, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow)
    return cols


def col2im_2d(cols, h, w, sy, sx, pt, pl, dy, dx):
    """cols (N, oh, ow, kh, kw, C) -> gx (N, h, w, C); kernel `col2im_2d` of im2col.cu."""
    cols = _contiguous(cols)
    n, oh, ow, kh, kw, c = cols.shape
    gx = _empty(cols, (n, h, w, c), cols.dtype)
    cuda.launch("im2col.cu", cuda.kernel_name("col2im_2d", cols.dtype), gx.size, cols, gx,
                n, h, w, c, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow)
    return gx


def im2col_3d(x, kd, kh, kw, sd, sy, sx, pd, pt, pl, dd, dy, dx, od, oh, ow):
    """x (N, D, H, W, C) -> cols (N, od, oh, ow, kd, kh, kw, C); vol2col.cu."""
    x = _contiguous(x)
    n, d, h, w, c = x.shape
    cols = _empty(x, (n, od, oh, ow, kd, kh, kw, c), x.dtype)
    cuda.launch("vol2col.cu", cuda.kernel_name("im2col_3d", x.dtype), cols.size, x, cols,
                n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, dd, dy, dx, od, oh, ow)
    return cols


def col2im_3d(cols, d, h, w, sd, sy, sx, pd, pt, pl, dd, dy, dx):
    """cols (N, od, oh, ow, kd, kh, kw, C) -> gx (N, d, h, w, C); vol2col.cu."""
    cols = _contiguous(cols)
    n, od, oh, ow, kd, kh, kw, c = cols.shape
    gx = _empty(cols, (n, d, h, w, c), cols.dtype)
    cuda.launch("vol2col.cu", cuda.kernel_name("col2im_3d", cols.dtype), gx.size, cols, gx,
                n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, dd, dy, dx, od, oh, ow)
    return gx


# ---------------------------------------------------------------------------- pooling
def max_pool_2d(x, kh, kw, sy, sx, pt, pl, oh, ow):
    """x (N, H, W, C) -> (y (N, oh, ow, C), argmax int32); pooling.cu."""
    x = _contiguous(x)
    n, h, w, c = x.shape
    y = _empty(x, (n, oh, ow, c), x.dtype)
    argmax = _empty(x, (n, oh, ow, c), numpy.int32)
    cuda.launch("pooling.cu", cuda.kernel_name("max_pool_2d", x.dtype), y.size, x, y, argmax,
                n, h, w, c, kh, kw, sy, sx, pt, pl, oh, ow)
    return y, argmax


def max_pool_2d_bwd(gy, argmax, h, w, kh, kw, sy, sx, pt, pl):
    """gy, argmax (N, oh, ow, C) -> gx (N, h, w, C); pooling.cu."""
    gy = _contiguous(gy)
    argmax = _contiguous(argmax, numpy.int32)
    n, oh, ow, c = gy.shape
    gx = _empty(gy, (n, h, w, c), gy.dtype)
    cuda.launch("pooling.cu", cuda.kernel_name("max_pool_2d_bwd", gy.dtype), gx.size, gy,
                argmax, gx, n, h, w, c, kh, kw, sy, sx, pt, pl, oh, ow)
    return gx


def avg_pool_2d(x, kh, kw, sy, sx, pt, pl, oh, ow):
    """x (N, H, W, C) -> y (N, oh, ow, C), means over in-bounds cells; pooling.cu."""
    x = _contiguous(x)
    n, h, w, c = x.shape
    y = _empty(x, (n, oh, ow, c), x.dtype)
    cuda.launch("pooling.cu", cuda.kernel_name("avg_pool_2d", x.dtype), y.size, x, y,
                n, h, w, c, kh, kw, sy, sx, pt, pl, oh, ow)
    return y


def avg_pool_2d_bwd(gy, h, w, kh, kw, sy, sx, pt, pl):
    """gy (N, oh, ow, C) -> gx (N, h, w, C); pooling.cu."""
    gy = _contiguous(gy)
    n, oh, ow, c = gy.shape
    gx = _empty(gy, (n, h, w, c), gy.dtype)
    cuda.launch("pooling.cu", cuda.kernel_name("avg_pool_2d_bwd", gy.dtype), gx.size, gy, gx,
                n, h, w, c, kh, kw, sy, sx, pt, pl, oh, ow)
    return gx


def max_pool_3d(x, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow):
    """x (N, D, H, W, C) -> (y (N, od, oh, ow, C), argmax int32); pooling.cu."""
    x = _contiguous(x)
    n, d, h, w, c = x.shape
    y = _empty(x, (n, od, oh, ow, c), x.dtype)
    argmax = _empty(x, (n, od, oh, ow, c), numpy.int32)
    cuda.launch("pooling.cu", cuda.kernel_name("max_pool_3d", x.dtype), y.size, x, y, argmax,
                n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow)
    return y, argmax


def max_pool_3d_bwd(gy, argmax, d, h, w, kd, kh, kw, sd, sy, sx, pd, pt, pl):
    """gy, argmax (N, od, oh, ow, C) -> gx (N, d, h, w, C); pooling.cu."""
    gy = _contiguous(gy)
    argmax = _contiguous(argmax, numpy.int32)
    n, od, oh, ow, c = gy.shape
    gx = _empty(gy, (n, d, h, w, c), gy.dtype)
    cuda.launch("pooling.cu", cuda.kernel_name("max_pool_3d_bwd", gy.dtype), gx.size, gy,
                argmax, gx, n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow)
    return gx


def avg_pool_3d(x, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow):
    """x (N, D, H, W, C) -> y (N, od, oh, ow, C); pooling.cu."""
    x = _contiguous(x)
    n, d, h, w, c = x.shape
    y = _empty(x, (n, od, oh, ow, c), x.dtype)
    cuda.launch("pooling.cu", cuda.kernel_name("avg_pool_3d", x.dtype), y.size, x, y,
                n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow)
    return y


def avg_pool_3d_bwd(gy, d, h, w, kd, kh, kw, sd, sy, sx, pd, pt, pl):
    """gy (N, od, oh, ow, C) -> gx (N, d, h, w, C); pooling.cu."""
    gy = _contiguous(gy)
    n, od, oh, ow, c = gy.shape
    gx = _empty(gy, (n, d, h, w, c), gy.dtype)
    cuda.launch("pooling.cu", cuda.kernel_name("avg_pool_3d_bwd", gy.dtype), gx.size, gy, gx,
                n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow)
    return gx


# ---------------------------------------------------------------------------- global pooling
def global_max_pool(x):
    """x (N, S, C) -> (y (N, C), argmax int32 (N, C)); global_pooling.cu."""
    x = _contiguous(x)
    n, s, c = x.shape
    y = _empty(x, (n, c), x.dtype)
    argmax = _empty(x, (n, c), numpy.int32)
    cuda.launch("global_pooling.cu", cuda.kernel_name("global_max_pool", x.dtype), y.size,
                x, y, argmax, n, s, c)
    return y, argmax


def global_max_pool_bwd(gy, argmax, s):
    """gy, argmax (N, C) -> gx (N, s, C); global_pooling.cu."""
    gy = _contiguous(gy)
    argmax = _contiguous(argmax, numpy.int32)
    n, c = gy.shape
    gx = _empty(gy, (n, s, c), gy.dtype)
    cuda.launch("global_pooling.cu", cuda.kernel_name("global_max_pool_bwd", gy.dtype),
                gx.size, gy, argmax, gx, n, s, c)
    return gx


def global_avg_pool(x):
    """x (N, S, C) -> y (N, C); global_pooling.cu."""
    x = _contiguous(x)
    n, s, c = x.shape
    y = _empty(x, (n, c), x.dtype)
    cuda.launch("global_pooling.cu", cuda.kernel_name("global_avg_pool", x.dtype), y.size,
                x, y, n, s, c)
    return y


def global_avg_pool_bwd(gy, s):
    """gy (N, C) -> gx (N, s, C); global_pooling.cu."""
    gy = _contiguous(gy)
    n, c = gy.shape
    gx = _empty(gy, (n, s, c), gy.dtype)
    cuda.launch("global_pooling.cu", cuda.kernel_name("global_avg_pool_bwd", gy.dtype),
                gx.size, gy, gx, n, s, c)
    return gx
