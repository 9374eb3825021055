"""UpSampling1D/2D/3D: repeat (or, in 2-D, bilinearly interpolate) cells by integer factors.

The ops are `gkeras.ops.resize` (`repeat_elements`, `resize_images`, `resize_volumes`,
Keras's backend functions). Bilinear interpolation is TensorFlow's `tf.image.resize`
with half-pixel centres, what tf-keras 2.x's UpSampling2D computes.
"""
import numbers

from ...engine.base_layer import InputSpec, Layer
from .base_conv import ArgChecks, fmt_shape


def _resize_ops():
    from ...ops import resize
    return resize


class _UpSampling(ArgChecks, Layer):
    """Base of the upsampling layers of `rank` spatial dimensions."""

    rank = None

    def _axes(self):
        if getattr(self, "data_format", "channels_last") == "channels_first":
            return tuple(range(2, 2 + self.rank))
        return tuple(range(1, 1 + self.rank))

    def _sizes(self):
        return self.size if self.rank > 1 else (self.size,)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise self._error("expected a %d-D input, got shape %s"
                              % (self.rank + 2, fmt_shape(input_shape)))
        out = list(input_shape)
        for axis, factor in zip(self._axes(), self._sizes()):
            if out[axis] is not None:
                out[axis] = out[axis] * factor
        return tuple(out)


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times: (batch, steps, features) -> (batch, steps * size,
    features).

    Args:
        size: positive int, the upsampling factor.
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, (tuple, list)) and len(size) == 1:
            size = size[0]
        if isinstance(size, float) and size.is_integer():
            size = int(size)  # tf-keras stores int(size)
        if (isinstance(size, bool) or not isinstance(size, numbers.Integral)
                or size < 1):
            raise self._error("`size` must be a positive integer, got %r" % (size,))
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return _resize_ops().repeat_elements(inputs, self.size, axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg["size"] = self.size
        return cfg


class UpSampling2D(_UpSampling):
    """Upsamples images: rows and columns repeated (or interpolated) by `size`.

    Args:
        size: int or (rows_factor, cols_factor), positive.
        data_format: 'channels_last' (default) or 'channels_first'.
        interpolation: 'nearest' (repeat) or 'bilinear' (TensorFlow's half-pixel
            bilinear resize, as tf-keras). tf-keras's other methods ('area', 'bicubic',
            'gaussian', 'lanczos3', 'lanczos5', 'mitchellcubic') are not implemented.
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.size = self._tuple_arg(size, 2, "size")
        resize = _resize_ops()
        method = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if method in resize._TF_ONLY_INTERPOLATIONS:
            raise NotImplementedError(
                self._where() + "interpolation=%r is not implemented in gkeras; supported "
                "values: %s" % (interpolation, ", ".join(repr(m) for m in
                                                        resize.INTERPOLATIONS)))
        if method not in resize.INTERPOLATIONS:
            raise self._error("`interpolation` must be one of %s, got %r"
                              % (", ".join(repr(m) for m in resize.INTERPOLATIONS),
                                 interpolation))
        self.interpolation = method
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return _resize_ops().resize_images(inputs, self.size[0], self.size[1],
                                           self.data_format, interpolation=self.interpolation)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"size": self.size, "data_format": self.data_format,
                    "interpolation": self.interpolation})
        return cfg


class UpSampling3D(_UpSampling):
    """Upsamples volumes: each spatial axis repeated by its factor (nearest neighbour).

    Args:
        size: int or (dim1_factor, dim2_factor, dim3_factor), positive.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.size = self._tuple_arg(size, 3, "size")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        return _resize_ops().resize_volumes(inputs, self.size[0], self.size[1], self.size[2],
                                            self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"size": self.size, "data_format": self.data_format})
        return cfg
