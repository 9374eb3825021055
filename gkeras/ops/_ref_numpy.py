"""numpy twins of the CUDA kernels in `kernels/*.cu` (the CPU path).

Names, signatures and semantics are the contract of `docs/kernels.md`: NHWC /
NDHWC arrays, explicit `before` paddings (the cells after are implied by the
output size), float32 and float64 kept as given, C-contiguous results.

Everything is vectorised: windows are strided views of a padded copy, and the
adjoint passes loop over the kernel taps only (kh*kw or kd*kh*kw iterations,
each a whole-array strided slice), never over samples or pixels.
"""
import numpy
from numpy.lib.stride_tricks import as_strided


# ---------------------------------------------------------------------------- helpers
def _extent(o, k, s, d):
    """Cells spanned, from the first padded cell, by `o` windows of `k` taps."""
    return (o - 1) * s + (k - 1) * d + 1 if o > 0 else 0


def _padded(x, pads, reach, fill):
    """x (N, *S, C) placed at offset `pads` in a buffer covering `reach` cells per axis.

    Returns `x` itself when no cell outside it is reached.
    """
    spatial = x.shape[1:-1]
    size = tuple(max(p + n, r) for p, n, r in zip(pads, spatial, reach))
    if size == spatial and not any(pads):
        return x
    buf = numpy.full((x.shape[0],) + size + (x.shape[-1],), fill, dtype=x.dtype)
    buf[(slice(None),) + tuple(slice(p, p + n) for p, n in zip(pads, spatial))] = x
    return buf


def _accumulator(n, c, spatial, pads, reach, dtype):
    """Zeros covering the input plus every padded cell reached, and the crop back."""
    size = tuple(max(p + m, r) for p, m, r in zip(pads, spatial, reach))
    crop = (slice(None),) + tuple(slice(p, p + m) for p, m in zip(pads, spatial))
    return numpy.zeros((n,) + size + (c,), dtype=dtype), crop


def _cropped(buf, crop):
    out = buf[crop]
    return out if out.shape == buf.shape else numpy.ascontiguousarray(out)


def _tap_slices(tap, out, strides, dilations):
    """Index of the cells tap `tap` reads for every output position."""
    return (slice(None),) + tuple(
        slice(t * d, t * d + (o - 1) * s + 1, s)
        for t, o, s, d in zip(tap, out, strides, dilations))


def _im2col(x, ks, strides, pads, dilations, out):
    n, c = x.shape[0], x.shape[-1]
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    xp_ = _padded(x, pads, reach, 0)
    st = xp_.strides
    sp = st[1:-1]
    view = as_strided(
        xp_, shape=(n,) + tuple(out) + tuple(ks) + (c,),
        strides=(st[0],) + tuple(a * s for a, s in zip(sp, strides))
        + tuple(a * d for a, d in zip(sp, dilations)) + (st[-1],),
        writeable=False)  # (N, *out, *k, C)
    return numpy.ascontiguousarray(view)


def _col2im(cols, spatial, strides, pads, dilations):
    nd = len(spatial)
    n, c = cols.shape[0], cols.shape[-1]
    out, ks = cols.shape[1:1 + nd], cols.shape[1 + nd:1 + 2 * nd]
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    gx, crop = _accumulator(n, c, spatial, pads, reach, cols.dtype)
    lead = (slice(None),) * (1 + nd)
    for tap in numpy.ndindex(*ks):
        gx[_tap_slices(tap, out, strides, dilations)] += cols[lead + tap]
    return _cropped(gx, crop)


def col2im_matmul(g, wmat, ks, out, spatial, strides, pads, dilations):
    """col2im(g @ wmat.T) without materialising the columns (CPU-only fusion).

    Same result as `col2im_2d/3d` applied to `(g @ wmat.T).reshape(N, *out, *ks, C)`,
    with `wmat` of shape (prod(ks)*C, F) and `g` of shape (N*prod(out), F): one GEMM
    per kernel tap, added straight into the input-shaped accumulator. On the CPU this
    halves the time of a convolution's input gradient; the GPU uses the gather kernel.
    """
    ks, out = tuple(ks), tuple(out)
    taps = int(numpy.prod(ks))
    n = g.shape[0] // int(numpy.prod(out))
    c = wmat.shape[0] // taps
    w_taps = wmat.reshape(ks + (c, wmat.shape[1]))  # (*ks, C, F)
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    gx, crop = _accumulator(n, c, spatial, pads, reach, g.dtype)
    for tap in numpy.ndindex(*ks):
        part = numpy.matmul(g, w_taps[tap].T)  # (N*prod(out), C)
        gx[_tap_slices(tap, out, strides, dilations)] += part.reshape((n,) + out + (c,))
    return _cropped(gx, crop)


def _first_inside(ks, strides, pads, out):
    """Per output position, the row-major index of the window's first in-bounds tap."""
    idx = numpy.zeros((1,) * len(out), dtype=numpy.int32)
    for i, (k, s, p, o) in enumerate(zip(ks, strides, pads, out)):
        first = numpy.maximum(p - numpy.arange(o) * s, 0).astype(numpy.int32)
        shape = [1] * len(out)
        shape[i] = o
        idx = idx * k + first.reshape(shape)
    return idx


def _inside_counts(spatial, ks, strides, pads, out, dtype):
    """Number of in-bounds cells of each window, shaped (1, *out, 1)."""
    count = numpy.ones((1,) * len(out), dtype=dtype)
    for i, (m, k, s, p, o) in enumerate(zip(spatial, ks, strides, pads, out)):
        start = numpy.arange(o) * s - p
        inside = numpy.minimum(start + k, m) - numpy.maximum(start, 0)
        shape = [1] * len(out)
        shape[i] = o
        count = count * inside.astype(dtype).reshape(shape)
    return count.reshape((1,) + tuple(out) + (1,))


def _max_pool(x, ks, strides, pads, out):
    n, c = x.shape[0], x.shape[-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    xp_ = _padded(x, pads, reach, -numpy.inf)
    y = numpy.full((n,) + tuple(out) + (c,), -numpy.inf, dtype=x.dtype)
    argmax = numpy.empty(y.shape, dtype=numpy.int32)
    argmax[...] = _first_inside(ks, strides, pads, out)[None, ..., None]
    # Branch-free updates: masked copies mispredict on random data and run ~5x slower.
    better = numpy.empty(y.shape, dtype=bool)
    step = numpy.empty(y.shape, dtype=numpy.int32)
    for t, tap in enumerate(numpy.ndindex(*ks)):
        v = xp_[_tap_slices(tap, out, strides, ones)]  # (N, *out, C)
        numpy.greater(v, y, out=better)  # strict: the first maximum wins ties
        numpy.fmax(y, v, out=y)  # fmax: a NaN never wins, as with `>`
        numpy.subtract(t, argmax, out=step)
        step *= better
        argmax += step
    return y, argmax


def _max_pool_bwd(gy, argmax, spatial, ks, strides, pads):
    n, c = gy.shape[0], gy.shape[-1]
    out = gy.shape[1:-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    gx, crop = _accumulator(n, c, spatial, pads, reach, gy.dtype)
    hit = numpy.empty(gy.shape, dtype=bool)
    part = numpy.empty_like(gy)
    for t, tap in enumerate(numpy.ndindex(*ks)):
        numpy.equal(argmax, t, out=hit)
        numpy.multiply(gy, hit, out=part)  # 8x faster than where(); an inf/NaN gy leaks NaN
        gx[_tap_slices(tap, out, strides, ones)] += part
    return _cropped(gx, crop)


def _avg_pool(x, ks, strides, pads, out):
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    xp_ = _padded(x, pads, reach, 0)
    y = None
    for tap in numpy.ndindex(*ks):
        v = xp_[_tap_slices(tap, out, strides, ones)]  # (N, *out, C)
        if y is None:
            y = v.copy()
        else:
            y += v
    y /= _inside_counts(x.shape[1:-1], ks, strides, pads, out, x.dtype)
    return y


def _avg_pool_bwd(gy, spatial, ks, strides, pads):
    n, c = gy.shape[0], gy.shape[-1]
    out = gy.shape[1:-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    g = gy / _inside_counts(spatial, ks, strides, pads, out, gy.dtype)
    gx, crop = _accumulator(n, c, spatial, pads, reach, gy.dtype)
    for tap in numpy.ndindex(*ks):
        gx[_tap_slices(tap, out, strides, ones)] += g
    return _cropped(gx, crop)


# ---------------------------------------------------------------------------- lowering
def im2col_2d(x, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow):
    """x (N, H, W, C) -> cols (N, oh, ow, kh, kw, C), zeros outside x.

    cols[n, i, j, a, b, c] = x[n, i*sy - pt + a*dy, j*sx - pl + b*dx, c].
    """
    return _im2col(x, (kh, kw), (sy, sx), (pt, pl), (dy, dx), (oh, ow))


def col2im_2d(cols, h, w, sy, sx, pt, pl, dy, dx):
    """The adjoint of `im2col_2d`: cols (N, oh, ow, kh, kw, C) -> gx (N, h, w, C)."""
    return _col2im(cols, (h, w), (sy, sx), (pt, pl), (dy, dx))


def im2col_3d(x, kd, kh, kw, sd, sy, sx, pd, pt, pl, dd, dy, dx, od, oh, ow):
    """x (N, D, H, W, C) -> cols (N, od, oh, ow, kd, kh, kw, C), zeros outside x."""
    return _im2col(x, (kd, kh, kw), (sd, sy, sx), (pd, pt, pl), (dd, dy, dx), (od, oh, ow))


def col2im_3d(cols, d, h, w, sd, sy, sx, pd, pt, pl, dd, dy, dx):
    """The adjoint of `im2col_3d`: cols (N, od, oh, ow, kd, kh, kw, C) -> (N, d, h, w, C)."""
    return _col2im(cols, (d, h, w), (sd, sy, sx), (pd, pt, pl), (dd, dy, dx))


# ---------------------------------------------------------------------------- pooling
def max_pool_2d(x, kh, kw, sy, sx, pt, pl, oh, ow):
    """Max over windows; returns (y, argmax), argmax the int32 offset a*kw + b.

    Padded cells never win; ties go to the first maximum in row-major window order.
    """
    return _max_pool(x, (kh, kw), (sy, sx), (pt, pl), (oh, ow))


def max_pool_2d_bwd(gy, argmax, h, w, kh, kw, sy, sx, pt, pl):
    """gx (N, h, w, C): each gy goes to the cell its window's argmax points at."""
    return _max_pool_bwd(gy, argmax, (h, w), (kh, kw), (sy, sx), (pt, pl))


def avg_pool_2d(x, kh, kw, sy, sx, pt, pl, oh, ow):
    """Mean over the in-bounds cells of each window."""
    return _avg_pool(x, (kh, kw), (sy, sx), (pt, pl), (oh, ow))


def avg_pool_2d_bwd(gy, h, w, kh, kw, sy, sx, pt, pl):
    """gx: the sum, over the windows holding a cell, of gy / (in-bounds cells)."""
    return _avg_pool_bwd(gy, (h, w), (kh, kw), (sy, sx), (pt, pl))


def max_pool_3d(x, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow):
    """3-D `max_pool_2d`; argmax = (a*kh + b)*kw + e."""
    return _max_pool(x, (kd, kh, kw), (sd, sy, sx), (pd, pt, pl), (od, oh, ow))


def max_pool_3d_bwd(gy, argmax, d, h, w, kd, kh, kw, sd, sy, sx, pd, pt, pl):
    """3-D `max_pool_2d_bwd`."""
    return _max_pool_bwd(gy, argmax, (d, h, w), (kd, kh, kw), (sd, sy, sx), (pd, pt, pl))


def avg_pool_3d(x, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow):
    """3-D `avg_pool_2d`."""
    return _avg_pool(x, (kd, kh, kw), (sd, sy, sx), (pd, pt, pl), (od, oh, ow))


def avg_pool_3d_bwd(gy, d, h, w, kd, kh, kw, sd, sy, sx, pd, pt, pl):
    """3-D `avg_pool_2d_bwd`."""
    return _avg_pool_bwd(gy, (d, h, w), (kd, kh, kw), (sd, sy, sx), (pd, pt, pl))


def global_max_pool(x):
    """x (N, S, C) -> (y (N, C), argmax int32 (N, C)), the first maximum on ties."""
    argmax = x.argmax(axis=1)
    y = numpy.take_along_axis(x, argmax[:, None, :], axis=1)[:, 0, :]
    return numpy.ascontiguousarray(y), argmax.astype(numpy.int32)


def global_max_pool_bwd(gy, argmax, s):
    """gx (N, s, C): gy at the argmax of each (sample, channel), zeros elsewhere."""
    gx = numpy.zeros((gy.shape[0], s, gy.shape[1]), dtype=gy.dtype)
    numpy.put_along_axis(gx, argmax[:, None, :].astype(numpy.intp), gy[:, None, :], axis=1)
    return gx


def global_avg_pool(x):
    """x (N, S, C) -> mean over S, (N, C)."""
    return x.mean(axis=1)


def global_avg_pool_bwd(gy, s):
    """gx (N, s, C) = gy / s at every position."""
    g = gy / gy.dtype.type(s)
    return numpy.ascontiguousarray(numpy.broadcast_to(g[:, None, :], (gy.shape[0], s,
                                                                      gy.shape[1])))
