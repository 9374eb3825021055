"""Cropping1D/2D/3D: remove cells at the borders of sequences, images and volumes."""
from ... import ops
from ...engine.base_layer import InputSpec, Layer
from .base_conv import ArgChecks, fmt_shape
from .padding import pairs_arg

_AXIS_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("dim1", "dim2", "dim3")}


class _Cropping(ArgChecks, Layer):
    """Base of the cropping layers: `cropping` is one (before, after) pair per spatial
    axis. At least one cell must remain along every axis."""

    rank = None

    def _axes(self):
        if getattr(self, "data_format", "channels_last") == "channels_first":
            return tuple(range(2, 2 + self.rank))
        return tuple(range(1, 1 + self.rank))

    def _pairs(self):
        return self.cropping if self.rank > 1 else (self.cropping,)

    def _cropped(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise self._error("expected a %d-D input, got shape %s"
                              % (self.rank + 2, fmt_shape(input_shape)))
        out = list(input_shape)
        for axis, (before, after), what in zip(self._axes(), self._pairs(),
                                               _AXIS_NAMES[self.rank]):
            size = input_shape[axis]
            if size is None:
                continue
            if before + after >= size:
                raise self._error(
                    "`cropping` %s removes %d of the input's %d %s cells (input shape %s); "
                    "at least one must remain." % (self.cropping, before + after, size, what,
                                                   fmt_shape(input_shape)))
            out[axis] = size - before - after
        return tuple(out)

    def compute_output_shape(self, input_shape):
        return self._cropped(input_shape)

    def call(self, inputs):
        self._cropped(inputs.shape)
        if all(pair == (0, 0) for pair in self._pairs()):
            return inputs
        key = [slice(None)] * (self.rank + 2)
        for axis, (before, after) in zip(self._axes(), self._pairs()):
            key[axis] = slice(before, inputs.shape[axis] - after)
        return ops.getitem(inputs, tuple(key))

    def get_config(self):
        cfg = super().get_config()
        cfg["cropping"] = self.cropping
        if self.rank > 1:
            cfg["data_format"] = self.data_format
        return cfg


class Cropping1D(_Cropping):
    """Crops sequences along the steps axis.

    Args:
        cropping: int (the same at both ends) or (left_crop, right_crop); all >= 0.

    Input shape: (batch, steps, features). Output shape: (batch, steps - left - right,
    features); at least one step must remain.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = self._tuple_arg(cropping, 2, "cropping", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)


class Cropping2D(_Cropping):
    """Crops an image batch along height and width.

    Args:
        cropping: int (the same on all four sides), (symmetric_height_crop,
            symmetric_width_crop), or ((top_crop, bottom_crop), (left_crop, right_crop));
            all >= 0.
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: 4-D. Output shape: 4-D with rows - top - bottom, cols - left - right.
    At least one row and one column must remain.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.cropping = pairs_arg(self, cropping, 2, "cropping", "crop")
        self.input_spec = InputSpec(ndim=4)


class Cropping3D(_Cropping):
    """Crops volumes along their three spatial axes.

    Args:
        cropping: int (the same everywhere), 3 ints (symmetric per axis), or
            ((left_dim1_crop, right_dim1_crop), (left_dim2_crop, right_dim2_crop),
            (left_dim3_crop, right_dim3_crop)); all >= 0.
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: 5-D. Output shape: 5-D with each spatial axis shrunk by its two crops;
    at least one cell must remain along each.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.cropping = pairs_arg(self, cropping, 3, "cropping", "crop")
        self.input_spec = InputSpec(ndim=5)
