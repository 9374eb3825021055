"""CPU-only convolution fusions: im2col and GEMM per batch block, columns never stored.

`ops/conv.py` (and the transposed convolutions) call these on numpy instead of the
kernel twins' separate im2col / col2im (`_ref_numpy`): per block of samples, sized so
that the block's columns stay in cache, the columns are built and multiplied at once,
on every core (`_cpu_parallel`, BLAS on one thread each).

* `conv_matmul`: the forward, im2col(x) @ W, with the bias and relu applied per block.
* `conv_kernel_grad`: im2col(x)^T @ g (and the bias gradient).
* `col2im_matmul`: the input gradient col2im(g @ W^T) (a transposed conv's output).
* `conv_backward`: relu's mask, the kernel, bias and input gradients in ONE pass over the
  blocks, so the masked gradient of a block is used while it is in cache.

With stride 1 along the first spatial axis the columns cover the other axes only and the
first axis's taps are row shifts of them (`_RowShift`). Results equal the products of
`_ref_numpy.im2col_*` and `col2im_*` up to rounding; blocks depend on sizes only, so
the bits do not depend on the thread count.
"""
import numpy
from numpy.lib.stride_tricks import as_strided

from . import _cpu_parallel as _par
from ._ref_numpy import (_accumulator, _extent, _land, _padded, _tap_slices, _windows,
                         channel_sums)

# Bytes of one block (columns + product + result). Measured on the mnist_cnn
# convolutions: 3-24 MiB all within noise, 2 MiB clearly slower.
_GEMM_BLOCK_BYTES = 6 << 20


def _run_gemm_blocks(block, n, item):
    """Blocks whose GEMMs run on every thread (BLAS on one thread each) when possible."""
    large = n * item >= _par.PARALLEL_MIN_BYTES
    parts = _par.blocks(n, item, _GEMM_BLOCK_BYTES, _par.MIN_BLOCKS if large else 1)
    with _par.blas_single() as single:
        # without control of the BLAS's threads, the blocks stay on this thread
        return _par.run_blocks(block, parts, parallel=single and large)


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

    def __init__(self, shape, ks, strides, pads, dilations, out):
        self.ks, self.strides, self.pads, self.dilations, self.out = ks, strides, pads, \
            dilations, out
        self.reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
        self.grid = max(pads[0] + shape[1], self.reach[0])  # P: padded rows a sample
        self.positions = int(numpy.prod(out[1:]))  # R
        self.width = int(numpy.prod(ks[1:])) * shape[-1]  # K'
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
        return numpy.ascontiguousarray(view).reshape(-1, self.width)

    def on_output(self, a, b):
        """(b*out0*R, F) output rows viewed as (b, out0, R, F)."""
        return a.reshape(b, self.out[0], self.positions, a.shape[-1])

    def on_grid(self, a, b):
        """(b*P*R, F) grid rows viewed as (b, P, R, F)."""
        return a.reshape(b, self.grid, self.positions, a.shape[-1])


def _columns(xb, ks, strides, pads, dilations, out):
    """im2col of block xb, (b*prod(out), prod(ks)*C): a copy of `_windows`'s view."""
    view = _windows(xb, ks, strides, pads, dilations, out)
    return numpy.ascontiguousarray(view).reshape(-1, int(numpy.prod(ks)) * xb.shape[-1])


def _epilogue(yb, bias, relu):
    """yb += bias, then relu, in place (on a block still in cache)."""
    if bias is not None:
        numpy.add(yb, bias, out=yb)
    if relu:
        numpy.maximum(yb, 0, out=yb)


# ---------------------------------------------------------------------------- block kernels
# Each returns (fn, item): fn computes one block, item is the bytes one sample touches
# (what sizes the blocks).
def _forward_kernel(shape, dtype, wmat, ks, strides, pads, dilations, out, bias, relu):
    """fn(xb, yb): the forward of block xb (b, *S, C) into yb (b*prod(out), F)."""
    f = wmat.shape[1]
    itemsize = numpy.dtype(dtype).itemsize
    rows = int(numpy.prod(out))
    sample = int(numpy.prod(shape[1:]))
    if shape[0] and _RowShift.applies(ks, strides, shape[-1], f):
        plan = _RowShift(shape, ks, strides, pads, dilations, out)
        w_taps = wmat.reshape(ks[0], plan.width, f)
        crop = (slice(None), slice(0, out[0]))

        def shifted(xb, yb):
            b = xb.shape[0]
            cols = plan.columns(xb)
            total, length = plan.rows(b)
            acc = numpy.empty((total, f), dtype=yb.dtype)
            tmp = numpy.empty((total, f), dtype=yb.dtype)
            numpy.matmul(cols[:length], w_taps[0], out=acc[:length])
            for t in range(1, ks[0]):
                off = t * plan.shift
                numpy.matmul(cols[off:off + length], w_taps[t], out=tmp[:length])
                if t < ks[0] - 1:
                    numpy.add(acc[:length], tmp[:length], out=acc[:length])
            target = plan.on_output(yb, b)
            numpy.add(plan.on_grid(acc, b)[crop], plan.on_grid(tmp, b)[crop], out=target)
            _epilogue(target, bias, relu)

        grid = plan.grid * plan.positions
        return shifted, (grid * (plan.width + 2 * f) + sample) * itemsize

    def plain(xb, yb):
        numpy.matmul(_columns(xb, ks, strides, pads, dilations, out), wmat, out=yb)
        _epilogue(yb, bias, relu)

    return plain, (rows * (wmat.shape[0] + f) + sample) * itemsize


def _kernel_grad_kernel(shape, dtype, ks, strides, pads, dilations, out, f):
    """fn(xb, gb): this block's im2col(xb)^T @ gb, (prod(ks)*C, F)."""
    itemsize = numpy.dtype(dtype).itemsize
    rows = int(numpy.prod(out))
    sample = int(numpy.prod(shape[1:]))
    k = int(numpy.prod(ks)) * shape[-1]
    if shape[0] and _RowShift.applies(ks, strides, shape[-1], f):
        plan = _RowShift(shape, ks, strides, pads, dilations, out)

        def shifted(xb, gb):
            b = xb.shape[0]
            cols = plan.columns(xb)
            total, length = plan.rows(b)
            gg = numpy.empty((total, f), dtype=gb.dtype)  # g on the grid, zeros past out
            grid = plan.on_grid(gg, b)
            grid[:, :out[0]] = plan.on_output(gb, b)
            grid[:, out[0]:] = 0
            return numpy.concatenate([
                numpy.matmul(cols[t * plan.shift:t * plan.shift + length].T, gg[:length])
                for t in range(ks[0])])

        return shifted, (plan.grid * plan.positions * (plan.width + f) + rows * f
                         + sample) * itemsize

    def plain(xb, gb):
        return numpy.matmul(_columns(xb, ks, strides, pads, dilations, out).T, gb)

    return plain, (rows * (k + f) + sample) * itemsize


def _input_grad_kernel(dtype, wmat, ks, out, spatial, strides, pads, dilations):
    """fn(gb, gxb): col2im(gb @ W^T) of one block, gb (b*prod(out), F), into gxb (b, *S, C).

    Stride 1: as the convolution of g (padded by (k-1)*d - p before, zeros after) with
    the kernel flipped in space and its channel axes swapped, when g has at most x's
    channels (its columns are then no wider than the forward's; Keras's paddings always
    have p <= (k-1)*d); else g laid out on the input-plus-padding grid, one GEMM
    channels-major and one shifted add of long rows per tap (`_flat_input_grad`).
    Other strides: one GEMM per tap, added into an input-shaped accumulator.
    """
    ks, out, spatial = tuple(ks), tuple(out), tuple(spatial)
    nd = len(ks)
    f = wmat.shape[1]
    c = wmat.shape[0] // int(numpy.prod(ks))
    itemsize = numpy.dtype(dtype).itemsize
    reach = [_extent(o, k, s, d) for o, k, s, d in zip(out, ks, strides, dilations)]
    if all(s == 1 for s in strides):
        full = [(k - 1) * d for k, d in zip(ks, dilations)]
        if f <= c and all(p <= m for p, m in zip(pads, full)):
            flipped = wmat.reshape(ks + (c, f))[(slice(None, None, -1),) * nd]
            wflip = numpy.ascontiguousarray(numpy.swapaxes(flipped, -1, -2)).reshape(-1, c)
            before = tuple(m - p for m, p in zip(full, pads))
            conv, item = _forward_kernel((1,) + out + (f,), dtype, wflip, ks, (1,) * nd,
                                         before, dilations, spatial, None, False)

            def as_conv(gb, gxb):
                conv(gb.reshape((gxb.shape[0],) + out + (f,)), gxb.reshape(-1, c))

            return as_conv, item
        return _flat_input_grad(dtype, wmat, ks, out, spatial, pads, dilations, reach)
    w_taps = wmat.reshape(ks + (c, f))  # (*ks, C, F)

    def per_tap(gb, gxb):
        acc, crop = _accumulator(gxb, pads, reach)
        shape = (gxb.shape[0],) + out + (c,)
        for tap in numpy.ndindex(*ks):
            acc[_tap_slices(tap, out, strides, dilations)] += numpy.matmul(
                gb, w_taps[tap].T).reshape(shape)
        _land(gxb, acc, crop)

    return per_tap, (int(numpy.prod(out)) * (f + 2 * c) + int(numpy.prod(spatial)) * c) \
        * itemsize


def _flat_input_grad(dtype, wmat, ks, out, spatial, pads, dilations, reach):
    """Stride-1 input gradient: one GEMM per block, shifted adds of long rows.

    Per block of B samples, g is laid out on the accumulator's grid R (the input plus
    the padding reached; g's positions at the grid's origin, zeros elsewhere) and
    multiplied once, channels-major: PT = wmat @ g_grid.T, (taps*C, B*prod(R)). With
    stride 1, tap t sends every position to the same flat offset of the grid, so its
    contribution is ONE add of PT's rows shifted by that offset (rows of B*prod(R)
    contiguous values, where strided adds into NHWC run C values at a time). The zeros
    around g's positions are what would cross into the next sample, so blocks need no
    halo. The channels-major accumulator is cropped and transposed into gx at the end.
    Taps are added in row-major order, as by `col2im`.
    """
    nd = len(ks)
    f = wmat.shape[1]
    taps = int(numpy.prod(ks))
    c = wmat.shape[0] // taps
    grid = tuple(max(p + m, r) for p, m, r in zip(pads, spatial, reach))
    size = int(numpy.prod(grid))
    flat = [int(numpy.prod(grid[i + 1:])) for i in range(nd)]
    offsets = [sum(t * d * s for t, d, s in zip(tap, dilations, flat))
               for tap in numpy.ndindex(*ks)]
    inside = (slice(None),) + tuple(slice(0, o) for o in out)
    crop = (slice(None), slice(None)) + tuple(slice(p, p + m) for p, m in zip(pads, spatial))
    # the grid cells outside g's positions: for each axis, the slab past g's extent
    margins = [(slice(None),) + tuple(slice(0, o) for o in out[:i]) + (slice(o, None),)
               for i, o in enumerate(out) if o < grid[i]]

    def flat(gb, gxb):
        b = gxb.shape[0]
        gg = numpy.empty((b,) + grid + (f,), dtype=gb.dtype)
        gg[inside] = gb.reshape((b,) + out + (f,))
        for margin in margins:
            gg[margin] = 0
        pt = numpy.matmul(wmat, gg.reshape(-1, f).T)  # (taps*C, B*size)
        length = b * size
        acc = numpy.zeros((c, length), dtype=gb.dtype)
        for t, off in enumerate(offsets):
            acc[:, off:] += pt[t * c:(t + 1) * c, :length - off]
        gxb[...] = numpy.moveaxis(acc.reshape((c, b) + grid)[crop], 0, -1)

    return flat, size * (f + taps * c + c) * numpy.dtype(dtype).itemsize


# ---------------------------------------------------------------------------- the fusions
def conv_matmul(x, wmat, ks, strides, pads, dilations, out, bias=None, relu=False):
    """im2col(x) @ wmat (+ bias, then relu), block by block: a convolution's forward.

    x (N, *S, C), wmat (prod(ks)*C, F), bias (F,) or None -> (N*prod(out), F).
    """
    n, f = x.shape[0], wmat.shape[1]
    rows = int(numpy.prod(out))
    y = numpy.empty((n * rows, f), dtype=numpy.result_type(x, wmat))
    fn, item = _forward_kernel(x.shape, y.dtype, wmat, ks, strides, pads, dilations, out,
                               bias, relu)
    _run_gemm_blocks(lambda lo, hi: fn(x[lo:hi], y[lo * rows:hi * rows]), n, item)
    return y


def conv_kernel_grad(x, g, ks, strides, pads, dilations, out):
    """im2col(x)^T @ g, block by block, partial products added in block order.

    x (N, *S, C), g (N*prod(out), F) -> (prod(ks)*C, F).
    """
    return conv_backward(x, g, None, ks, strides, pads, dilations, out, x.shape[1:-1],
                         need_gx=False)[1]


def col2im_matmul(g, wmat, ks, out, spatial, strides, pads, dilations):
    """col2im(g @ wmat.T) without materialising the columns, block by block.

    g (N*prod(out), F), wmat (prod(ks)*C, F) -> (N, *spatial, C): what `col2im_2d/3d`
    gives for `(g @ wmat.T).reshape(N, *out, *ks, C)`, up to rounding.
    """
    rows = int(numpy.prod(out))
    n, c = g.shape[0] // rows, wmat.shape[0] // int(numpy.prod(ks))
    gx = numpy.empty((n,) + tuple(spatial) + (c,), dtype=g.dtype)
    if n:
        fn, item = _input_grad_kernel(g.dtype, wmat, ks, out, spatial, strides, pads,
                                      dilations)
        _run_gemm_blocks(lambda lo, hi: fn(g[lo * rows:hi * rows], gx[lo:hi]), n, item)
    return gx


def conv_backward(x, g, wmat, ks, strides, pads, dilations, out, spatial, need_gx=True,
                  need_gw=True, with_bias=False, relu_y=None):
    """A convolution's gradients in one pass over batch blocks: (gx, gw, gb).

    x (N, *S, C) the forward's input, g (N*prod(out), F) the output gradient, wmat
    (prod(ks)*C, F) the kernel. With `relu_y` (the forward's output after its relu,
    shaped as g) g is first masked by relu's derivative, `g * (relu_y > 0)`. Each block
    takes the (masked) g rows once, while they are in cache, for the kernel gradient's
    product, the bias gradient's sums and the block's input gradient; partial products
    and sums are added in block order. Gradients not asked for are None.
    """
    n, f = x.shape[0], g.shape[1]
    rows = int(numpy.prod(out))
    k = int(numpy.prod(ks)) * x.shape[-1]
    dtype = numpy.result_type(x, g)
    gx = numpy.empty((n,) + tuple(spatial) + (x.shape[-1],), dtype=g.dtype) if need_gx \
        else None
    item = rows * 2 * f * g.itemsize  # g's rows and the masked copy
    if need_gw:
        kgrad, kitem = _kernel_grad_kernel(x.shape, dtype, ks, strides, pads, dilations,
                                           out, f)
        item += kitem
    if need_gx and n:
        igrad, iitem = _input_grad_kernel(g.dtype, wmat, ks, out, spatial, strides, pads,
                                          dilations)
        item += iitem

    def block(lo, hi):
        gb = g[lo * rows:hi * rows]
        if relu_y is not None:
            gb = numpy.multiply(gb, numpy.greater(relu_y[lo * rows:hi * rows], 0))
        part = kgrad(x[lo:hi], gb) if need_gw else None
        sums = channel_sums(gb) if with_bias else None
        if need_gx:
            igrad(gb, gx[lo:hi])
        return part, sums

    parts = _run_gemm_blocks(block, n, item) if n else []
    gw = gb = None
    if need_gw:
        gw = _in_order([p for p, _ in parts], (k, f), dtype)
    if with_bias:
        gb = _in_order([s for _, s in parts], (f,), g.dtype)
    return gx, gw, gb


def _in_order(terms, shape, dtype):
    """The sum of the blocks' partial results, added in block order (zeros: no block)."""
    if not terms:
        return numpy.zeros(shape, dtype=dtype)
    total = terms[0]
    for term in terms[1:]:
        total += term
    return total
