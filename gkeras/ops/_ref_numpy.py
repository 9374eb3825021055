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
result. The values are those of the one-block
computation, bit for bit, whatever the number of threads.

Three CPU-only fusions (no CUDA twin; `ops/conv.py` calls them on the CPU) keep a
convolution's GEMMs in cache and on every core: `conv_matmul` (im2col + GEMM + bias and
relu, the forward), `conv_kernel_grad` (relu's mask + im2col + GEMM, the kernel gradient)
and `col2im_matmul` (the input gradient: for stride 1 the convolution of g with the
flipped kernel, else one GEMM per tap into an accumulator), one GEMM per batch block.
"""
import numpy
from numpy.lib.stride_tricks import as_strided

from . import _cpu_parallel as _par

# Blocks of single-pass kernels (a copy) need no cache blocking: a few large ones.
_COPY_BLOCK_BYTES = 16 << 20
# Blocks of the convolution fusions: columns + product + result of one block. Measured
# on the mnist_cnn convolutions: 3-24 MiB all within noise, 2 MiB clearly slower.
_GEMM_BLOCK_BYTES = 6 << 20


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


class _RowShift:
    """Columns for the taps of every axis but the first; the first axis's taps as row shifts.

    With stride 1 along the first spatial axis, output row i reads input row i + t*d for
    tap t. Laid out on the grid of the padded input's first axis (P rows a sample, of
    R = prod(out[1:]) positions each), the columns of tap t for ALL output positions are
    the columns of tap 0 shifted by t*d*R rows: one (rows, K') matrix serves every tap as
    a contiguous row slice, K' = prod(ks[1:])*C. So a block builds 1/ks[0] of the usual
    im2col and runs ks[0] GEMMs of K' (instead of one of ks[0]*K'); grid rows past the
    output (i >= out[0]) are computed and dropped (forward) or meet zeros (gradients).
    Rows of one sample reach into the next only there.
    """

    def __init__(self, x, ks, strides, pads, dilations, out):
        self.ks, self.strides, self.pads, self.dilations, self.out = ks, strides, pads, \
            dilations, out
        self.reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
        self.grid = max(pads[0] + x.shape[1], self.reach[0])  # P: padded rows a sample
        self.positions = int(numpy.prod(out[1:]))  # R
        self.width = int(numpy.prod(ks[1:])) * x.shape[-1]  # K'
        self.shift = dilations[0] * self.positions  # rows between taps of the first axis

    @staticmethod
    def applies(ks, strides, channels, filters):
        """Stride 1 along a first axis of several taps, and columns at least twice as wide
        as the output: the shifted GEMMs add up ks[0] outputs of F values a row, which
        pays when the im2col rows saved, (ks[0]-1)*K' values, are wider (measured on 2
        cores: cifar10_cnn's 32->32 and 64->64 layers gain, mnist_cnn's 32->64 loses)."""
        width = int(numpy.prod(ks[1:])) * channels
        return len(ks) > 1 and ks[0] > 1 and strides[0] == 1 and width >= 2 * filters

    def rows(self, b):
        """Grid rows of b samples, and the rows every tap's slice holds (L)."""
        total = b * self.grid * self.positions
        return total, total - (self.ks[0] - 1) * self.shift

    def columns(self, xb):
        """(b*P*R, K') columns of block xb for the first axis's tap 0."""
        xp_ = _padded(xb, self.pads, self.reach, 0)
        st = xp_.strides
        sp = st[2:-1]
        view = as_strided(
            xp_, shape=(xb.shape[0], self.grid) + tuple(self.out[1:]) + tuple(self.ks[1:])
            + (xb.shape[-1],),
            strides=(st[0], st[1]) + tuple(a * s for a, s in zip(sp, self.strides[1:]))
            + tuple(a * d for a, d in zip(sp, self.dilations[1:])) + (st[-1],),
            writeable=False)
        cols = numpy.empty(view.shape, dtype=xb.dtype)
        numpy.copyto(cols, view)
        return cols.reshape(-1, self.width)

    def on_grid(self, a, b):
        """(b*R*out0, F) rows of `a`, viewed as (b, out0, R, F)."""
        return a.reshape(b, self.out[0], self.positions, a.shape[-1])

    def grid_view(self, a, b):
        """(b*P*R, F) grid rows viewed as (b, P, R, F)."""
        return a.reshape(b, self.grid, self.positions, a.shape[-1])


def conv_matmul(x, wmat, ks, strides, pads, dilations, out, bias=None, relu=False):
    """im2col(x) @ wmat (+ bias, then relu), one batch block at a time (Conv's forward).

    x (N, *S, C), wmat (prod(ks)*C, F), bias (F,) or None -> (N*prod(out), F). Each
    block's columns are built and multiplied while they are in cache, on every core,
    and never kept: the kernel gradient (`conv_kernel_grad`) builds them again from x.
    With stride 1 along the first spatial axis the columns cover the other axes only
    (`_RowShift`). The bias and the relu are applied to each block while it is in cache.
    """
    n, f = x.shape[0], wmat.shape[1]
    rows = int(numpy.prod(out))
    y = numpy.empty((n * rows, f), dtype=numpy.result_type(x, wmat))
    if n and _RowShift.applies(ks, strides, x.shape[-1], f):
        plan = _RowShift(x, ks, strides, pads, dilations, out)
        w_taps = wmat.reshape(ks[0], plan.width, f)
        grid = plan.grid * plan.positions
        item = (grid * (plan.width + 2 * f) + x[:1].size) * y.itemsize

        def block(lo, hi):
            b = hi - lo
            cols = plan.columns(x[lo:hi])
            total, length = plan.rows(b)
            acc = numpy.empty((total, f), dtype=y.dtype)
            tmp = numpy.empty((total, f), dtype=y.dtype)
            numpy.matmul(cols[:length], w_taps[0], out=acc[:length])
            for t in range(1, ks[0]):
                off = t * plan.shift
                numpy.matmul(cols[off:off + length], w_taps[t], out=tmp[:length])
                if t < ks[0] - 1:
                    numpy.add(acc[:length], tmp[:length], out=acc[:length])
            yb = plan.on_grid(y[lo * rows:hi * rows], b)
            crop = (slice(None), slice(0, out[0]))
            numpy.add(plan.grid_view(acc, b)[crop], plan.grid_view(tmp, b)[crop], out=yb)
            _epilogue(yb, bias, relu)

        _run_gemm_blocks(block, n, item)
        return y
    item = (rows * (wmat.shape[0] + f) + x[:1].size) * y.itemsize

    def block(lo, hi):
        cols = numpy.empty((hi - lo,) + tuple(out) + tuple(ks) + (x.shape[-1],), dtype=x.dtype)
        numpy.copyto(cols, _windows(x[lo:hi], ks, strides, pads, dilations, out))
        yb = y[lo * rows:hi * rows]
        numpy.matmul(cols.reshape(-1, wmat.shape[0]), wmat, out=yb)
        _epilogue(yb, bias, relu)

    _run_gemm_blocks(block, n, item)
    return y


def _epilogue(yb, bias, relu):
    """yb += bias, then relu, in place (on a block still in cache)."""
    if bias is not None:
        numpy.add(yb, bias, out=yb)
    if relu:
        numpy.maximum(yb, 0, out=yb)


def conv_kernel_grad(x, g, ks, strides, pads, dilations, out, with_bias=False, relu_y=None):
    """im2col(x).T @ g, one batch block at a time: a convolution's kernel gradient.

    x (N, *S, C), g (N*prod(out), F) -> (prod(ks)*C, F): per-block products of columns
    built in cache (as `conv_matmul`, `_RowShift` included: g then laid out on the grid,
    zeros past the output), added in block order. With `with_bias`, returns (kernel
    gradient, bias gradient): the bias's is g summed over its rows, per block while the
    block is in cache, the partial sums added in block order.

    With `relu_y` (the forward's output, after its relu, shaped as g), g is first
    masked by relu's derivative, `g * (relu_y > 0)`, block by block in cache; the
    result is then (gradients..., masked g), the masked g for the input gradient.
    """
    n, f = x.shape[0], g.shape[1]
    rows = int(numpy.prod(out))
    k = int(numpy.prod(ks)) * x.shape[-1]
    masked = None if relu_y is None else numpy.empty_like(g)
    shifted = n and _RowShift.applies(ks, strides, x.shape[-1], f)
    if shifted:
        plan = _RowShift(x, ks, strides, pads, dilations, out)
        item = (plan.grid * plan.positions * (plan.width + f) + rows * f + x[:1].size) \
            * g.itemsize
    else:
        item = (rows * (k + 2 * f) + x[:1].size) * g.itemsize

    def block(lo, hi):
        gb = g[lo * rows:hi * rows]
        if masked is not None:
            gb = numpy.multiply(gb, numpy.greater(relu_y[lo * rows:hi * rows], 0),
                                out=masked[lo * rows:hi * rows])
        if shifted:
            b = hi - lo
            cols = plan.columns(x[lo:hi])
            total, length = plan.rows(b)
            gg = numpy.empty((total, f), dtype=g.dtype)  # g on the grid, zeros past out
            grid = plan.grid_view(gg, b)
            grid[:, :out[0]] = plan.on_grid(gb, b)
            grid[:, out[0]:] = 0
            part = numpy.concatenate([
                numpy.matmul(cols[t * plan.shift:t * plan.shift + length].T, gg[:length])
                for t in range(ks[0])])
        else:
            cols = numpy.empty((hi - lo,) + tuple(out) + tuple(ks) + (x.shape[-1],),
                               dtype=x.dtype)
            numpy.copyto(cols, _windows(x[lo:hi], ks, strides, pads, dilations, out))
            part = numpy.matmul(cols.reshape(-1, k).T, gb)
        return (part, channel_sums(gb)) if with_bias else (part,)

    parts = _run_gemm_blocks(block, n, item)
    if parts:
        sums = list(parts[0])
        for part in parts[1:]:
            for total, term in zip(sums, part):
                total += term
    else:  # an empty batch
        sums = [numpy.zeros((k, f), dtype=numpy.result_type(x, g))]
        if with_bias:
            sums.append(numpy.zeros((f,), dtype=g.dtype))
    if masked is not None:
        sums.append(masked)
    return sums[0] if len(sums) == 1 else tuple(sums)


def relu_mask(g, relu_y):
    """g * (relu_y > 0): the gradient through a relu, from the relu's output."""
    masked = numpy.empty(g.shape, dtype=numpy.result_type(g.dtype, bool))

    def block(lo, hi):
        numpy.multiply(g[lo:hi], numpy.greater(relu_y[lo:hi], 0), out=masked[lo:hi])

    _par.run(block, g.shape[0], 3 * masked.nbytes // max(g.shape[0], 1))
    return masked


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


def _run_gemm_blocks(block, n, item):
    """Blocks whose GEMMs run on every thread (BLAS on one thread each) when possible."""
    large = n * item >= _par.PARALLEL_MIN_BYTES
    parts = _par.blocks(n, item, _GEMM_BLOCK_BYTES, _par.MIN_BLOCKS if large else 1)
    with _par.blas_single() as single:
        # without control of the BLAS's threads, the blocks stay on this thread
        return _par.run_blocks(block, parts, parallel=single and large)


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


def col2im_matmul(g, wmat, ks, out, spatial, strides, pads, dilations):
    """col2im(g @ wmat.T) without materialising the columns (CPU-only fusion).

    Same result as `col2im_2d/3d` applied to `(g @ wmat.T).reshape(N, *out, *ks, C)`,
    with `wmat` of shape (prod(ks)*C, F) and `g` of shape (N*prod(out), F), up to
    rounding. Stride 1 (the common case) takes `_col2im_matmul_stride1` or
    `_col2im_matmul_flat`; other strides do one GEMM per kernel tap, added straight into
    the input-shaped accumulator.
    """
    ks, out = tuple(ks), tuple(out)
    taps = int(numpy.prod(ks))
    n = g.shape[0] // int(numpy.prod(out))
    c = wmat.shape[0] // taps
    full = [(k - 1) * d for k, d in zip(ks, dilations)]
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    if n and all(s == 1 for s in strides):
        # measured on 2 cores: as a convolution when g has at most x's channels (its
        # columns then are no wider than the forward's), else the flat shifted adds
        if wmat.shape[1] <= c and all(p <= f for p, f in zip(pads, full)):
            return _col2im_matmul_stride1(g, wmat, ks, out, spatial, pads, dilations)
        return _col2im_matmul_flat(g, wmat, ks, out, spatial, pads, dilations, reach)
    w_taps = wmat.reshape(ks + (c, wmat.shape[1]))  # (*ks, C, F)
    gx = numpy.empty((n,) + tuple(spatial) + (c,), dtype=g.dtype)
    rows = int(numpy.prod(out))

    def block(lo, hi):
        acc, crop = _accumulator(gx[lo:hi], pads, reach)
        gb = g[lo * rows:hi * rows]
        for tap in numpy.ndindex(*ks):
            part = numpy.matmul(gb, w_taps[tap].T)  # (B*prod(out), C)
            acc[_tap_slices(tap, out, strides, dilations)] += part.reshape((hi - lo,) + out
                                                                           + (c,))
        _land(gx[lo:hi], acc, crop)

    _run_gemm_blocks(block, n, (rows * (g.shape[1] + 2 * c) + gx[:1].size) * g.itemsize)
    return gx


def _col2im_matmul_stride1(g, wmat, ks, out, spatial, pads, dilations):
    """Stride-1 `col2im_matmul` as a convolution: g, padded, with the flipped kernel.

    With stride 1, gx[i] = sum over taps a of g[i + p - a*d] @ W[a].T, which is the
    stride-1 convolution of g (padded by (k-1)*d - p before, zeros after) with the
    kernel flipped in space and with its channel axes swapped: `conv_matmul`'s im2col
    + GEMM blocks, with a GEMM of K = taps*F rows instead of F. Needs p <= (k-1)*d,
    which Keras's paddings ('valid', 'same', 'causal') always meet.
    """
    nd = len(ks)
    f = wmat.shape[1]
    c = wmat.shape[0] // int(numpy.prod(ks))
    n = g.shape[0] // int(numpy.prod(out))
    flipped = wmat.reshape(ks + (c, f))[(slice(None, None, -1),) * nd]
    wflip = numpy.ascontiguousarray(numpy.swapaxes(flipped, -1, -2)).reshape(-1, c)
    before = tuple((k - 1) * d - p for k, d, p in zip(ks, dilations, pads))
    gx = conv_matmul(g.reshape((n,) + out + (f,)), wflip, ks, (1,) * nd, before, dilations,
                     tuple(spatial))
    return gx.reshape((n,) + tuple(spatial) + (c,))


def _col2im_matmul_flat(g, wmat, ks, out, spatial, pads, dilations, reach):
    """Stride-1 `col2im_matmul`: one GEMM per batch block, shifted adds of long rows.

    Per block of B samples, `g` is laid out on the accumulator's grid R (the input plus
    the padding reached; g's positions at the grid's origin, zeros elsewhere) and
    multiplied once, channels-major: PT = wmat @ g_grid.T, (taps*C, B*prod(R)). With
    stride 1, tap t sends every position to the same flat offset of the grid, so its
    contribution is ONE add of PT's rows shifted by that offset (rows of B*prod(R)
    contiguous values, where strided adds into NHWC run C values at a time). The
    zeros around g's positions are what would cross into the next sample, so blocks
    need no halo. The channels-major accumulator is cropped and transposed into gx at
    the end. Taps are added in row-major order, as by `col2im`.
    """
    nd = len(ks)
    f = wmat.shape[1]
    taps = int(numpy.prod(ks))
    c = wmat.shape[0] // taps
    n = g.shape[0] // int(numpy.prod(out))
    grid = tuple(max(p + m, r) for p, m, r in zip(pads, spatial, reach))
    size = int(numpy.prod(grid))
    flat = [int(numpy.prod(grid[i + 1:])) for i in range(nd)]
    offsets = [sum(t * d * s for t, d, s in zip(tap, dilations, flat))
               for tap in numpy.ndindex(*ks)]
    g_sp = g.reshape((n,) + out + (f,))
    inside = (slice(None),) + tuple(slice(0, o) for o in out)
    crop = (slice(None), slice(None)) + tuple(slice(p, p + m) for p, m in zip(pads, spatial))
    gx = numpy.empty((n,) + tuple(spatial) + (c,), dtype=g.dtype)
    item = size * (f + taps * c + c) * g.itemsize

    # the grid cells outside g's positions: for each axis, the slab past g's extent
    margins = [(slice(None),) + tuple(slice(0, o) for o in out[:i]) + (slice(o, None),)
               for i, o in enumerate(out) if o < grid[i]]

    def block(lo, hi):
        b = hi - lo
        gg = numpy.empty((b,) + grid + (f,), dtype=g.dtype)
        gg[inside] = g_sp[lo:hi]
        for margin in margins:
            gg[margin] = 0
        pt = numpy.matmul(wmat, gg.reshape(-1, f).T)  # (taps*C, B*size)
        length = b * size
        acc = numpy.zeros((c, length), dtype=g.dtype)
        for t, off in enumerate(offsets):
            acc[:, off:] += pt[t * c:(t + 1) * c, :length - off]
        acc = acc.reshape((c, b) + grid)[crop]
        gx[lo:hi] = numpy.moveaxis(acc, 0, -1)

    _run_gemm_blocks(block, n, item)
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
