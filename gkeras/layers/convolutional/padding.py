"""ZeroPadding2D: adds rows/columns of zeros at the borders of images."""
from ...autograd.function import Function
from ...engine.base_layer import InputSpec, Layer
from .base_conv import ArgChecks, fmt_shape


class ZeroPad(Function):
    """Pads with zeros: `widths` is one (before, after) pair per axis."""

    def __init__(self, widths):
        self.widths = tuple(tuple(w) for w in widths)

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


class ZeroPadding2D(ArgChecks, Layer):
    """Zero-padding for images.

    Args:
        padding: int (the same on all four sides), (symmetric_height_pad,
            symmetric_width_pad), or ((top_pad, bottom_pad), (left_pad, right_pad));
            all >= 0.
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: 4-D. Output shape: 4-D with rows + top + bottom, cols + left + right.
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.padding = self._pairs_arg(padding, "padding", "pad")
        self.input_spec = InputSpec(ndim=4)

    def _axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise self._error("expected a 4-D input, got shape %s" % fmt_shape(input_shape))
        out = list(input_shape)
        for axis, (before, after) in zip(self._axes(), self.padding):
            if out[axis] is not None:
                out[axis] = out[axis] + before + after
        return tuple(out)

    def call(self, inputs):
        widths = [(0, 0)] * 4
        for axis, pair in zip(self._axes(), self.padding):
            widths[axis] = pair
        return ZeroPad(widths).apply(inputs)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"padding": self.padding, "data_format": self.data_format})
        return cfg
