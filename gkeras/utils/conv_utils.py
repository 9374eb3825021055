"""Shape helpers shared by the convolution and pooling ops and layers (Keras's names).

`conv_output_length`, `conv_input_length`, `deconv_output_length` and
`normalize_tuple` follow tf-keras's `utils/conv_utils.py`; `same_padding` adds
TensorFlow's asymmetric 'same' rule (the odd cell goes at the end), which the
ops need as explicit before/after paddings.
"""
import numbers

import numpy

from ..backend.config import normalize_data_format  # noqa: F401 - Keras exports it here

_PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value, n, name, allow_zero=False):
    """Turns an int or an iterable of `n` ints into a tuple of `n` Python ints.

    Args:
        value: an int, or an iterable of `n` ints.
        n: the length of the tuple returned.
        name: the argument's name for error messages, e.g. 'strides'.
        allow_zero: accept zeros (Keras's flag, for paddings); values must be
            positive otherwise.

    Returns:
        A tuple of `n` ints.

    Raises:
        ValueError: `value` is not an int or `n` ints, or holds a value < 1
            (< 0 with `allow_zero`).
    """
    what = "integers >= 0" if allow_zero else "positive integers"
    msg = "The `%s` argument must be an integer or a tuple of %d %s, got %r" % (
        name, n, what, value)
    if _is_int(value):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(msg) from None
        if len(values) != n or not all(_is_int(v) for v in values):
            raise ValueError(msg)
        values = tuple(int(v) for v in values)
    lowest = 0 if allow_zero else 1
    bad = [v for v in values if v < lowest]
    if bad:
        raise ValueError("%s (%s not allowed)." % (msg, ", ".join(str(v) for v in bad)))
    return values


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def normalize_padding(value, allowed=_PADDINGS):
    """Lower-cases and validates a padding mode.

    Args:
        value: 'valid', 'same' or 'causal' (any case).
        allowed: the modes the caller supports ('causal' is for 1-D
            convolutions only).

    Returns:
        The padding mode in lower case.

    Raises:
        ValueError: `value` is not one of `allowed`.
    """
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError("The `padding` argument must be one of %s, got %r"
                         % (", ".join("'%s'" % p for p in allowed), value))
    return padding


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """Output length of a convolution along one axis (None stays None).

    Args:
        input_length: int or None.
        filter_size: int.
        padding: 'same', 'valid', 'full' or 'causal'.
        stride: int.
        dilation: int.
    """
    if input_length is None:
        return None
    _check_mode(padding, ("same", "valid", "full", "causal"))
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "valid":
        length = input_length - dilated + 1
    else:
        length = input_length + dilated - 1
    return (length + stride - 1) // stride


def conv_input_length(output_length, filter_size, padding, stride):
    """Input length of a convolution whose output has `output_length` (None stays None).

    Args:
        output_length: int or None.
        filter_size: int.
        padding: 'same', 'valid' or 'full'.
        stride: int.
    """
    if output_length is None:
        return None
    _check_mode(padding, ("same", "valid", "full"))
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_output_length(input_length, filter_size, padding, output_padding=None, stride=0,
                         dilation=1):
    """Output length of a transposed convolution (None stays None).

    Args:
        input_length: int or None.
        filter_size: int.
        padding: 'same', 'valid' or 'full'.
        output_padding: int, or None to infer the length.
        stride: int.
        dilation: int.
    """
    _check_mode(padding, ("same", "valid", "full"))
    if input_length is None:
        return None
    filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return input_length * stride + max(filter_size - stride, 0)
        if padding == "full":
            return input_length * stride - (stride + filter_size - 2)
        return input_length * stride
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (input_length - 1) * stride + filter_size - 2 * pad + output_padding


def deconv_length(dim_size, stride_size, kernel_size, padding, output_padding, dilation=1):
    """Keras 2.2's name and argument order for `deconv_output_length`."""
    return deconv_output_length(dim_size, kernel_size, padding, output_padding, stride_size,
                                dilation)


def same_padding(input_length, filter_size, stride, dilation=1):
    """TensorFlow's 'same' padding: (cells before, cells after) along one axis.

    The output has ceil(input_length / stride) cells; the total padding is
    what that needs, and the odd cell goes at the end.
    """
    out = (input_length + stride - 1) // stride
    total = max((out - 1) * stride + (filter_size - 1) * dilation + 1 - input_length, 0)
    return total // 2, total - total // 2


def convert_kernel(kernel):
    """Flips a convolution kernel's spatial axes (Theano <-> TensorFlow kernels).

    Args:
        kernel: numpy array whose last two axes are (in, out) channels.

    Returns:
        A flipped copy.
    """
    kernel = numpy.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError("Invalid kernel shape: %s (expected a 3-D to 5-D kernel)"
                         % (kernel.shape,))
    flip = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2))
    return numpy.copy(kernel[flip])


def _check_mode(padding, allowed):
    if padding not in allowed:
        raise ValueError("padding must be one of %s, got %r" % (", ".join(allowed), padding))
