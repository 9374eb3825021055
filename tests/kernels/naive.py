"""Naive loop references for the kernel contract (docs/kernels.md), for tests only.

Written for obviousness, not speed: they loop over every output position and every window
tap (vectorised only over samples and channels), and the adjoints SCATTER into the input
(where the kernels gather), so a shared indexing mistake is unlikely. Spatial arguments
are tuples over the spatial axes: `ks` taps, `strides`, `pads` (cells before), `dils`,
`out` sizes.
"""
import itertools

import numpy


def _inside(pos, spatial):
    return all(0 <= p < m for p, m in zip(pos, spatial))


def _window_cells(o, ks, strides, pads, dils):
    """(tap index, tap, input position) of every tap of window `o`, row-major."""
    for t, k in enumerate(itertools.product(*map(range, ks))):
        yield t, k, tuple(oi * s - p + ki * d
                          for oi, ki, s, p, d in zip(o, k, strides, pads, dils))


def _positions(shape):
    return itertools.product(*map(range, shape))


def im2col(x, ks, strides, pads, dils, out):
    """x (N, *S, C) -> cols (N, *out, *ks, C), zeros outside x."""
    n, spatial, c = x.shape[0], x.shape[1:-1], x.shape[-1]
    cols = numpy.zeros((n,) + tuple(out) + tuple(ks) + (c,), dtype=x.dtype)
    for o in _positions(out):
        for _, k, pos in _window_cells(o, ks, strides, pads, dils):
            if _inside(pos, spatial):
                cols[(slice(None),) + o + k] = x[(slice(None),) + pos]
    return cols


def col2im(cols, spatial, strides, pads, dils):
    """The adjoint of `im2col`: scatter-adds cols (N, *out, *ks, C) into (N, *spatial, C)."""
    nd = len(spatial)
    n, c = cols.shape[0], cols.shape[-1]
    out, ks = cols.shape[1:1 + nd], cols.shape[1 + nd:1 + 2 * nd]
    gx = numpy.zeros((n,) + tuple(spatial) + (c,), dtype=cols.dtype)
    for o in _positions(out):
        for _, k, pos in _window_cells(o, ks, strides, pads, dils):
            if _inside(pos, spatial):
                gx[(slice(None),) + pos] += cols[(slice(None),) + o + k]
    return gx


def _pool_windows(spatial, ks, strides, pads, out):
    """Per output position: [(tap index, input position)] of its in-bounds cells."""
    ones = (1,) * len(ks)
    for o in _positions(out):
        cells = [(t, pos) for t, _, pos in _window_cells(o, ks, strides, pads, ones)
                 if _inside(pos, spatial)]
        assert cells, "window %s holds no cell of the input" % (o,)
        yield o, cells


def max_pool(x, ks, strides, pads, out):
    """(y, argmax int32): the first maximum over each window's in-bounds cells."""
    n, spatial, c = x.shape[0], x.shape[1:-1], x.shape[-1]
    y = numpy.empty((n,) + tuple(out) + (c,), dtype=x.dtype)
    argmax = numpy.empty(y.shape, dtype=numpy.int32)
    for o, cells in _pool_windows(spatial, ks, strides, pads, out):
        values = numpy.stack([x[(slice(None),) + pos] for _, pos in cells], axis=1)  # (N, T, C)
        first = values.argmax(axis=1)  # numpy picks the first maximum
        y[(slice(None),) + o] = values.max(axis=1)
        argmax[(slice(None),) + o] = numpy.asarray([t for t, _ in cells])[first]
    return y, argmax


def max_pool_bwd(gy, argmax, spatial, ks, strides, pads):
    """Scatters each gy to the cell its window's argmax names."""
    n, c, out = gy.shape[0], gy.shape[-1], gy.shape[1:-1]
    gx = numpy.zeros((n,) + tuple(spatial) + (c,), dtype=gy.dtype)
    for o, cells in _pool_windows(spatial, ks, strides, pads, out):
        g, a = gy[(slice(None),) + o], argmax[(slice(None),) + o]
        for t, pos in cells:
            gx[(slice(None),) + pos] += numpy.where(a == t, g, 0)
    return gx


def avg_pool(x, ks, strides, pads, out):
    """The mean over each window's in-bounds cells."""
    n, spatial, c = x.shape[0], x.shape[1:-1], x.shape[-1]
    y = numpy.empty((n,) + tuple(out) + (c,), dtype=x.dtype)
    for o, cells in _pool_windows(spatial, ks, strides, pads, out):
        y[(slice(None),) + o] = numpy.mean([x[(slice(None),) + pos] for _, pos in cells],
                                           axis=0)
    return y


def avg_pool_bwd(gy, spatial, ks, strides, pads):
    """Scatters gy / (in-bounds cells) to every in-bounds cell of its window."""
    n, c, out = gy.shape[0], gy.shape[-1], gy.shape[1:-1]
    gx = numpy.zeros((n,) + tuple(spatial) + (c,), dtype=gy.dtype)
    for o, cells in _pool_windows(spatial, ks, strides, pads, out):
        g = gy[(slice(None),) + o] / len(cells)
        for _, pos in cells:
            gx[(slice(None),) + pos] += g
    return gx


def global_max_pool(x):
    """x (N, S, C) -> (y (N, C), argmax int32 (N, C)), the first maximum over S."""
    n, s, c = x.shape
    y = numpy.empty((n, c), dtype=x.dtype)
    argmax = numpy.empty((n, c), dtype=numpy.int32)
    for i in range(n):
        for ch in range(c):
            column = list(x[i, :, ch])
            y[i, ch] = max(column)
            argmax[i, ch] = column.index(y[i, ch])
    return y, argmax


def global_max_pool_bwd(gy, argmax, s):
    n, c = gy.shape
    gx = numpy.zeros((n, s, c), dtype=gy.dtype)
    for i in range(n):
        for ch in range(c):
            gx[i, argmax[i, ch], ch] = gy[i, ch]
    return gx


def global_avg_pool(x):
    return x.sum(axis=1) / x.dtype.type(x.shape[1])


def global_avg_pool_bwd(gy, s):
    return numpy.repeat(gy[:, None, :] / gy.dtype.type(s), s, axis=1)
