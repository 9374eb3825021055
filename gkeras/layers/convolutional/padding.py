"""ZeroPadding1D/2D/3D: zeros added at the borders of sequences, images and volumes.

The op is `gkeras.ops.resize.zero_pad` (Keras's K.temporal_padding /
spatial_2d_padding / spatial_3d_padding are built on it too). `pairs_arg` parses the
cropping/padding amounts of the 2-D and 3-D layers (Cropping2D/3D use it as well).
"""
import numbers

from ...engine.base_layer import InputSpec, Layer
from ...ops.resize import ZeroPad, zero_pad  # noqa: F401 - ZeroPad: former home
from .base_conv import ArgChecks, fmt_shape

_ORDINALS = ("1st", "2nd", "3rd")
_WORDS = {2: "two", 3: "three"}


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _forms(rank, name, what):
    """The accepted forms of a `rank`-D cropping/padding argument, for error messages."""
    if rank == 2:
        return ("an int, a tuple of 2 ints (symmetric_height_{w}, symmetric_width_{w}), "
                "or a tuple of 2 tuples of 2 ints ((top_{w}, bottom_{w}), "
                "(left_{w}, right_{w}))").format(w=what)
    dims = range(1, rank + 1)
    return ("an int, a tuple of %d ints (%s), or a tuple of %d tuples of 2 ints (%s)"
            % (rank, ", ".join("symmetric_dim%d_%s" % (i, what) for i in dims), rank,
               ", ".join("(left_dim%d_%s, right_dim%d_%s)" % (i, what, i, what)
                         for i in dims)))


def pairs_arg(layer, value, rank, name, what):
    """Cropping/padding amounts of a `rank`-D (2 or 3) layer as `rank` (before, after) pairs.

    Accepts an int (the same everywhere), `rank` ints (symmetric per axis) or `rank`
    pairs; every amount must be an int >= 0. Errors name the layer and the argument.
    """
    if _is_int(value):
        if value < 0:
            raise layer._error("`%s` must be >= 0, got %r" % (name, value))
        return ((int(value),) * 2,) * rank
    if not hasattr(value, "__len__") or isinstance(value, str):
        raise layer._error("`%s` should be either %s. Received: %r"
                           % (name, _forms(rank, name, what), value))
    if len(value) != rank:
        raise layer._error("`%s` should have %s elements. Received: %r"
                           % (name, _WORDS[rank], value))
    return tuple(layer._tuple_arg(v, 2, "%s entry of %s" % (_ORDINALS[i], name),
                                  allow_zero=True) for i, v in enumerate(value))


class _ZeroPadding(ArgChecks, Layer):
    """Base of ZeroPadding2D/3D: `padding` holds one (before, after) pair per spatial axis."""

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.padding = pairs_arg(self, padding, self.rank, "padding", "pad")
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        return tuple(range(2, 2 + self.rank)) if self.data_format == "channels_first" else \
            tuple(range(1, 1 + self.rank))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise self._error("expected a %d-D input, got shape %s"
                              % (self.rank + 2, fmt_shape(input_shape)))
        out = list(input_shape)
        for axis, (before, after) in zip(self._axes(), self.padding):
            if out[axis] is not None:
                out[axis] = out[axis] + before + after
        return tuple(out)

    def call(self, inputs):
        widths = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(self._axes(), self.padding):
            widths[axis] = pair
        return zero_pad(inputs, widths)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"padding": self.padding, "data_format": self.data_format})
        return cfg


class ZeroPadding1D(ArgChecks, Layer):
    """Zero-padding of the steps of sequences.

    Args:
        padding: int (the same at both ends) or (left_pad, right_pad); all >= 0.

    Input shape: (batch, steps, features). Output shape: (batch, left + steps + right,
    features).
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = self._tuple_arg(padding, 2, "padding", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise self._error("expected a 3-D input (batch, steps, features), got shape %s"
                              % fmt_shape(input_shape))
        steps = input_shape[1]
        if steps is not None:
            steps += self.padding[0] + self.padding[1]
        return (input_shape[0], steps, input_shape[2])

    def call(self, inputs):
        return zero_pad(inputs, ((0, 0), self.padding, (0, 0)))

    def get_config(self):
        cfg = super().get_config()
        cfg["padding"] = self.padding
        return cfg


class ZeroPadding2D(_ZeroPadding):
    """Zero-padding for images.

    Args:
        padding: int (the same on all four sides), (symmetric_height_pad,
            symmetric_width_pad), or ((top_pad, bottom_pad), (left_pad, right_pad));
            all >= 0.
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: 4-D. Output shape: 4-D with rows + top + bottom, cols + left + right.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zero-padding for volumes (spatial or spatio-temporal data).

    Args:
        padding: int (the same everywhere), 3 ints (symmetric per axis), or
            ((left_dim1_pad, right_dim1_pad), (left_dim2_pad, right_dim2_pad),
            (left_dim3_pad, right_dim3_pad)); all >= 0.
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: 5-D. Output shape: 5-D with each spatial axis grown by its two pads.
    """

    rank = 3

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)
