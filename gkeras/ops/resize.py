"""Spatial resizing ops: upsampling by integer factors (nearest, bilinear) and zero padding.

Differentiable ops (any array module: numpy here, CuPy on a GPU; no loops over pixels):

* `upsample_nearest(x, factors)`: every cell repeated `factors[i]` times along axis i.
* `upsample_bilinear(x, factors)`: TensorFlow's `tf.image.resize(..., 'bilinear')`, which
  is what tf-keras 2.x's `UpSampling2D(interpolation='bilinear')` and `K.resize_images`
  call: half-pixel centres (`align_corners=False, half_pixel_centers=True`), no
  antialiasing. Output cell `o` of an axis of length `n` samples the input at
  ``s = (o + 0.5) / f - 0.5``, i.e. ``x[lo] + (x[hi] - x[lo]) * (s - floor(s))`` with
  ``lo = clip(floor(s), 0, n - 1)`` and ``hi = clip(floor(s) + 1, 0, n - 1)`` (edge cells are
  replicated). The axes are interpolated one after the other, the last first, the order
  of TensorFlow's CPU kernel (width, then height), so float32 results match it to the
  rounding of the weights (exactly for factors that are powers of two).
* `zero_pad(x, widths)`: zeros added before/after each axis.

Keras backend functions built on them (Keras's names and signatures): `resize_images`,
`resize_volumes`, `repeat_elements`, `temporal_padding`, `spatial_2d_padding`,
`spatial_3d_padding`.
"""
import numbers

import numpy

from ..autograd.function import Function
from ..backend.config import normalize_data_format
from ._util import as_tensor

INTERPOLATIONS = ("nearest", "bilinear")
# methods tf.image.resize also offers; gkeras implements the two above
_TF_ONLY_INTERPOLATIONS = ("area", "bicubic", "gaussian", "lanczos3", "lanczos5",
                           "mitchellcubic")


# ---------------------------------------------------------------------------- functions
class UpsampleNearest(Function):
    """Repeats each cell `factors[i]` times along axis i (a broadcast, one copy)."""

    def __init__(self, factors):
        self.factors = tuple(factors)

    def forward(self, xp, x):
        self.in_shape = x.shape
        view = sum(((n, 1) for n in x.shape), ())  # (a, 1, b, 1, ...)
        y = xp.broadcast_to(x.reshape(view), self._split(x.shape))
        return xp.ascontiguousarray(y).reshape(
            tuple(n * f for n, f in zip(x.shape, self.factors)))

    def _split(self, shape):
        return sum(((n, f) for n, f in zip(shape, self.factors)), ())  # (a, fa, b, fb, ...)

    def backward(self, xp, gy):
        split = self._split(self.in_shape)
        return gy.reshape(split).sum(axis=tuple(range(1, len(split), 2)))


def bilinear_taps(n, f):
    """Per-phase taps of an upsampling by `f` along an axis of length `n`.

    Returns (shift, weight), length-`f` int64 and float64 arrays: output cell `q * f + r`
    is ``(1 - weight[r]) * x[q + shift[r]] + weight[r] * x[q + shift[r] + 1]``, indices
    clamped to [0, n - 1]. shift is -1 or 0.
    """
    r = numpy.arange(f, dtype=numpy.float64)
    s = (r + 0.5) / f - 0.5  # source position relative to q, in (-0.5, 0.5)
    lo = numpy.floor(s)
    return lo.astype(numpy.int64), s - lo


class UpsampleBilinear(Function):
    """Bilinear upsampling (TensorFlow's half-pixel resize) by integer `factors`."""

    def __init__(self, factors):
        self.factors = tuple(factors)

    def _axes(self):
        # last axis first, as TensorFlow's kernel (width, then height)
        return [a for a in reversed(range(len(self.factors))) if self.factors[a] > 1]

    def forward(self, xp, x):
        self.in_shape = x.shape
        y = x
        for axis in self._axes():
            y = self._lerp(xp, y, axis, self.factors[axis])
        return y

    @staticmethod
    def _lerp(xp, x, axis, f):
        """(..., n, ...) -> (..., n*f, ...) along `axis`: per phase r, two slices of the
        edge-padded input combined as TensorFlow does, a + (b - a) * w."""
        n = x.shape[axis]
        shift, weight = bilinear_taps(n, f)
        before, after = x.shape[:axis], x.shape[axis + 1:]
        lead = (slice(None),) * axis
        padded = xp.concatenate([x[lead + (slice(0, 1),)], x, x[lead + (slice(n - 1, n),)]],
                                axis=axis)
        diff = padded[lead + (slice(1, None),)] - padded[lead + (slice(0, -1),)]
        out = xp.empty(before + (n, f) + after, dtype=x.dtype)
        for r in range(f):
            start = 1 + int(shift[r])  # padded index of x[q + shift] for q = 0
            phase = out[lead + (slice(None), r)]
            xp.multiply(diff[lead + (slice(start, start + n),)], x.dtype.type(weight[r]),
                        out=phase)
            phase += padded[lead + (slice(start, start + n),)]
        return out.reshape(before + (n * f,) + after)

    def backward(self, xp, gy):
        g = gy
        for axis in reversed(self._axes()):  # the adjoint runs the passes in reverse
            g = self._lerp_adjoint(xp, g, axis, self.factors[axis], self.in_shape[axis])
        return g

    @staticmethod
    def _lerp_adjoint(xp, g, axis, f, n):
        """(..., n*f, ...) -> (..., n, ...): the transpose of `_lerp` along `axis`.

        Phase r of the output reads x[q + shift] and x[q + shift + 1]; with the input
        edge-padded by one cell each side, both are plain slices of length n of the padded
        axis, so the adjoint is 2 f slice-additions, then the pads fold back onto the
        edge cells (the clamping).
        """
        shift, weight = bilinear_taps(n, f)
        before, after = g.shape[:axis], g.shape[axis + 1:]
        gr = g.reshape(before + (n, f) + after)
        acc = xp.zeros(before + (n + 2,) + after, dtype=g.dtype)
        lead = (slice(None),) * axis
        for r in range(f):
            phase = gr[lead + (slice(None), r)]
            w = g.dtype.type(weight[r])
            start = 1 + int(shift[r])  # padded index of x[q + shift] for q = 0
            if w != 1:
                acc[lead + (slice(start, start + n),)] += phase * (1 - w)
            if w != 0:
                acc[lead + (slice(start + 1, start + 1 + n),)] += phase * w
        gx = acc[lead + (slice(1, n + 1),)]
        gx[lead + (slice(0, 1),)] += acc[lead + (slice(0, 1),)]
        gx[lead + (slice(n - 1, n),)] += acc[lead + (slice(n + 1, n + 2),)]
        return xp.ascontiguousarray(gx)


class ZeroPad(Function):
    """Pads with zeros: `widths` is one (before, after) pair per axis."""

    def __init__(self, widths):
        self.widths = tuple(tuple(int(v) for v in w) for w in widths)

    def forward(self, xp, x):
        out_shape = tuple(n + a + b for n, (a, b) in zip(x.shape, self.widths))
        y = xp.zeros(out_shape, dtype=x.dtype)
        y[self._inner(x.shape)] = x
        self.in_shape = x.shape
        return y

    def _inner(self, shape):
        return tuple(slice(a, a + n) for n, (a, _) in zip(shape, self.widths))

    def backward(self, xp, gy):
        return xp.ascontiguousarray(gy[self._inner(self.in_shape)])


# ---------------------------------------------------------------------------- checks
def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _factor(name, arg, value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value) or value < 1:
        raise ValueError("%s: `%s` must be a positive integer, got %r" % (name, arg, value))
    return int(value)


def _check_float(name, x):
    if x.dtype.kind != "f":
        raise TypeError("%s supports floating-point inputs, got %s" % (name, x.dtype.name))


def _check_rank(name, x, rank, layout):
    if x.ndim != rank:
        raise ValueError("%s expects a %d-D input %s, got shape %s"
                         % (name, rank, layout, tuple(x.shape)))


def _data_format(name, value):
    try:
        return normalize_data_format(value)
    except ValueError as e:
        raise ValueError("%s: %s" % (name, e)) from None


def _spatial_axes(data_format, nd):
    return tuple(range(2, 2 + nd)) if data_format == "channels_first" else \
        tuple(range(1, 1 + nd))


def _pair(name, arg, value):
    """A (before, after) pair of ints >= 0."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = None
    if pair is None or len(pair) != 2 or not all(_is_int(v) and v >= 0 for v in pair):
        raise ValueError("%s: `%s` must be a pair of integers >= 0 (before, after), got %r"
                         % (name, arg, value))
    return tuple(int(v) for v in pair)


def _pairs(name, value, nd, default_doc):
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or len(items) != nd:
        raise ValueError("%s: `padding` must be %d pairs of integers >= 0, e.g. %s; got %r"
                         % (name, nd, default_doc, value))
    return tuple(_pair(name, "padding[%d]" % i, p) for i, p in enumerate(items))


# ---------------------------------------------------------------------------- public ops
def upsample_nearest(x, factors):
    """Nearest-neighbour upsampling: repeats each cell `factors[i]` times along axis i.

    Args:
        x: a tensor.
        factors: one positive int per axis of `x` (1 leaves the axis unchanged).
    """
    x = as_tensor(x)
    factors = tuple(_factor("upsample_nearest", "factors", f) for f in factors)
    if len(factors) != x.ndim:
        raise ValueError("upsample_nearest: %d factors for a %d-D input"
                         % (len(factors), x.ndim))
    if all(f == 1 for f in factors):
        return x
    return UpsampleNearest(factors).apply(x)


def upsample_bilinear(x, factors):
    """Bilinear upsampling with TensorFlow's half-pixel centres (see the module docstring).

    Args:
        x: a floating-point tensor.
        factors: one positive int per axis of `x` (1 leaves the axis unchanged).
    """
    x = as_tensor(x)
    _check_float("upsample_bilinear", x)
    factors = tuple(_factor("upsample_bilinear", "factors", f) for f in factors)
    if len(factors) != x.ndim:
        raise ValueError("upsample_bilinear: %d factors for a %d-D input"
                         % (len(factors), x.ndim))
    if all(f == 1 for f in factors):
        return x
    return UpsampleBilinear(factors).apply(x)


def zero_pad(x, widths):
    """Pads `x` with zeros; `widths` holds one (before, after) pair per axis."""
    x = as_tensor(x)
    widths = tuple(_pair("zero_pad", "widths[%d]" % i, w) for i, w in enumerate(widths))
    if len(widths) != x.ndim:
        raise ValueError("zero_pad: %d (before, after) pairs for a %d-D input"
                         % (len(widths), x.ndim))
    if all(w == (0, 0) for w in widths):
        return x
    return ZeroPad(widths).apply(x)


def resize_images(x, height_factor, width_factor, data_format=None, interpolation="nearest"):
    """Upsamples a batch of images by integer factors (Keras's K.resize_images).

    Args:
        x: (batch, rows, cols, channels), or (batch, channels, rows, cols).
        height_factor, width_factor: positive integers.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
        interpolation: 'nearest' or 'bilinear' (TensorFlow's half-pixel bilinear).

    Returns:
        (batch, rows * height_factor, cols * width_factor, channels) (or channels_first).

    Raises:
        ValueError: bad rank, factors, data_format or interpolation.
    """
    x = as_tensor(x)
    data_format = _data_format("resize_images", data_format)
    method = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if method in _TF_ONLY_INTERPOLATIONS:
        raise NotImplementedError(
            "resize_images: interpolation=%r is not implemented in gkeras; supported: %s"
            % (interpolation, ", ".join(repr(m) for m in INTERPOLATIONS)))
    if method not in INTERPOLATIONS:
        raise ValueError("resize_images: `interpolation` must be one of %s, got %r"
                         % (", ".join(repr(m) for m in INTERPOLATIONS), interpolation))
    _check_rank("resize_images", x, 4, "(batch, rows, cols, channels) or "
                                       "(batch, channels, rows, cols)")
    fh = _factor("resize_images", "height_factor", height_factor)
    fw = _factor("resize_images", "width_factor", width_factor)
    factors = [1] * 4
    rows, cols = _spatial_axes(data_format, 2)
    factors[rows], factors[cols] = fh, fw
    if method == "bilinear":
        return upsample_bilinear(x, factors)
    return upsample_nearest(x, factors)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format=None):
    """Nearest-neighbour upsampling of a 5-D batch (Keras's K.resize_volumes).

    Args:
        x: (batch, depth, rows, cols, channels), or (batch, channels, depth, rows, cols).
        depth_factor, height_factor, width_factor: positive integers.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
    """
    x = as_tensor(x)
    data_format = _data_format("resize_volumes", data_format)
    _check_rank("resize_volumes", x, 5, "(batch, depth, rows, cols, channels) or "
                                        "(batch, channels, depth, rows, cols)")
    factors = [1] * 5
    for axis, arg, value in zip(_spatial_axes(data_format, 3),
                                ("depth_factor", "height_factor", "width_factor"),
                                (depth_factor, height_factor, width_factor)):
        factors[axis] = _factor("resize_volumes", arg, value)
    return upsample_nearest(x, factors)


def repeat_elements(x, rep, axis):
    """Repeats each element `rep` times along `axis` (Keras's K.repeat_elements;
    numpy's `repeat`): (s1, s2, s3) with axis=1 -> (s1, s2 * rep, s3)."""
    x = as_tensor(x)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError("repeat_elements: axis %r is out of range for a %d-D input"
                         % (axis, x.ndim))
    factors = [1] * x.ndim
    factors[axis % x.ndim] = _factor("repeat_elements", "rep", rep)
    return upsample_nearest(x, factors)


def temporal_padding(x, padding=(1, 1)):
    """Zeros before and after the steps of a 3-D tensor (batch, steps, features)
    (Keras's K.temporal_padding)."""
    x = as_tensor(x)
    _check_rank("temporal_padding", x, 3, "(batch, steps, features)")
    before_after = _pair("temporal_padding", "padding", padding)
    return zero_pad(x, ((0, 0), before_after, (0, 0)))


def _spatial_padding(name, x, padding, nd, data_format, default_doc):
    x = as_tensor(x)
    data_format = _data_format(name, data_format)
    _check_rank(name, x, nd + 2, "(batch, %s, channels) or (batch, channels, %s)"
                % ((", ".join(("depth", "rows", "cols")[-nd:]),) * 2))
    widths = [(0, 0)] * (nd + 2)
    for axis, pair in zip(_spatial_axes(data_format, nd), _pairs(name, padding, nd,
                                                                  default_doc)):
        widths[axis] = pair
    return zero_pad(x, widths)


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zero rows/columns around 4-D images (Keras's K.spatial_2d_padding).

    Args:
        x: (batch, rows, cols, channels), or (batch, channels, rows, cols).
        padding: ((top, bottom), (left, right)), integers >= 0.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
    """
    return _spatial_padding("spatial_2d_padding", x, padding, 2, data_format,
                            "((1, 1), (1, 1))")


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zero padding of the 3 spatial axes of 5-D volumes (Keras's K.spatial_3d_padding).

    Args:
        x: (batch, depth, rows, cols, channels), or (batch, channels, depth, rows, cols).
        padding: ((d_before, d_after), (top, bottom), (left, right)), integers >= 0.
        data_format: 'channels_last' or 'channels_first' (None: the global default).
    """
    return _spatial_padding("spatial_3d_padding", x, padding, 3, data_format,
                            "((1, 1), (1, 1), (1, 1))")
