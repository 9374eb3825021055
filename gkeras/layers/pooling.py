"""Pooling layers (Keras 2 import path `keras.layers.pooling`): MaxPooling2D,
AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D and their short aliases.

Semantics are tf.keras 2's: 'same' padding is TensorFlow's (the odd padding cell at the
bottom/right); padded cells never win a max and never count toward an average.
"""
from ..engine.base_layer import InputSpec, Layer
from ..utils import conv_utils
from .convolutional.base_conv import ArgChecks, fmt_shape


def _pool_ops():
    """gkeras.ops.pooling, imported when first needed."""
    from ..ops import pooling
    return pooling


class Pooling2D(ArgChecks, Layer):
    """Base of the 2-D pooling layers.

    Args:
        pool_size: int or (rows, cols), positive.
        strides: int, (sy, sx) or None (= pool_size), positive.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    pool_mode = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if strides is None:
            strides = pool_size
        self.pool_size = self._tuple_arg(pool_size, 2, "pool_size")
        self.strides = self._tuple_arg(strides, 2, "strides")
        self.padding = self._padding_arg(padding)
        self.data_format = self._data_format_arg(data_format)
        self.input_spec = InputSpec(ndim=4)

    def _spatial_axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def _output_spatial(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise self._error("expected a 4-D input, got shape %s" % fmt_shape(input_shape))
        spatial = tuple(input_shape[a] for a in self._spatial_axes())
        out = tuple(conv_utils.conv_output_length(n, k, self.padding, s)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise self._error(
                "pool_size=%s does not fit in the input's spatial size %s with "
                "padding='valid' (the output would have size %s). Use a larger input, a "
                "smaller pool_size or padding='same'."
                % (self.pool_size, fmt_shape(spatial), fmt_shape(out)))
        return out

    def compute_output_shape(self, input_shape):
        out = self._output_spatial(input_shape)
        input_shape = tuple(input_shape)
        if self.data_format == "channels_first":
            return input_shape[:2] + out
        return (input_shape[0],) + out + (input_shape[3],)

    def call(self, inputs):
        self._output_spatial(inputs.shape)
        return _pool_ops().pool2d(inputs, self.pool_size, self.strides, padding=self.padding,
                                  data_format=self.data_format, pool_mode=self.pool_mode)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"pool_size": self.pool_size, "padding": self.padding,
                    "strides": self.strides, "data_format": self.data_format})
        return cfg


class MaxPooling2D(Pooling2D):
    """Max pooling for images.

    Args:
        pool_size: int or (rows, cols); (2, 2) halves each spatial size.
        strides: int, (sy, sx) or None (defaults to pool_size).
        padding: 'valid' or 'same' (padded cells never win).
        data_format: 'channels_last' (default) or 'channels_first'.

    Example (the seed's signature)::

        gkeras.layers.pooling.MaxPooling2D(pool_size=(2, 2), strides=None,
                                           padding='valid', data_format=None)
    """

    pool_mode = "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(Pooling2D):
    """Average pooling for images; with 'same' padding the padded cells do not count.

    Args: as MaxPooling2D.
    """

    pool_mode = "avg"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class GlobalPooling2D(ArgChecks, Layer):
    """Base of the global 2-D pooling layers.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1 ((batch, 1, 1, channels) or
            (batch, channels, 1, 1)) instead of returning (batch, channels).
    """

    pool_mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise self._error("expected a 4-D input, got shape %s" % fmt_shape(input_shape))
        if self.data_format == "channels_first":
            channels = input_shape[1]
            return (input_shape[0], channels, 1, 1) if self.keepdims else \
                (input_shape[0], channels)
        channels = input_shape[3]
        return (input_shape[0], 1, 1, channels) if self.keepdims else (input_shape[0], channels)

    def call(self, inputs):
        return _pool_ops().global_pool(inputs, self.pool_mode, data_format=self.data_format,
                                       keepdims=self.keepdims)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalMaxPooling2D(GlobalPooling2D):
    """Maximum over the spatial axes of images.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1.
    """

    pool_mode = "max"


class GlobalAveragePooling2D(GlobalPooling2D):
    """Mean over the spatial axes of images.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1.
    """

    pool_mode = "avg"


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
