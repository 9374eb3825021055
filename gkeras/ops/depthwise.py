"""Depthwise and separable convolutions with Keras's backend semantics.

`depthwise_conv2d` / `separable_conv2d` are Keras's `K.depthwise_conv2d` /
`K.separable_conv2d`; `depthwise_conv1d` / `separable_conv1d` are their 1-D forms
(a 2-D convolution with height 1, as TensorFlow computes them).

Lowering: the input is unfolded with the shared `im2col` kernel (`kernels_for(xp)`:
the numpy twin on the CPU, the CUDA launcher on the GPU, see docs/kernels.md) into
columns (N*P, T, C) (P output positions, T kernel taps), and the per-channel
contraction `y[p, c, m] = sum_t cols[p, t, c] * K[t, c, m]` is accumulated tap by
tap with whole-array multiply-adds (T iterations, no einsum, no new kernel). The
input gradient is the same contraction transposed followed by the adjoint `col2im`;
the kernel gradient is a per-tap reduction over the positions.

Output channels are ordered as TensorFlow's: channel `c * depth_multiplier + m`.
A separable convolution is the depthwise one followed by a 1x1 convolution, done as
one GEMM (`z @ pointwise`) inside the same op, so its gradient needs no extra copy.

CPU fusion (as `_conv_cpu.col2im_matmul` for convolutions): on numpy the columns are
never materialised; each tap reads a strided view of the zero-padded input directly
(T times less memory, about 3x faster), and the input gradient is accumulated tap by
tap into the padded buffer. Same arithmetic, same order of the tap sums as the
im2col path, which the GPU uses (and the tests also run on the CPU: `CPU_DIRECT`).
"""
import numpy

from ..autograd.function import Function
from ..backend.config import normalize_data_format
from ..utils import conv_utils
from ._util import as_tensor
from .array import reshape
from .conv import (check_fits, check_input, col2im, geometry, im2col, kernels_for,
                   spatial_and_channels, to_channels_first, to_channels_last)


# CPU fusion switch (tests turn it off to run the im2col path, the GPU's, on numpy)
CPU_DIRECT = True


# ---------------------------------------------------------------------------- contraction
def _contract(xp, cols, wt):
    """cols (P, T, C), wt (T, C, M) -> (P, C, M): sum over taps of cols * wt."""
    taps, m = wt.shape[0], wt.shape[2]
    if m == 1:
        w2 = wt[:, :, 0]
        acc = cols[:, 0, :] * w2[0]
        for t in range(1, taps):
            acc += cols[:, t, :] * w2[t]
        return acc[:, :, None]
    acc = cols[:, 0, :, None] * wt[0]
    for t in range(1, taps):
        acc += cols[:, t, :, None] * wt[t]
    return acc


def _contract_input_grad(xp, gz, wt):
    """gz (P, C, M), wt (T, C, M) -> gcols (P, T, C) = sum over m of gz * wt[t]."""
    if wt.shape[2] == 1:
        return gz[:, None, :, 0] * wt[None, :, :, 0]
    gcols = xp.empty((gz.shape[0], wt.shape[0], wt.shape[1]), dtype=gz.dtype)
    for t in range(wt.shape[0]):
        gcols[:, t, :] = (gz * wt[t]).sum(axis=-1)
    return gcols


def _contract_kernel_grad(xp, cols, gz):
    """cols (P, T, C), gz (P, C, M) -> gw (T, C, M) = sum over p of cols[:, t] * gz."""
    taps, m = cols.shape[1], gz.shape[2]
    gw = xp.empty((taps,) + gz.shape[1:], dtype=gz.dtype)
    for t in range(taps):
        if m == 1:
            gw[t, :, 0] = (cols[:, t, :] * gz[:, :, 0]).sum(axis=0)
        else:
            gw[t] = (cols[:, t, :, None] * gz).sum(axis=0)
    return gw


def _tap_view(xpad, tap, out, strides, dilations):
    """The cells tap `tap` reads for every output position: a strided view (N, *out, C)."""
    return xpad[(slice(None),) + tuple(
        slice(t * d, t * d + (o - 1) * s + 1, s)
        for t, o, s, d in zip(tap, out, strides, dilations))]


def _padded_size(spatial, ks, strides, pads, dilations, out):
    """Cells per axis of a zero-padded buffer that every tap view fits in."""
    return tuple(max(p + n, (o - 1) * s + (k - 1) * d + 1)
                 for n, k, s, p, d, o in zip(spatial, ks, strides, pads, dilations, out))


class _Depthwise:
    """The depthwise part shared by the two Functions (channels-last arrays)."""

    def _setup(self, strides, pads, dilations, out, channels_first):
        self.strides, self.pads, self.dilations = strides, pads, dilations
        self.out, self.channels_first = out, channels_first

    def _depthwise_forward(self, xp, x, w):
        """x (N, *S, C) in the op's layout, w (*ks, C, M) -> z (N*P, C*M), channels-last."""
        impl = kernels_for(xp)
        x = to_channels_last(xp, x) if self.channels_first else xp.ascontiguousarray(x)
        w = xp.ascontiguousarray(w)
        nd = w.ndim - 2
        self.impl, self.x_shape, self.w_shape = impl, x.shape, w.shape
        ks, c, m = w.shape[:nd], w.shape[-2], w.shape[-1]
        self.wt = w.reshape(-1, c, m)  # (T, C, M)
        self.direct = xp is numpy and CPU_DIRECT
        if self.direct:
            return self._direct_forward(x, ks)
        cols = im2col(impl, x, ks, self.strides, self.pads, self.dilations, self.out)
        self.cols = cols.reshape(-1, int(numpy.prod(ks)), c)  # (N*P, T, C)
        return _contract(xp, self.cols, self.wt).reshape(self.cols.shape[0], c * m)

    # -- CPU: taps read strided views of the padded input (no columns)
    def _direct_forward(self, x, ks):
        spatial, c, m = x.shape[1:-1], self.w_shape[-2], self.w_shape[-1]
        size = _padded_size(spatial, ks, self.strides, self.pads, self.dilations, self.out)
        self.crop = (slice(None),) + tuple(slice(p, p + n) for p, n in zip(self.pads, spatial))
        if size == spatial:
            self.xpad = x
        else:
            self.xpad = numpy.zeros((x.shape[0],) + size + (c,), dtype=x.dtype)
            self.xpad[self.crop] = x
        self.taps = list(numpy.ndindex(*ks))
        acc = None
        for t, tap in enumerate(self.taps):
            view = _tap_view(self.xpad, tap, self.out, self.strides, self.dilations)
            term = view * self.wt[t, :, 0] if m == 1 else view[..., None] * self.wt[t]
            if acc is None:
                acc = term
            else:
                acc += term
        return acc.reshape(-1, c * m)

    def _direct_backward(self, gz, need_x, need_w):
        c, m = self.w_shape[-2], self.w_shape[-1]
        gz = gz.reshape((self.x_shape[0],) + tuple(self.out) + (c, m))
        gx = gw = None
        if need_x:
            gpad = numpy.zeros(self.xpad.shape, dtype=gz.dtype)
            for t, tap in enumerate(self.taps):
                part = (gz[..., 0] * self.wt[t, :, 0] if m == 1
                        else (gz * self.wt[t]).sum(axis=-1))
                _tap_view(gpad, tap, self.out, self.strides, self.dilations)[...] += part
            gx = gpad if gpad.shape == self.x_shape else numpy.ascontiguousarray(
                gpad[self.crop])
            if self.channels_first:
                gx = to_channels_first(numpy, gx)
        if need_w:
            axes = tuple(range(gz.ndim - 2))
            gw = numpy.empty(self.wt.shape, dtype=gz.dtype)
            for t, tap in enumerate(self.taps):
                view = _tap_view(self.xpad, tap, self.out, self.strides, self.dilations)
                if m == 1:
                    gw[t, :, 0] = (view * gz[..., 0]).sum(axis=axes)
                else:
                    gw[t] = (view[..., None] * gz).sum(axis=axes)
            gw = gw.reshape(self.w_shape)
        return gx, gw

    def _depthwise_backward(self, xp, gz, need_x, need_w):
        """gz (N*P, C*M) -> (gx in the op's layout or None, gw or None)."""
        if self.direct:
            return self._direct_backward(gz, need_x, need_w)
        c, m = self.w_shape[-2], self.w_shape[-1]
        gz = gz.reshape(-1, c, m)
        gx = gw = None
        if need_x:
            nd = len(self.x_shape) - 2
            ks = self.w_shape[:nd]
            gcols = _contract_input_grad(xp, gz, self.wt)
            gcols = gcols.reshape((self.x_shape[0],) + tuple(self.out) + tuple(ks) + (c,))
            gx = col2im(self.impl, xp.ascontiguousarray(gcols), self.x_shape[1:-1],
                        self.strides, self.pads, self.dilations)
            if self.channels_first:
                gx = to_channels_first(xp, gx)
        if need_w:
            gw = _contract_kernel_grad(xp, self.cols, gz).reshape(self.w_shape)
        return gx, gw

    def _to_output(self, xp, y2):
        y = y2.reshape((self.x_shape[0],) + tuple(self.out) + (y2.shape[-1],))
        return to_channels_first(xp, y) if self.channels_first else y


class DepthwiseConv(_Depthwise, Function):
    """N-D (2-D or 3-D) depthwise convolution, kernel (*ks, C, M) -> C*M channels."""

    def __init__(self, strides, pads, dilations, out, channels_first):
        self._setup(strides, pads, dilations, out, channels_first)

    def forward(self, xp, x, w):
        return self._to_output(xp, self._depthwise_forward(xp, x, w))

    def backward(self, xp, gy):
        gy = to_channels_last(xp, gy) if self.channels_first else xp.ascontiguousarray(gy)
        return self._depthwise_backward(xp, gy.reshape(-1, gy.shape[-1]),
                                        self.needs_input_grad[0], self.needs_input_grad[1])


class SeparableConv(_Depthwise, Function):
    """Depthwise convolution then a 1x1 convolution: inputs x, depthwise kernel
    (*ks, C, M), pointwise kernel (1, ..., 1, C*M, F)."""

    def __init__(self, strides, pads, dilations, out, channels_first):
        self._setup(strides, pads, dilations, out, channels_first)

    def forward(self, xp, x, dw, pw):
        self.z = self._depthwise_forward(xp, x, dw)  # (N*P, C*M)
        self.pw_shape = pw.shape
        self.pw2 = xp.ascontiguousarray(pw).reshape(pw.shape[-2], pw.shape[-1])  # (C*M, F)
        return self._to_output(xp, xp.matmul(self.z, self.pw2))

    def backward(self, xp, gy):
        gy = to_channels_last(xp, gy) if self.channels_first else xp.ascontiguousarray(gy)
        gy2 = gy.reshape(-1, gy.shape[-1])  # (N*P, F)
        need_x, need_dw, need_pw = self.needs_input_grad[:3]
        gpw = xp.matmul(self.z.T, gy2).reshape(self.pw_shape) if need_pw else None
        gx = gdw = None
        if need_x or need_dw:
            gx, gdw = self._depthwise_backward(xp, xp.matmul(gy2, self.pw2.T), need_x, need_dw)
        return gx, gdw, gpw


# ---------------------------------------------------------------------------- argument checks
def _options(name, nd, strides, padding, data_format, dilation_rate, paddings):
    try:
        strides = conv_utils.normalize_tuple(strides, nd, "strides")
        dilations = conv_utils.normalize_tuple(dilation_rate, nd, "dilation_rate")
        padding = conv_utils.normalize_padding(padding, paddings)
        data_format = normalize_data_format(data_format)
    except ValueError as e:
        raise ValueError("%s: %s" % (name, e)) from None
    if max(strides) > 1 and max(dilations) > 1:
        raise ValueError("%s: strides > 1 cannot be combined with dilation_rate > 1 "
                         "(got strides=%s, dilation_rate=%s)" % (name, strides, dilations))
    return strides, padding, data_format, dilations


def _check_depthwise_kernel(name, x, kernel, nd, data_format, arg="depthwise_kernel"):
    check_input(name, x, nd, data_format)
    if kernel.ndim != nd + 2:
        raise ValueError("%s expects a %d-D %s (%s, in_channels, depth_multiplier), got "
                         "shape %s" % (name, nd + 2, arg, ", ".join(["k"] * nd), kernel.shape))
    if kernel.dtype != x.dtype:
        raise TypeError("%s: the input is %s but the %s is %s; both must have one dtype"
                        % (name, x.dtype.name, arg, kernel.dtype.name))
    channels = spatial_and_channels(x, data_format)[1]
    if kernel.shape[-2] != channels:
        raise ValueError(
            "%s: the %s's input channels (shape[-2] = %d) do not match the input's "
            "channels (%d, input shape %s with data_format=%r)"
            % (name, arg, kernel.shape[-2], channels, x.shape, data_format))


def _check_pointwise_kernel(name, x, depthwise_kernel, pointwise_kernel, nd):
    cm = depthwise_kernel.shape[-2] * depthwise_kernel.shape[-1]
    expected = "(%s%d, filters)" % ("1, " * nd, cm)
    if (pointwise_kernel.ndim != nd + 2 or any(d != 1 for d in pointwise_kernel.shape[:nd])
            or pointwise_kernel.shape[-2] != cm):
        raise ValueError("%s: the pointwise_kernel must have shape %s (in_channels * "
                         "depth_multiplier = %d inputs), got %s"
                         % (name, expected, cm, pointwise_kernel.shape))
    if pointwise_kernel.dtype != x.dtype:
        raise TypeError("%s: the input is %s but the pointwise_kernel is %s; both must have "
                        "one dtype" % (name, x.dtype.name, pointwise_kernel.dtype.name))


def _geometry_1d(name, steps, k, s, d, padding):
    if padding == "causal":
        return conv_utils.conv_output_length(steps, k, "causal", s, d), (k - 1) * d
    (out,), (pad,) = geometry((steps,), (k,), (s,), (d,), padding)
    check_fits(name, (steps,), (k,), (d,), (out,), "kernel")
    return out, pad


# ---------------------------------------------------------------------------- 2-D ops
def _depthwise_2d(name, x, dk, pk, strides, padding, data_format, dilation_rate):
    x, dk = as_tensor(x), as_tensor(dk)
    strides, padding, data_format, dilations = _options(name, 2, strides, padding,
                                                        data_format, dilation_rate,
                                                        ("valid", "same"))
    _check_depthwise_kernel(name, x, dk, 2, data_format)
    if pk is not None:
        pk = as_tensor(pk)
        _check_pointwise_kernel(name, x, dk, pk, 2)
    spatial = spatial_and_channels(x, data_format)[0]
    ks = tuple(dk.shape[:2])
    out, pads = geometry(spatial, ks, strides, dilations, padding)
    check_fits(name, spatial, ks, dilations, out, "depthwise kernel")
    cf = data_format == "channels_first"
    if pk is None:
        return DepthwiseConv(strides, pads, dilations, out, cf).apply(x, dk)
    return SeparableConv(strides, pads, dilations, out, cf).apply(x, dk, pk)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Depthwise 2-D convolution (Keras's K.depthwise_conv2d).

    Every input channel is convolved with its own `depth_multiplier` filters.

    Args:
        x: (batch, rows, cols, channels), or (batch, channels, rows, cols).
        depthwise_kernel: (kh, kw, channels, depth_multiplier).
        strides, dilation_rate: int or 2-tuple of positive ints (not both > 1).
        padding: 'valid' or 'same' (TensorFlow's: the odd padded cell at the end).
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        (batch, new_rows, new_cols, channels * depth_multiplier) (or channels first);
        output channel `c * depth_multiplier + m` is input channel c's m-th filter.

    Raises:
        ValueError: bad ranks, channel mismatch, bad strides/dilation/padding, or a
            'valid' kernel larger than the input.
    """
    return _depthwise_2d("depthwise_conv2d", x, depthwise_kernel, None, strides, padding,
                         data_format, dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """Depthwise-separable 2-D convolution (Keras's K.separable_conv2d).

    Args:
        x: (batch, rows, cols, channels), or (batch, channels, rows, cols).
        depthwise_kernel: (kh, kw, channels, depth_multiplier).
        pointwise_kernel: (1, 1, channels * depth_multiplier, filters).
        strides, dilation_rate: of the depthwise step (the 1x1 step has neither).
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        (batch, new_rows, new_cols, filters) (or channels first).
    """
    return _depthwise_2d("separable_conv2d", x, depthwise_kernel, pointwise_kernel, strides,
                         padding, data_format, dilation_rate)


# ---------------------------------------------------------------------------- 1-D ops
def _depthwise_1d(name, x, dk, pk, strides, padding, data_format, dilation_rate):
    x, dk = as_tensor(x), as_tensor(dk)
    (s,), padding, data_format, (d,) = _options(name, 1, strides, padding, data_format,
                                                dilation_rate, ("valid", "same", "causal"))
    _check_depthwise_kernel(name, x, dk, 1, data_format)
    if pk is not None:
        pk = as_tensor(pk)
        _check_pointwise_kernel(name, x, dk, pk, 1)
    (steps,), channels = spatial_and_channels(x, data_format)
    out, pad = _geometry_1d(name, steps, dk.shape[0], s, d, padding)
    cf = data_format == "channels_first"
    n = x.shape[0]
    x4 = reshape(x, (n, channels, 1, steps) if cf else (n, 1, steps, channels))
    dk4 = reshape(dk, (1,) + dk.shape)
    geo = ((1, s), (0, pad), (1, d), (1, out), cf)
    if pk is None:
        y = DepthwiseConv(*geo).apply(x4, dk4)
    else:
        y = SeparableConv(*geo).apply(x4, dk4, reshape(pk, (1,) + pk.shape))
    filters = y.shape[1] if cf else y.shape[-1]
    return reshape(y, (n, filters, out) if cf else (n, out, filters))


def depthwise_conv1d(x, depthwise_kernel, strides=1, padding="valid", data_format=None,
                     dilation_rate=1):
    """Depthwise 1-D convolution (what DepthwiseConv1D computes).

    Args:
        x: (batch, steps, channels), or (batch, channels, steps) for channels_first.
        depthwise_kernel: (k, channels, depth_multiplier).
        strides, dilation_rate: int or 1-tuple (not both > 1).
        padding: 'valid', 'same' or 'causal' (left padding of (k - 1) * dilation).
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        (batch, new_steps, channels * depth_multiplier) (or channels first).
    """
    return _depthwise_1d("depthwise_conv1d", x, depthwise_kernel, None, strides, padding,
                         data_format, dilation_rate)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     data_format=None, dilation_rate=1):
    """Depthwise-separable 1-D convolution (Keras's K.separable_conv1d).

    Args:
        x: (batch, steps, channels), or (batch, channels, steps) for channels_first.
        depthwise_kernel: (k, channels, depth_multiplier).
        pointwise_kernel: (1, channels * depth_multiplier, filters).
        strides, dilation_rate: int or 1-tuple (not both > 1).
        padding: 'valid', 'same' or 'causal'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        (batch, new_steps, filters) (or channels first).
    """
    return _depthwise_1d("separable_conv1d", x, depthwise_kernel, pointwise_kernel, strides,
                         padding, data_format, dilation_rate)
