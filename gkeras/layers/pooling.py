"""Pooling layers (Keras 2 import path `keras.layers.pooling`).

MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, GlobalMaxPooling1D/2D/3D,
GlobalAveragePooling1D/2D/3D and tf-keras's short aliases (MaxPool1D, AvgPool2D,
GlobalMaxPool3D, ...).

Semantics are tf.keras 2's: 'same' padding is TensorFlow's (the odd padding cell at the
bottom/right); padded cells never win a max and never count toward an average. Signatures
and defaults are tf-keras 2.x's, including its quirk that the 1-D layers default to
`data_format='channels_last'` (not `image_data_format()`); `get_config` keys and order
are tf-keras's.
"""
import numbers

from ..engine.base_layer import InputSpec, Layer
from ..engine.node import KerasTensor
from ..utils import conv_utils
from .convolutional.base_conv import ArgChecks, fmt_shape

_AXES_DOC = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}


def _pool_ops():
    """gkeras.ops.pooling, imported when first needed."""
    from ..ops import pooling
    return pooling


def _layout(rank, data_format):
    if data_format == "channels_first":
        return "(batch, channels, %s)" % _AXES_DOC[rank]
    return "(batch, %s, channels)" % _AXES_DOC[rank]


class _Pooling(ArgChecks, Layer):
    """Base of the windowed pooling layers of `rank` spatial dimensions.

    Args:
        pool_size: int or tuple of `rank` positive ints.
        strides: int, tuple of `rank` positive ints, or None (= pool_size).
        padding: 'valid' or 'same' (case-insensitive).
        data_format: 'channels_last' or 'channels_first' (None: `image_data_format()`).
    """

    rank = None
    pool_mode = None
    _config_order = ("pool_size", "padding", "strides", "data_format")

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if strides is None:
            strides = pool_size
        self.pool_size = self._tuple_arg(pool_size, self.rank, "pool_size")
        self.strides = self._tuple_arg(strides, self.rank, "strides")
        self.padding = self._padding_arg(padding)
        self.data_format = self._data_format_arg(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        if self.data_format == "channels_first":
            return tuple(range(2, 2 + self.rank))
        return tuple(range(1, 1 + self.rank))

    def _output_spatial(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise self._error("expected a %d-D input %s, got shape %s"
                              % (self.rank + 2, _layout(self.rank, self.data_format),
                                 fmt_shape(input_shape)))
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
        return (input_shape[0],) + out + (input_shape[-1],)

    def _pool(self, inputs):
        raise NotImplementedError

    def call(self, inputs):
        self._output_spatial(inputs.shape)  # a clear error rather than an op failure
        return self._pool(inputs)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({key: getattr(self, key) for key in self._config_order})
        return cfg


class Pooling1D(_Pooling):
    """Base of the 1-D pooling layers: inputs (batch, steps, features), or
    (batch, features, steps) for channels_first."""

    rank = 1
    _config_order = ("strides", "pool_size", "padding", "data_format")  # tf-keras's order

    def _pool(self, inputs):
        return _pool_ops().pool1d(inputs, self.pool_size, self.strides, padding=self.padding,
                                  data_format=self.data_format, pool_mode=self.pool_mode)


class Pooling2D(_Pooling):
    """Base of the 2-D pooling layers.

    Args:
        pool_size: int or (rows, cols), positive.
        strides: int, (sy, sx) or None (= pool_size), positive.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    rank = 2

    def _pool(self, inputs):
        return _pool_ops().pool2d(inputs, self.pool_size, self.strides, padding=self.padding,
                                  data_format=self.data_format, pool_mode=self.pool_mode)


class Pooling3D(_Pooling):
    """Base of the 3-D pooling layers: inputs (batch, depth, rows, cols, channels), or
    (batch, channels, depth, rows, cols) for channels_first."""

    rank = 3

    def _pool(self, inputs):
        return _pool_ops().pool3d(inputs, self.pool_size, self.strides, padding=self.padding,
                                  data_format=self.data_format, pool_mode=self.pool_mode)


class MaxPooling1D(Pooling1D):
    """Max pooling over the steps of sequences.

    Args:
        pool_size: int (or 1-tuple), the window length.
        strides: int, or None (defaults to pool_size).
        padding: 'valid' or 'same' (padded cells never win).
        data_format: 'channels_last' (default, (batch, steps, features)) or
            'channels_first' ((batch, features, steps)).
    """

    pool_mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid",
                 data_format="channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(Pooling1D):
    """Average pooling over the steps of sequences ('same': padded cells do not count).

    Args: as MaxPooling1D.
    """

    pool_mode = "avg"

    def __init__(self, pool_size=2, strides=None, padding="valid",
                 data_format="channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


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


class MaxPooling3D(Pooling3D):
    """Max pooling for volumes (spatial or spatio-temporal data).

    Args:
        pool_size: int or (depth, rows, cols); (2, 2, 2) halves each spatial size.
        strides: int, a 3-tuple or None (defaults to pool_size).
        padding: 'valid' or 'same' (padded cells never win).
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    pool_mode = "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(Pooling3D):
    """Average pooling for volumes ('same': padded cells do not count).

    Args: as MaxPooling3D.
    """

    pool_mode = "avg"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ---------------------------------------------------------------------------- global
class _GlobalPooling(ArgChecks, Layer):
    """Base of the global pooling layers of `rank` spatial dimensions.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: `image_data_format()`).
        keepdims: keep the spatial axes with size 1 ((batch, 1, ..., channels) or
            (batch, channels, 1, ...)) instead of returning (batch, channels).
    """

    rank = None
    pool_mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = self._data_format_arg(data_format)
        if not isinstance(keepdims, (bool, numbers.Integral)):
            raise self._error("`keepdims` must be a boolean, got %r" % (keepdims,))
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _check_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise self._error("expected a %d-D input %s, got shape %s"
                              % (self.rank + 2, _layout(self.rank, self.data_format),
                                 fmt_shape(input_shape)))
        cf = self.data_format == "channels_first"
        spatial = input_shape[2:] if cf else input_shape[1:-1]
        if any(n == 0 for n in spatial):
            raise self._error("cannot pool over an empty spatial axis (input shape %s)"
                              % fmt_shape(input_shape))
        return input_shape

    def compute_output_shape(self, input_shape):
        input_shape = self._check_shape(input_shape)
        ones = (1,) * self.rank
        if self.data_format == "channels_first":
            channels = input_shape[1]
            return (input_shape[0], channels) + ones if self.keepdims else \
                (input_shape[0], channels)
        channels = input_shape[-1]
        return (input_shape[0],) + ones + (channels,) if self.keepdims else \
            (input_shape[0], channels)

    def call(self, inputs):
        self._check_shape(inputs.shape)
        return _pool_ops().global_pool(inputs, self.pool_mode, data_format=self.data_format,
                                       keepdims=self.keepdims)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalPooling1D(_GlobalPooling):
    """Base of the global 1-D pooling layers (default data_format 'channels_last', as
    tf-keras)."""

    rank = 1

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalPooling2D(_GlobalPooling):
    """Base of the global 2-D pooling layers.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1 ((batch, 1, 1, channels) or
            (batch, channels, 1, 1)) instead of returning (batch, channels).
    """

    rank = 2


class GlobalPooling3D(_GlobalPooling):
    """Base of the global 3-D pooling layers."""

    rank = 3


class GlobalMaxPooling1D(GlobalPooling1D):
    """Maximum over the steps of sequences.

    Args:
        data_format: 'channels_last' (default, (batch, steps, features)) or
            'channels_first' ((batch, features, steps)).
        keepdims: keep the steps axis with length 1.
    """

    pool_mode = "max"


class GlobalAveragePooling1D(GlobalPooling1D):
    """Mean over the steps of sequences, optionally over the unmasked steps only.

    Args:
        data_format: 'channels_last' (default, (batch, steps, features)) or
            'channels_first' ((batch, features, steps)).
        keepdims: keep the steps axis with length 1.

    Call arguments:
        inputs: a 3-D tensor.
        mask: optional (batch, steps) array of 0/1 (or booleans): the mean is taken over
            the steps where it is 1, as tf-keras does. gkeras does not propagate masks
            through graphs (no `compute_mask`), so a mask is accepted in eager calls
            only; a symbolic (graph) mask is rejected.
    """

    pool_mode = "avg"

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(kwargs.get("mask"), KerasTensor):
            raise self._error(
                "a symbolic `mask` is not supported: gkeras does not propagate masks "
                "through graphs. Call the layer eagerly with a (batch, steps) mask array, "
                "or multiply the inputs by the mask and divide by its sum explicitly.")
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        from .. import ops
        self._check_shape(inputs.shape)
        mask = ops.cast(mask, inputs.dtype)
        steps_axis = 2 if self.data_format == "channels_first" else 1
        if tuple(mask.shape) != (inputs.shape[0], inputs.shape[steps_axis]):
            raise self._error("`mask` must have shape (batch, steps) = %s, got %s"
                              % (fmt_shape((inputs.shape[0], inputs.shape[steps_axis])),
                                 fmt_shape(mask.shape)))
        mask = ops.expand_dims(mask, 1 if self.data_format == "channels_first" else 2)
        total = ops.sum(inputs * mask, axis=steps_axis, keepdims=self.keepdims)
        return total / ops.sum(mask, axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


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


class GlobalMaxPooling3D(GlobalPooling3D):
    """Maximum over the spatial axes of volumes.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1.
    """

    pool_mode = "max"


class GlobalAveragePooling3D(GlobalPooling3D):
    """Mean over the spatial axes of volumes.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1.
    """

    pool_mode = "avg"


# tf-keras's aliases
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
