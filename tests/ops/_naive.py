"""Naive loop references for the convolution and pooling kernels (tests only).

Written from the definitions in docs/kernels.md, one output position and one
kernel tap at a time (vectorised over batch and channels only), so they share
no code or strategy with the strided-view twins in gkeras/ops/_ref_numpy.py.
"""
import numpy as np


def _inside(pos, spatial):
    return all(0 <= q < n for q, n in zip(pos, spatial))


def _source(o, t, strides, pads, dilations):
    return tuple(oi * s - p + ti * d for oi, ti, s, p, d in zip(o, t, strides, pads, dilations))


def im2col(x, ks, strides, pads, dilations, out):
    spatial = x.shape[1:-1]
    cols = np.zeros((x.shape[0],) + tuple(out) + tuple(ks) + (x.shape[-1],), x.dtype)
    for o in np.ndindex(*out):
        for t in np.ndindex(*ks):
            pos = _source(o, t, strides, pads, dilations)
            if _inside(pos, spatial):
                cols[(slice(None),) + o + t] = x[(slice(None),) + pos]
    return cols


def col2im(cols, spatial, strides, pads, dilations):
    nd = len(spatial)
    out, ks = cols.shape[1:1 + nd], cols.shape[1 + nd:1 + 2 * nd]
    gx = np.zeros((cols.shape[0],) + tuple(spatial) + (cols.shape[-1],), cols.dtype)
    for o in np.ndindex(*out):
        for t in np.ndindex(*ks):
            pos = _source(o, t, strides, pads, dilations)
            if _inside(pos, spatial):
                gx[(slice(None),) + pos] += cols[(slice(None),) + o + t]
    return gx


def _window(o, ks, strides, pads, spatial):
    """[(flat tap index, position)] of the in-bounds cells of window `o`, in order."""
    cells = []
    for flat, t in enumerate(np.ndindex(*ks)):
        pos = _source(o, t, strides, pads, (1,) * len(ks))
        if _inside(pos, spatial):
            cells.append((flat, pos))
    return cells


def max_pool(x, ks, strides, pads, out):
    spatial = x.shape[1:-1]
    shape = (x.shape[0],) + tuple(out) + (x.shape[-1],)
    y, argmax = np.zeros(shape, x.dtype), np.zeros(shape, np.int32)
    for o in np.ndindex(*out):
        cells = _window(o, ks, strides, pads, spatial)
        vals = np.stack([x[(slice(None),) + pos] for _, pos in cells])  # (T, N, C)
        first = vals.argmax(axis=0)  # numpy's argmax: the first maximum
        y[(slice(None),) + o] = vals.max(axis=0)
        argmax[(slice(None),) + o] = np.array([flat for flat, _ in cells])[first]
    return y, argmax


def max_pool_bwd(gy, argmax, spatial, ks, strides, pads):
    gx = np.zeros((gy.shape[0],) + tuple(spatial) + (gy.shape[-1],), gy.dtype)
    out = gy.shape[1:-1]
    for o in np.ndindex(*out):
        for n in range(gy.shape[0]):
            for c in range(gy.shape[-1]):
                t = np.unravel_index(argmax[(n,) + o + (c,)], ks)
                pos = _source(o, t, strides, pads, (1,) * len(ks))
                gx[(n,) + pos + (c,)] += gy[(n,) + o + (c,)]
    return gx


def avg_pool(x, ks, strides, pads, out):
    spatial = x.shape[1:-1]
    y = np.zeros((x.shape[0],) + tuple(out) + (x.shape[-1],), x.dtype)
    for o in np.ndindex(*out):
        cells = _window(o, ks, strides, pads, spatial)
        y[(slice(None),) + o] = np.mean([x[(slice(None),) + pos] for _, pos in cells], axis=0)
    return y


def avg_pool_bwd(gy, spatial, ks, strides, pads):
    gx = np.zeros((gy.shape[0],) + tuple(spatial) + (gy.shape[-1],), gy.dtype)
    for o in np.ndindex(*gy.shape[1:-1]):
        cells = _window(o, ks, strides, pads, spatial)
        for _, pos in cells:
            gx[(slice(None),) + pos] += gy[(slice(None),) + o] / len(cells)
    return gx


def conv(x, w, strides, pads, dilations, out):
    """Direct convolution, x (N, *S, C), w (*ks, C, F)."""
    nd = w.ndim - 2
    spatial = x.shape[1:-1]
    y = np.zeros((x.shape[0],) + tuple(out) + (w.shape[-1],), np.result_type(x, w))
    for o in np.ndindex(*out):
        for t in np.ndindex(*w.shape[:nd]):
            pos = _source(o, t, strides, pads, dilations)
            if _inside(pos, spatial):
                y[(slice(None),) + o] += x[(slice(None),) + pos] @ w[t]
    return y


def conv_transpose(x, w, spatial, strides, pads, dilations):
    """Direct transposed convolution, x (N, *in, Cin), w (*ks, Cout, Cin)."""
    nd = w.ndim - 2
    y = np.zeros((x.shape[0],) + tuple(spatial) + (w.shape[-2],), np.result_type(x, w))
    for i in np.ndindex(*x.shape[1:-1]):
        for t in np.ndindex(*w.shape[:nd]):
            pos = _source(i, t, strides, pads, dilations)
            if _inside(pos, spatial):
                y[(slice(None),) + pos] += x[(slice(None),) + i] @ w[t].T
    return y


def same_padding(n, k, s, d=1):
    """TensorFlow's 'same' padding before the input, and the output size."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, out


def valid_size(n, k, s, d=1):
    return (n - (k - 1) * d - 1) // s + 1
