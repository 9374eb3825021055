"""Convolutions with Keras's backend semantics: conv1d, conv2d, conv3d, conv2d_transpose.

Native layout is channels-last with Keras's kernel layouts; a convolution is
`im2col` followed by one GEMM (`xp.matmul`: BLAS or cuBLAS), and its input
gradient is a GEMM followed by `col2im`. The lowering kernels come from
`kernels_for(xp)`: the numpy twins on the CPU, the CUDA launchers on the GPU
(same names and signatures, see docs/kernels.md). On the CPU the same products
run as batch-block fusions that never store the columns (`_conv_cpu`: `conv_matmul`,
`conv_backward`, `col2im_matmul`). `channels_first` is a transpose at the op
boundary. 1-D convolutions are 2-D ones with height 1.
"""
import numpy

from ..autograd.function import Function
from ..backend.config import normalize_data_format
from ..utils import conv_utils
from . import _conv_cpu, _cpu_parallel, _ref_numpy
from .array import reshape
from ._util import as_tensor


def _matmul(xp, a, b):
    """2-D a @ b; on the CPU split over the cores with BLAS kept on one thread each."""
    return _cpu_parallel.matmul(a, b) if xp is numpy else xp.matmul(a, b)


def kernels_for(xp):
    """The kernel module for array module `xp`: numpy twins, or the CUDA launchers."""
    if xp is numpy:
        return _ref_numpy
    from . import _ref_cuda  # only on the GPU path: it needs cupy
    return _ref_cuda


def to_channels_last(xp, x):
    """(N, C, *S) -> contiguous (N, *S, C)."""
    return xp.ascontiguousarray(xp.moveaxis(x, 1, -1))


def to_channels_first(xp, x):
    """(N, *S, C) -> contiguous (N, C, *S)."""
    return xp.ascontiguousarray(xp.moveaxis(x, -1, 1))


def im2col(impl, x, ks, strides, pads, dilations, out):
    """x (N, *S, C) -> cols (N, *out, *ks, C) through `impl`'s 2-D or 3-D kernel."""
    if len(ks) == 2:
        return impl.im2col_2d(x, *ks, *strides, *pads, *dilations, *out)
    return impl.im2col_3d(x, *ks, *strides, *pads, *dilations, *out)


def col2im(impl, cols, spatial, strides, pads, dilations):
    """The adjoint of `im2col`: cols (N, *out, *ks, C) -> (N, *spatial, C)."""
    if len(spatial) == 2:
        return impl.col2im_2d(cols, *spatial, *strides, *pads, *dilations)
    return impl.col2im_3d(cols, *spatial, *strides, *pads, *dilations)


def col2im_of_product(xp, impl, g, wmat, ks, out, spatial, strides, pads, dilations):
    """col2im(g @ wmat.T): the input gradient of a convolution (and a transposed one's output).

    g (N*prod(out), F), wmat (prod(ks)*C, F) -> (N, *spatial, C). On the CPU the
    product is accumulated block by block (`_conv_cpu.col2im_matmul`), never building
    the (N*prod(out), prod(ks)*C) columns; on the GPU it is one cuBLAS GEMM and the
    gathering col2im kernel.
    """
    if impl is _ref_numpy:
        return _conv_cpu.col2im_matmul(g, wmat, ks, out, spatial, strides, pads, dilations)
    ks, out = tuple(ks), tuple(out)
    n, c = g.shape[0] // int(numpy.prod(out)), wmat.shape[0] // int(numpy.prod(ks))
    cols = xp.matmul(g, wmat.T).reshape((n,) + out + ks + (c,))  # (N, *out, *ks, C)
    return col2im(impl, cols, spatial, strides, pads, dilations)


class Conv(Function):
    """N-D convolution (2-D or 3-D), kernel (*ks, in, out), as im2col + GEMM.

    An optional third input, a bias (out,), is added to the output channels, and with
    `relu` the plain relu follows: on the CPU block by block right after each block's
    GEMM, while it is in cache (and the backward takes relu's mask, the kernel, bias and
    input gradients block by block in one pass), sparing separate BiasAdd and ReLU
    passes over the output. Values and gradients are those of
    `relu(bias_add(conv(x, w), b))`, bit for bit.
    """

    def __init__(self, strides, pads, dilations, out, channels_first, relu=False):
        self.strides, self.pads, self.dilations = strides, pads, dilations
        self.out, self.channels_first, self.relu = out, channels_first, relu

    def forward(self, xp, x, w, *bias):
        impl = kernels_for(xp)
        x = to_channels_last(xp, x) if self.channels_first else xp.ascontiguousarray(x)
        w = xp.ascontiguousarray(w)
        b = bias[0] if bias else None
        self.has_bias = b is not None
        nd = w.ndim - 2
        self.impl, self.x_shape, self.w_shape = impl, x.shape, w.shape
        self.wmat = w.reshape(-1, w.shape[-1])  # (prod(ks)*C, F)
        if impl is _ref_numpy:
            # columns built and multiplied block by block in cache, never stored: the
            # kernel gradient builds them again from x
            self.x, self.cols = x, None
            y = _conv_cpu.conv_matmul(x, self.wmat, w.shape[:nd], self.strides, self.pads,
                                      self.dilations, self.out, b, self.relu)
        else:
            cols = im2col(impl, x, w.shape[:nd], self.strides, self.pads, self.dilations,
                          self.out)  # (N, *out, *ks, C)
            self.cols = cols.reshape(-1, w.size // w.shape[-1])  # (N*prod(out), prod(ks)*C)
            y = xp.matmul(self.cols, self.wmat)  # (N*prod(out), F)
            if b is not None:
                y += b
            if self.relu:
                xp.maximum(y, 0, out=y)
        self.y = y if self.relu else None  # (N*prod(out), F): relu's mask for the backward
        y = y.reshape((x.shape[0],) + tuple(self.out) + (w.shape[-1],))  # (N, *out, F)
        return to_channels_first(xp, y) if self.channels_first else y

    def backward(self, xp, gy):
        gy = to_channels_last(xp, gy) if self.channels_first else xp.ascontiguousarray(gy)
        gy2 = gy.reshape(-1, gy.shape[-1])  # (N*prod(out), F)
        need_gb = self.has_bias and self.needs_input_grad[2]
        if self.impl is _ref_numpy:  # every gradient in one pass over batch blocks
            gx, gw, gb = _conv_cpu.conv_backward(
                self.x, gy2, self.wmat, self.w_shape[:-2], self.strides, self.pads,
                self.dilations, self.out, self.x_shape[1:-1], self.needs_input_grad[0],
                self.needs_input_grad[1], need_gb, self.y)
        else:
            if self.relu:
                gy2 = gy2 * (self.y > 0).astype(gy2.dtype)
            gw = xp.matmul(self.cols.T, gy2) if self.needs_input_grad[1] else None
            gb = gy2.sum(axis=0) if need_gb else None
            gx = None
            if self.needs_input_grad[0]:
                gx = col2im_of_product(xp, self.impl, gy2, self.wmat, self.w_shape[:-2],
                                       gy.shape[1:-1], self.x_shape[1:-1], self.strides,
                                       self.pads, self.dilations)
        if gw is not None:
            gw = gw.reshape(self.w_shape)  # (*ks, C, F)
        if gx is not None and self.channels_first:
            gx = to_channels_first(xp, gx)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvTranspose(Function):
    """N-D transposed convolution, kernel (*ks, out, in): col2im(x @ K^T)."""

    def __init__(self, strides, pads, dilations, spatial, channels_first):
        self.strides, self.pads, self.dilations = strides, pads, dilations
        self.spatial, self.channels_first = spatial, channels_first

    def forward(self, xp, x, w):
        impl = kernels_for(xp)
        x = to_channels_last(xp, x) if self.channels_first else xp.ascontiguousarray(x)
        w = xp.ascontiguousarray(w)
        nd = w.ndim - 2
        self.impl, self.w_shape = impl, w.shape
        self.x2 = x.reshape(-1, x.shape[-1])  # (N*prod(in), Cin)
        self.wmat = w.reshape(-1, w.shape[-1])  # (prod(ks)*Cout, Cin)
        self.x_shape, self.in_spatial = x.shape, x.shape[1:1 + nd]
        y = col2im_of_product(xp, impl, self.x2, self.wmat, w.shape[:nd], self.in_spatial,
                              self.spatial, self.strides, self.pads, self.dilations)
        return to_channels_first(xp, y) if self.channels_first else y

    def backward(self, xp, gy):
        gy = to_channels_last(xp, gy) if self.channels_first else xp.ascontiguousarray(gy)
        nd = len(self.spatial)
        gcols = im2col(self.impl, gy, self.w_shape[:nd], self.strides, self.pads,
                       self.dilations, self.in_spatial)  # (N, *in, *ks, Cout)
        gcols = gcols.reshape(self.x2.shape[0], -1)  # (N*prod(in), prod(ks)*Cout)
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = _matmul(xp, gcols, self.wmat).reshape(self.x_shape)  # (N, *in, Cin)
            if self.channels_first:
                gx = to_channels_first(xp, gx)
        if self.needs_input_grad[1]:
            gw = _matmul(xp, gcols.T, self.x2).reshape(self.w_shape)  # (*ks, Cout, Cin)
        return gx, gw


# ---------------------------------------------------------------------------- argument checks
_LAYOUTS = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}


def check_input(name, x, nd, data_format):
    """Raises unless `x` is a float32/float64 tensor of rank nd + 2."""
    if x.ndim != nd + 2:
        layout = ("(batch, channels, %s)" if data_format == "channels_first"
                  else "(batch, %s, channels)") % _LAYOUTS[nd]
        raise ValueError("%s expects a %d-D input %s for data_format=%r, got shape %s"
                         % (name, nd + 2, layout, data_format, x.shape))
    if x.dtype.name not in ("float32", "float64"):
        raise TypeError("%s supports float32 and float64 inputs, got %s" % (name, x.dtype.name))


def spatial_and_channels(x, data_format):
    """(spatial sizes, channels) of an input in `data_format`."""
    if data_format == "channels_first":
        return tuple(x.shape[2:]), x.shape[1]
    return tuple(x.shape[1:-1]), x.shape[-1]


def geometry(spatial, ks, strides, dilations, padding):
    """Output sizes and 'before' paddings of a 'valid' or 'same' window sweep."""
    out = tuple(conv_utils.conv_output_length(n, k, padding, s, d)
                for n, k, s, d in zip(spatial, ks, strides, dilations))
    if padding == "valid":
        return out, (0,) * len(spatial)
    return out, tuple(conv_utils.same_padding(n, k, s, d)[0]
                      for n, k, s, d in zip(spatial, ks, strides, dilations))


def check_fits(name, spatial, ks, dilations, out, label):
    """Raises when a 'valid' window is larger than the input (an empty output)."""
    if min(out) >= 1:
        return
    spans = tuple((k - 1) * d + 1 for k, d in zip(ks, dilations))
    detail = "" if spans == tuple(ks) else " (%s dilated by dilation_rate %s)" % (
        tuple(ks), tuple(dilations))
    raise ValueError("%s: with padding='valid' the %s spans %s cells%s, more than the "
                     "input's spatial size %s" % (name, label, spans, detail, spatial))


def _check_kernel(name, x, kernel, nd, data_format, in_axis):
    check_input(name, x, nd, data_format)
    if kernel.ndim != nd + 2:
        raise ValueError("%s expects a %d-D kernel, got shape %s" % (name, nd + 2, kernel.shape))
    if kernel.dtype != x.dtype:
        raise TypeError("%s: the input is %s but the kernel is %s; both must have one dtype"
                        % (name, x.dtype.name, kernel.dtype.name))
    channels = spatial_and_channels(x, data_format)[1]
    if kernel.shape[in_axis] != channels:
        raise ValueError(
            "%s: the kernel's input channels (kernel.shape[%d] = %d) do not match the "
            "input's channels (%d, axis %d of input shape %s with data_format=%r)"
            % (name, in_axis % kernel.ndim, kernel.shape[in_axis], channels,
               1 if data_format == "channels_first" else x.ndim - 1, x.shape, data_format))


def _options(nd, strides, padding, data_format, dilation_rate, paddings=("valid", "same")):
    return (conv_utils.normalize_tuple(strides, nd, "strides"),
            conv_utils.normalize_padding(padding, paddings),
            normalize_data_format(data_format),
            conv_utils.normalize_tuple(dilation_rate, nd, "dilation_rate"))


# ---------------------------------------------------------------------------- ops
def _bias_inputs(name, bias, kernel):
    """() or (bias,) after checking that it is a (filters,) vector of the kernel's dtype."""
    if bias is None:
        return ()
    bias = as_tensor(bias)
    if bias.shape != (kernel.shape[-1],):
        raise ValueError("%s: the bias must have shape (filters,) = (%d,), got %s"
                         % (name, kernel.shape[-1], bias.shape))
    if bias.dtype != kernel.dtype:
        raise TypeError("%s: the kernel is %s but the bias is %s; both must have one dtype"
                        % (name, kernel.dtype.name, bias.dtype.name))
    return (bias,)


def _conv(name, x, kernel, nd, strides, padding, data_format, dilation_rate, bias=None,
          relu=False):
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides, padding, data_format, dilations = _options(nd, strides, padding, data_format,
                                                        dilation_rate)
    _check_kernel(name, x, kernel, nd, data_format, -2)
    spatial = spatial_and_channels(x, data_format)[0]
    ks = tuple(kernel.shape[:nd])
    out, pads = geometry(spatial, ks, strides, dilations, padding)
    check_fits(name, spatial, ks, dilations, out, "kernel")
    bias = _bias_inputs(name, bias, kernel)
    return Conv(strides, pads, dilations, out, data_format == "channels_first", relu).apply(
        x, kernel, *bias)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None,
           dilation_rate=1, bias=None, relu=False):
    """1-D convolution (Keras's K.conv1d).

    Args:
        x: (batch, steps, channels), or (batch, channels, steps) for channels_first.
        kernel: (kernel_size, in_channels, filters).
        strides, dilation_rate: int or 1-tuple.
        padding: 'valid', 'same' or 'causal' (left padding of (k - 1) * dilation).
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        bias: optional (filters,) vector added to the output channels inside the op.
        relu: apply the plain relu after the bias, inside the op (a gkeras extension).

    Returns:
        (batch, new_steps, filters), or (batch, filters, new_steps).
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    (s,), padding, data_format, (d,) = _options(1, strides, padding, data_format,
                                                dilation_rate, ("valid", "same", "causal"))
    _check_kernel("conv1d", x, kernel, 1, data_format, -2)
    bias = _bias_inputs("conv1d", bias, kernel)
    (steps,), channels = spatial_and_channels(x, data_format)
    k = kernel.shape[0]
    if padding == "causal":
        out, pad = conv_utils.conv_output_length(steps, k, "causal", s, d), (k - 1) * d
    else:
        (out,), (pad,) = geometry((steps,), (k,), (s,), (d,), padding)
        check_fits("conv1d", (steps,), (k,), (d,), (out,), "kernel")
    cf = data_format == "channels_first"
    n, filters = x.shape[0], kernel.shape[-1]
    x4 = reshape(x, (n, channels, 1, steps) if cf else (n, 1, steps, channels))
    y = Conv((1, s), (0, pad), (1, d), (1, out), cf, relu).apply(
        x4, reshape(kernel, (1,) + kernel.shape), *bias)
    return reshape(y, (n, filters, out) if cf else (n, out, filters))


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1), bias=None, relu=False):
    """2-D convolution (Keras's K.conv2d).

    Args:
        x: (batch, rows, cols, channels), or (batch, channels, rows, cols).
        kernel: (kh, kw, in_channels, filters).
        strides, dilation_rate: int or 2-tuple of positive ints.
        padding: 'valid' or 'same' (TensorFlow's: the odd padded cell at the end).
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        bias: optional (filters,) vector added to the output channels inside the op
            (on the CPU while each block of the output is in cache).
        relu: apply the plain relu after the bias, inside the op (a gkeras extension).

    Returns:
        (batch, new_rows, new_cols, filters), or (batch, filters, new_rows, new_cols).

    Raises:
        ValueError: bad ranks, channel mismatch, bad strides/dilation/padding, or a
            'valid' kernel larger than the input.
    """
    return _conv("conv2d", x, kernel, 2, strides, padding, data_format, dilation_rate, bias,
                 relu)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1), bias=None, relu=False):
    """3-D convolution (Keras's K.conv3d).

    Args:
        x: (batch, depth, rows, cols, channels), or (batch, channels, depth, rows, cols).
        kernel: (kd, kh, kw, in_channels, filters).
        strides, dilation_rate: int or 3-tuple of positive ints.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        bias: optional (filters,) vector added to the output channels inside the op.
        relu: apply the plain relu after the bias, inside the op (a gkeras extension).

    Returns:
        The 5-D output in `data_format`.
    """
    return _conv("conv3d", x, kernel, 3, strides, padding, data_format, dilation_rate, bias,
                 relu)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """Transposed 2-D convolution (Keras's K.conv2d_transpose): the adjoint of conv2d.

    Args:
        x: (batch, rows, cols, in_channels), or (batch, in_channels, rows, cols).
        kernel: (kh, kw, out_channels, in_channels) (Keras's Conv2DTranspose layout).
        output_shape: the full output shape, (batch, H, W, out_channels) or
            (batch, out_channels, H, W); batch may be None. None infers it with
            `deconv_output_length` (no output padding).
        strides, dilation_rate: int or 2-tuple of positive ints.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        The output, of `output_shape`.

    Raises:
        ValueError: bad ranks or channels, or an `output_shape` that a convolution with
            these strides and padding would not map back onto the input's size.
    """
    name = "conv2d_transpose"
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides, padding, data_format, dilations = _options(2, strides, padding, data_format,
                                                        dilation_rate)
    _check_kernel(name, x, kernel, 2, data_format, -1)
    cf = data_format == "channels_first"
    in_spatial = spatial_and_channels(x, data_format)[0]
    ks, filters = tuple(kernel.shape[:2]), kernel.shape[2]
    if output_shape is None:
        spatial = tuple(conv_utils.deconv_output_length(n, k, padding, None, s, d)
                        for n, k, s, d in zip(in_spatial, ks, strides, dilations))
    else:
        spatial = _check_output_shape(name, output_shape, x.shape[0], filters, cf)
    out, pads = geometry(spatial, ks, strides, dilations, padding)
    if out != in_spatial:
        raise ValueError(
            "%s: output_shape %s does not fit the input: a %r convolution with kernel %s, "
            "strides %s and dilation_rate %s maps spatial size %s to %s, not to the input's %s"
            % (name, tuple(output_shape), padding, ks, strides, dilations, spatial, out,
               in_spatial))
    return ConvTranspose(strides, pads, dilations, spatial, cf).apply(x, kernel)


def _check_output_shape(name, output_shape, batch, filters, channels_first):
    shape = tuple(output_shape)
    if len(shape) != 4:
        raise ValueError("%s: output_shape must have 4 entries (batch included), got %r"
                         % (name, output_shape))
    n, c, spatial = ((shape[0], shape[1], shape[2:]) if channels_first
                     else (shape[0], shape[3], shape[1:3]))
    if n is not None and n != batch:
        raise ValueError("%s: output_shape %r has batch size %s but the input has %d"
                         % (name, shape, n, batch))
    if c is not None and c != filters:
        raise ValueError("%s: output_shape %r has %s channels but the kernel produces %d "
                         "(kernel.shape[2])" % (name, shape, c, filters))
    if not all(isinstance(v, (int, numpy.integer)) and v > 0 for v in spatial):
        raise ValueError("%s: output_shape %r must have positive spatial sizes"
                         % (name, shape))
    return tuple(int(v) for v in spatial)
