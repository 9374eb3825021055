"""Pooling with Keras's backend semantics: pool1d, pool2d, pool3d, global_pool.

'same' is TensorFlow's padding: padded cells never win a max and never count
in an average. Max pooling routes the gradient to the window's first maximum
(the argmax the kernels return). Kernels come from `conv.kernels_for(xp)`;
`channels_first` is a transpose at the op boundary.
"""
from ..autograd.function import Function
from ..backend.config import normalize_data_format
from ..utils import conv_utils
from .array import reshape
from ._util import as_tensor
from .conv import (check_fits, check_input, geometry, kernels_for, spatial_and_channels,
                   to_channels_first, to_channels_last)

_MODES = ("max", "avg")


class Pool(Function):
    """2-D or 3-D max/average pooling over windows of `ks` cells."""

    def __init__(self, mode, ks, strides, pads, out, channels_first):
        self.mode, self.ks, self.strides, self.pads = mode, ks, strides, pads
        self.out, self.channels_first = out, channels_first

    def forward(self, xp, x):
        impl = kernels_for(xp)
        x = to_channels_last(xp, x) if self.channels_first else xp.ascontiguousarray(x)
        self.impl, self.spatial = impl, x.shape[1:-1]
        args = self.ks + self.strides + self.pads + self.out
        if self.mode == "max":
            fn = impl.max_pool_2d if len(self.ks) == 2 else impl.max_pool_3d
            y, self.argmax = fn(x, *args)
        else:
            fn = impl.avg_pool_2d if len(self.ks) == 2 else impl.avg_pool_3d
            y = fn(x, *args)
        return to_channels_first(xp, y) if self.channels_first else y

    def backward(self, xp, gy):
        gy = to_channels_last(xp, gy) if self.channels_first else xp.ascontiguousarray(gy)
        args = self.spatial + self.ks + self.strides + self.pads
        if self.mode == "max":
            fn = self.impl.max_pool_2d_bwd if len(self.ks) == 2 else self.impl.max_pool_3d_bwd
            gx = fn(gy, self.argmax, *args)
        else:
            fn = self.impl.avg_pool_2d_bwd if len(self.ks) == 2 else self.impl.avg_pool_3d_bwd
            gx = fn(gy, *args)
        return to_channels_first(xp, gx) if self.channels_first else gx


class GlobalPool(Function):
    """Max/average over all spatial positions of (N, *S, C) or (N, C, *S)."""

    def __init__(self, mode, channels_first, keepdims):
        self.mode, self.channels_first, self.keepdims = mode, channels_first, keepdims

    def forward(self, xp, x):
        impl = kernels_for(xp)
        self.impl, self.x_shape = impl, x.shape
        n = x.shape[0]
        if self.channels_first:
            x3 = xp.ascontiguousarray(x.reshape(n, x.shape[1], -1).transpose(0, 2, 1))
        else:
            x3 = xp.ascontiguousarray(x).reshape(n, -1, x.shape[-1])  # (N, S, C)
        if self.mode == "max":
            y, self.argmax = impl.global_max_pool(x3)
        else:
            y = impl.global_avg_pool(x3)  # (N, C)
        self.s = x3.shape[1]
        if self.keepdims:
            ones = (1,) * (x.ndim - 2)
            y = y.reshape((n, y.shape[1]) + ones if self.channels_first
                          else (n,) + ones + (y.shape[1],))
        return y

    def backward(self, xp, gy):
        n = gy.shape[0]
        gy = xp.ascontiguousarray(gy).reshape(n, -1)  # (N, C)
        if self.mode == "max":
            gx = self.impl.global_max_pool_bwd(gy, self.argmax, self.s)
        else:
            gx = self.impl.global_avg_pool_bwd(gy, self.s)  # (N, S, C)
        if self.channels_first:
            return xp.ascontiguousarray(gx.transpose(0, 2, 1)).reshape(self.x_shape)
        return gx.reshape(self.x_shape)


def _options(name, nd, pool_size, strides, padding, data_format, pool_mode):
    if pool_mode not in _MODES:
        raise ValueError("%s: pool_mode must be 'max' or 'avg', got %r" % (name, pool_mode))
    return (conv_utils.normalize_tuple(pool_size, nd, "pool_size"),
            conv_utils.normalize_tuple(strides, nd, "strides"),
            conv_utils.normalize_padding(padding, ("valid", "same")),
            normalize_data_format(data_format))


def _pool(name, x, nd, pool_size, strides, padding, data_format, pool_mode):
    x = as_tensor(x)
    ks, strides, padding, data_format = _options(name, nd, pool_size, strides, padding,
                                                 data_format, pool_mode)
    check_input(name, x, nd, data_format)
    spatial = spatial_and_channels(x, data_format)[0]
    ones = (1,) * nd
    out, pads = geometry(spatial, ks, strides, ones, padding)
    check_fits(name, spatial, ks, ones, out, "pool_size")
    return Pool(pool_mode, ks, strides, pads, out, data_format == "channels_first").apply(x)


def pool1d(x, pool_size, strides=1, padding="valid", data_format=None,
           pool_mode="max"):
    """1-D pooling (a 2-D pooling of height 1).

    Args:
        x: (batch, steps, channels), or (batch, channels, steps) for channels_first.
        pool_size, strides: int or 1-tuple of positive ints.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        pool_mode: 'max' or 'avg'.

    Returns:
        (batch, new_steps, channels), or (batch, channels, new_steps).
    """
    x = as_tensor(x)
    (k,), (s,), padding, data_format = _options("pool1d", 1, pool_size, strides, padding,
                                                data_format, pool_mode)
    check_input("pool1d", x, 1, data_format)
    (steps,), channels = spatial_and_channels(x, data_format)
    (out,), (pad,) = geometry((steps,), (k,), (s,), (1,), padding)
    check_fits("pool1d", (steps,), (k,), (1,), (out,), "pool_size")
    cf = data_format == "channels_first"
    n = x.shape[0]
    x4 = reshape(x, (n, channels, 1, steps) if cf else (n, 1, steps, channels))
    y = Pool(pool_mode, (1, k), (1, s), (0, pad), (1, out), cf).apply(x4)
    return reshape(y, (n, channels, out) if cf else (n, out, channels))


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    """2-D pooling (Keras's K.pool2d).

    Args:
        x: (batch, rows, cols, channels), or (batch, channels, rows, cols).
        pool_size, strides: int or 2-tuple of positive ints.
        padding: 'valid' or 'same' (padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        pool_mode: 'max' or 'avg'.

    Returns:
        The pooled 4-D tensor in `data_format`.

    Raises:
        ValueError: bad rank, pool_size, strides, padding or pool_mode, or a 'valid'
            window larger than the input.
    """
    return _pool("pool2d", x, 2, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    """3-D pooling (Keras's K.pool3d); arguments as `pool2d` with 3-tuples."""
    return _pool("pool3d", x, 3, pool_size, strides, padding, data_format, pool_mode)


def global_pool(x, pool_mode, data_format=None, keepdims=False):
    """Max or average over every spatial position (GlobalMax/AveragePooling1D/2D/3D).

    Args:
        x: a 3-D to 5-D tensor in `data_format`.
        pool_mode: 'max' or 'avg'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        keepdims: keep the spatial axes with size 1.

    Returns:
        (batch, channels), or the input's rank with spatial sizes 1 when `keepdims`.
    """
    x = as_tensor(x)
    if pool_mode not in _MODES:
        raise ValueError("global_pool: pool_mode must be 'max' or 'avg', got %r" % (pool_mode,))
    data_format = normalize_data_format(data_format)
    if not 3 <= x.ndim <= 5:
        raise ValueError("global_pool expects a 3-D to 5-D input, got shape %s" % (x.shape,))
    check_input("global_pool", x, x.ndim - 2, data_format)
    return GlobalPool(pool_mode, data_format == "channels_first", keepdims).apply(x)
