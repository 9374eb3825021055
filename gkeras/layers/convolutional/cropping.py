"""Cropping2D: removes rows/columns at the borders of images."""
from ... import ops
from ...engine.base_layer import InputSpec, Layer
from .base_conv import ArgChecks, fmt_shape


class Cropping2D(ArgChecks, Layer):
    """Crops an image batch along height and width.

    Args:
        cropping: int (the same on all four sides), (symmetric_height_crop,
            symmetric_width_crop), or ((top_crop, bottom_crop), (left_crop, right_crop));
            all >= 0.
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: 4-D. Output shape: 4-D with rows - top - bottom, cols - left - right.
    At least one row and one column must remain.
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.cropping = self._pairs_arg(cropping, "cropping", "crop")
        self.input_spec = InputSpec(ndim=4)

    def _axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def _cropped(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise self._error("expected a 4-D input, got shape %s" % fmt_shape(input_shape))
        out = list(input_shape)
        for axis, (before, after), what in zip(self._axes(), self.cropping,
                                               ("height", "width")):
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
        key = [slice(None)] * 4
        for axis, (before, after) in zip(self._axes(), self.cropping):
            key[axis] = slice(before, inputs.shape[axis] - after)
        return ops.getitem(inputs, tuple(key))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"cropping": self.cropping, "data_format": self.data_format})
        return cfg
