"""numpy twins of the CUDA kernels in `kernels/*.cu` (the CPU path).

Names, signatures and semantics are the contract of `docs/kernels.md`: NHWC /
NDHWC arrays, explicit `before` paddings (the cells after are implied by the
output size), float32 and float64 kept as given, C-contiguous results.

Everything is vectorised: windows are strided views of a padded copy, and the
adjoint passes loop over the kernel taps only (kh*kw or kd*kh*kw iterations,
each a whole-array strided slice), never over samples or pixels.

Every batch item is independent, so each twin runs as `_cpu_parallel.run` blocks: the
batch axis cut into cache-sized blocks shared out among the threads, every block doing
the very same vectorised calls on its slice and writing its slice of a preallocated
result. The values are those of the one-block computation, bit for bit, whatever the
number of threads.

The CPU-only convolution fusions that never store the columns (no CUDA twin) are in
`_conv_cpu.py`; they use this module's window helpers.
"""
import numpy
from numpy.lib.stride_tricks import as_strided

from . import _cpu_parallel as _par

# Blocks of single-pass kernels (a copy) need no cache blocking: a few large ones.
_COPY_BLOCK_BYTES = 16 << 20


# ---------------------------------------------------------------------------- helpers
def _extent(o, k, s, d):
    """Cells spanned, from the first padded cell, by `o` windows of `k` taps."""
    return (o - 1) * s + (k - 1) * d + 1 if o > 0 else 0


def _item_bytes(*arrays):
    """Bytes per batch item of `arrays` together (all share the batch axis 0)."""
    return sum(a.nbytes // a.shape[0] for a in arrays if a.shape[0])


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


def _accumulator(out, pads, reach):
    """Zeros covering `out` (N, *S, C) plus every padded cell reached, and the crop back.

    Is `out` itself, zeroed, when no cell outside it is reached (crop None).
    """
    spatial = out.shape[1:-1]
    size = tuple(max(p + m, r) for p, m, r in zip(pads, spatial, reach))
    if size == spatial and not any(pads):
        out.fill(0)
        return out, None
    crop = (slice(None),) + tuple(slice(p, p + m) for p, m in zip(pads, spatial))
    return numpy.zeros((out.shape[0],) + size + (out.shape[-1],), dtype=out.dtype), crop


def _land(out, acc, crop):
    """Copies the accumulator's crop into `out` (nothing to do when it is `out`)."""
    if crop is not None:
        out[...] = acc[crop]


def _tap_slices(tap, out, strides, dilations):
    """Index of the cells tap `tap` reads for every output position."""
    return (slice(None),) + tuple(
        slice(t * d, t * d + (o - 1) * s + 1, s)
        for t, o, s, d in zip(tap, out, strides, dilations))


def _windows(x, ks, strides, pads, dilations, out):
    """The (B, *out, *ks, C) strided view of the (padded) block `x` that im2col copies."""
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    xp_ = _padded(x, pads, reach, 0)
    st = xp_.strides
    sp = st[1:-1]
    return as_strided(
        xp_, shape=(x.shape[0],) + tuple(out) + tuple(ks) + (x.shape[-1],),
        strides=(st[0],) + tuple(a * s for a, s in zip(sp, strides))
        + tuple(a * d for a, d in zip(sp, dilations)) + (st[-1],),
        writeable=False)


def _im2col(x, ks, strides, pads, dilations, out):
    n, c = x.shape[0], x.shape[-1]
    cols = numpy.empty((n,) + tuple(out) + tuple(ks) + (c,), dtype=x.dtype)

    def block(lo, hi):
        numpy.copyto(cols[lo:hi], _windows(x[lo:hi], ks, strides, pads, dilations, out))

    _par.run(block, n, _item_bytes(cols, x), _COPY_BLOCK_BYTES)
    return cols


def channel_sums(a):
    """a.sum over every axis but the last, for a C-contiguous `a`.

    Summed as rows of k*C values (k rows of C side by side), then the k partial sums:
    numpy's reduction over leading axes runs one C-value inner loop per row, ~2x slower
    for the usual C of 32 to 128.
    """
    c = a.shape[-1]
    if not a.size:
        return a.sum(axis=tuple(range(a.ndim - 1)))
    rows = a.reshape(-1, c)
    k = max(1, min(16, 1024 // c))
    m = rows.shape[0] // k * k
    total = rows[:m].reshape(-1, k * c).sum(axis=0).reshape(k, c).sum(axis=0)
    if m < rows.shape[0]:
        total += rows[m:].sum(axis=0)
    return total


def _col2im(cols, spatial, strides, pads, dilations):
    nd = len(spatial)
    n, c = cols.shape[0], cols.shape[-1]
    out, ks = cols.shape[1:1 + nd], cols.shape[1 + nd:1 + 2 * nd]
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    gx = numpy.empty((n,) + tuple(spatial) + (c,), dtype=cols.dtype)
    lead = (slice(None),) * (1 + nd)

    def block(lo, hi):
        acc, crop = _accumulator(gx[lo:hi], pads, reach)
        part = cols[lo:hi]
        for tap in numpy.ndindex(*ks):
            acc[_tap_slices(tap, out, strides, dilations)] += part[lead + tap]
        _land(gx[lo:hi], acc, crop)

    _par.run(block, n, _item_bytes(cols, gx))
    return gx


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
    """The kernel's scan, `better = v > y; y = fmax(y, v); if better: arg = t`, in two sweeps.

    First y = fmax over the taps (a NaN never wins). Then the scan's `arg`, the last tap
    that raised the maximum: every earlier tap is below it and every later one at most
    equal, so it is the FIRST tap equal to y, i.e. the count of taps before it, summed
    tap by tap as "still no tap equal to y". Where y stays -inf no tap ever raised it
    and the scan keeps its start: the first in-bounds tap (0 without padding). Counts
    are kept in uint8 (one byte a cell) for windows of up to 255 taps.
    """
    n, c = x.shape[0], x.shape[-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    y = numpy.empty((n,) + tuple(out) + (c,), dtype=x.dtype)
    argmax = numpy.empty(y.shape, dtype=numpy.int32)
    first = _first_inside(ks, strides, pads, out)[None, ..., None]
    taps = int(numpy.prod(ks))
    small = numpy.uint8 if taps <= 255 else numpy.int32
    padded = any(pads) or first.any()

    def block(lo, hi):
        xp_ = _padded(x[lo:hi], pads, reach, -numpy.inf)
        yb = y[lo:hi]
        views = [xp_[_tap_slices(tap, out, strides, ones)]  # (B, *out, C) each
                 for tap in numpy.ndindex(*ks)]
        numpy.fmax(views[0], -numpy.inf, out=yb)  # fmax: a NaN never wins, as with `>`
        for v in views[1:]:
            numpy.fmax(yb, v, out=yb)
        searching = numpy.greater(yb, -numpy.inf)  # False where no tap raised y
        unset = numpy.logical_not(searching) if padded else None
        differs = numpy.empty(yb.shape, dtype=bool)
        arg = numpy.zeros(yb.shape, dtype=small)
        for v in views[:-1]:
            numpy.not_equal(v, yb, out=differs)
            numpy.logical_and(searching, differs, out=searching)
            numpy.add(arg, searching.view(numpy.uint8), out=arg)
        if padded:  # y = -inf: the first in-bounds tap, as the scan started there
            numpy.maximum(arg, (first * unset).astype(small, copy=False), out=arg)
        argmax[lo:hi] = arg

    _par.run(block, n, _item_bytes(x, y, argmax) + y[:1].nbytes // 2)
    return y, argmax


def _max_pool_bwd(gy, argmax, spatial, ks, strides, pads):
    n, c = gy.shape[0], gy.shape[-1]
    out = gy.shape[1:-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    gx = numpy.empty((n,) + tuple(spatial) + (c,), dtype=gy.dtype)
    # windows that tile the input (strides == pool size, no padding: Keras's default)
    # each own their cells: their products are written in place, not added up
    tiled = (tuple(strides) == tuple(ks) and not any(pads)
             and all(r <= m for r, m in zip(reach, spatial)))
    margins = [(slice(None),) * (1 + i) + (slice(r, None),)
               for i, r in enumerate(reach) if r < spatial[i]]

    def block(lo, hi):
        g, a = gy[lo:hi], argmax[lo:hi]
        hit = numpy.empty(g.shape, dtype=bool)
        if tiled:
            target = gx[lo:hi]
            for margin in margins:  # cells no window covers
                target[margin] = 0
            for t, tap in enumerate(numpy.ndindex(*ks)):
                numpy.equal(a, t, out=hit)
                numpy.multiply(g, hit, out=target[_tap_slices(tap, out, strides, ones)])
            return
        acc, crop = _accumulator(gx[lo:hi], pads, reach)
        part = numpy.empty_like(g)
        for t, tap in enumerate(numpy.ndindex(*ks)):
            numpy.equal(a, t, out=hit)
            numpy.multiply(g, hit, out=part)  # 8x faster than where(); an inf/NaN gy leaks NaN
            acc[_tap_slices(tap, out, strides, ones)] += part
        _land(gx[lo:hi], acc, crop)

    _par.run(block, n, _item_bytes(gy, argmax, gx, gy))
    return gx


def _avg_pool(x, ks, strides, pads, out):
    n, c = x.shape[0], x.shape[-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    counts = _inside_counts(x.shape[1:-1], ks, strides, pads, out, x.dtype)
    y = numpy.empty((n,) + tuple(out) + (c,), dtype=x.dtype)

    def block(lo, hi):
        xp_ = _padded(x[lo:hi], pads, reach, 0)
        yb = y[lo:hi]
        for t, tap in enumerate(numpy.ndindex(*ks)):
            v = xp_[_tap_slices(tap, out, strides, ones)]  # (B, *out, C)
            if t == 0:
                yb[...] = v
            else:
                yb += v
        yb /= counts

    _par.run(block, n, _item_bytes(x, y))
    return y


def _avg_pool_bwd(gy, spatial, ks, strides, pads):
    n, c = gy.shape[0], gy.shape[-1]
    out = gy.shape[1:-1]
    ones = (1,) * len(ks)
    reach = [_extent(o, k, s, 1) for o, k, s in zip(out, ks, strides)]
    counts = _inside_counts(spatial, ks, strides, pads, out, gy.dtype)
    gx = numpy.empty((n,) + tuple(spatial) + (c,), dtype=gy.dtype)

    def block(lo, hi):
        g = gy[lo:hi] / counts
        acc, crop = _accumulator(gx[lo:hi], pads, reach)
        for tap in numpy.ndindex(*ks):
            acc[_tap_slices(tap, out, strides, ones)] += g
        _land(gx[lo:hi], acc, crop)

    _par.run(block, n, _item_bytes(gy, gy, gx))
    return gx


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
