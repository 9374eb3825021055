"""Transposed 1-D and 3-D convolutions (Conv1DTranspose, Conv3DTranspose, K.conv3d_transpose).

Both run on the generic `ConvTranspose` Function of `gkeras.ops.conv` (col2im of a
GEMM forward, im2col + GEMM backward, same kernels as `conv2d_transpose`); 1-D is
2-D with height 1. Kernel layouts are Keras's: (k, out, in) and (kd, kh, kw, out, in).
"""
import numpy

from ..backend.config import normalize_data_format
from ..utils import conv_utils
from ._util import as_tensor
from .array import reshape
from .conv import ConvTranspose, check_input, geometry, spatial_and_channels


def _options(name, nd, strides, padding, data_format, dilation_rate):
    try:
        return (conv_utils.normalize_tuple(strides, nd, "strides"),
                conv_utils.normalize_padding(padding, ("valid", "same")),
                normalize_data_format(data_format),
                conv_utils.normalize_tuple(dilation_rate, nd, "dilation_rate"))
    except ValueError as e:
        raise ValueError("%s: %s" % (name, e)) from None


def _check(name, x, kernel, nd, data_format):
    check_input(name, x, nd, data_format)
    if kernel.ndim != nd + 2:
        raise ValueError("%s expects a %d-D kernel (*kernel_size, out_channels, in_channels), "
                         "got shape %s" % (name, nd + 2, kernel.shape))
    if kernel.dtype != x.dtype:
        raise TypeError("%s: the input is %s but the kernel is %s; both must have one dtype"
                        % (name, x.dtype.name, kernel.dtype.name))
    channels = spatial_and_channels(x, data_format)[1]
    if kernel.shape[-1] != channels:
        raise ValueError("%s: the kernel's input channels (kernel.shape[-1] = %d) do not match "
                         "the input's channels (%d, input shape %s with data_format=%r)"
                         % (name, kernel.shape[-1], channels, x.shape, data_format))


def _output_spatial(name, output_shape, x, kernel, nd, in_spatial, strides, padding,
                    dilations, channels_first):
    ks, filters = tuple(kernel.shape[:nd]), kernel.shape[nd]
    if output_shape is None:
        return tuple(conv_utils.deconv_output_length(n, k, padding, None, s, d)
                     for n, k, s, d in zip(in_spatial, ks, strides, dilations))
    shape = tuple(output_shape)
    if len(shape) != nd + 2:
        raise ValueError("%s: output_shape must have %d entries (batch included), got %r"
                         % (name, nd + 2, output_shape))
    n, c, spatial = ((shape[0], shape[1], shape[2:]) if channels_first
                     else (shape[0], shape[-1], shape[1:-1]))
    if n is not None and n != x.shape[0]:
        raise ValueError("%s: output_shape %r has batch size %s but the input has %d"
                         % (name, shape, n, x.shape[0]))
    if c is not None and c != filters:
        raise ValueError("%s: output_shape %r has %s channels but the kernel produces %d "
                         "(kernel.shape[%d])" % (name, shape, c, filters, nd))
    if not all(isinstance(v, (int, numpy.integer)) and v > 0 for v in spatial):
        raise ValueError("%s: output_shape %r must have positive spatial sizes" % (name, shape))
    return tuple(int(v) for v in spatial)


def _transpose(name, x, kernel, output_shape, nd, strides, padding, data_format,
               dilation_rate):
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides, padding, data_format, dilations = _options(name, nd, strides, padding,
                                                        data_format, dilation_rate)
    _check(name, x, kernel, nd, data_format)
    cf = data_format == "channels_first"
    in_spatial = spatial_and_channels(x, data_format)[0]
    ks = tuple(kernel.shape[:nd])
    spatial = _output_spatial(name, output_shape, x, kernel, nd, in_spatial, strides, padding,
                              dilations, cf)
    out, pads = geometry(spatial, ks, strides, dilations, padding)
    if out != in_spatial:
        raise ValueError(
            "%s: output_shape %s does not fit the input: a %r convolution with kernel %s, "
            "strides %s and dilation_rate %s maps spatial size %s to %s, not to the input's %s"
            % (name, None if output_shape is None else tuple(output_shape), padding, ks,
               strides, dilations, spatial, out, in_spatial))
    if nd == 3:
        return ConvTranspose(strides, pads, dilations, spatial, cf).apply(x, kernel)
    n, filters, steps = x.shape[0], kernel.shape[1], in_spatial[0]
    cin = kernel.shape[2]
    x4 = reshape(x, (n, cin, 1, steps) if cf else (n, 1, steps, cin))
    y = ConvTranspose((1,) + strides, (0,) + pads, (1,) + dilations, (1,) + spatial,
                      cf).apply(x4, reshape(kernel, (1,) + kernel.shape))
    return reshape(y, (n, filters, spatial[0]) if cf else (n, spatial[0], filters))


def conv1d_transpose(x, kernel, output_shape=None, strides=1, padding="valid",
                     data_format=None, dilation_rate=1):
    """Transposed 1-D convolution: the adjoint of `conv1d` (what Conv1DTranspose computes).

    Args:
        x: (batch, steps, in_channels), or (batch, in_channels, steps).
        kernel: (k, out_channels, in_channels) (Keras's Conv1DTranspose layout).
        output_shape: the full output shape (batch may be None), or None to infer it
            with `deconv_output_length` (no output padding).
        strides, dilation_rate: int or 1-tuple of positive ints.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        (batch, new_steps, out_channels), or (batch, out_channels, new_steps).

    Raises:
        ValueError: bad ranks or channels, or an `output_shape` that a convolution with
            these strides and padding would not map back onto the input's size.
    """
    return _transpose("conv1d_transpose", x, kernel, output_shape, 1, strides, padding,
                      data_format, dilation_rate)


def conv3d_transpose(x, kernel, output_shape=None, strides=(1, 1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1, 1)):
    """Transposed 3-D convolution (Keras's K.conv3d_transpose; `dilation_rate` added).

    Args:
        x: (batch, d, h, w, in_channels), or (batch, in_channels, d, h, w).
        kernel: (kd, kh, kw, out_channels, in_channels) (Keras's Conv3DTranspose layout).
        output_shape: the full 5-entry output shape (batch may be None), or None.
        strides, dilation_rate: int or 3-tuple of positive ints.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' or 'channels_first' (None: the global default).

    Returns:
        The 5-D output in `data_format`.
    """
    return _transpose("conv3d_transpose", x, kernel, output_shape, 3, strides, padding,
                      data_format, dilation_rate)
