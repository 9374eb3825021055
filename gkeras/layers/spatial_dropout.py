"""SpatialDropout1D/2D/3D: Dropout that drops whole feature maps (channels).

As tf-keras's, they are `Dropout` subclasses whose noise shape keeps the batch and
channel axes and broadcasts over the others: (batch, 1, channels) in 1-D,
(batch, 1, 1, channels) / (batch, channels, 1, 1) in 2-D, and likewise in 3-D. In
training every sample keeps or drops each channel entirely (kept ones are scaled by
1 / (1 - rate)); in inference (`training=False`, `predict`, learning phase 0) they are the
identity.

Keras 2.2 defined them in `keras.layers.core`; gkeras exports them from `gkeras.layers`
(and this module).

Difference kept: tf-keras's SpatialDropout2D/3D `get_config` omits `data_format` (so a
channels_first layer comes back channels_last from its own config); gkeras writes it,
and tf-keras accepts the key when it reads the config.
"""
import numbers

from .. import ops
from ..backend import random as _random
from ..engine.base_layer import InputSpec
from .convolutional.base_conv import ArgChecks
from .core import Dropout


def _check_rate(cls, rate, kwargs):
    if (isinstance(rate, bool) or not isinstance(rate, numbers.Real)
            or not 0 <= rate < 1):
        raise ValueError("%s layer %r: Invalid value %r received for `rate`, expected a "
                         "float in [0, 1)." % (cls.__name__, kwargs.get("name"), rate))


class _SpatialDropout(ArgChecks, Dropout):
    """Base: `_noise_shape(shape)` keeps the batch and channel axes."""

    rank = None

    def __init__(self, rate, data_format=None, **kwargs):
        _check_rate(type(self), rate, kwargs)
        super().__init__(rate, **kwargs)
        self.data_format = self._data_format_arg(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _noise_shape(self, shape):
        ones = (1,) * self.rank
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + ones
        return (shape[0],) + ones + (shape[-1],)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.seed is not None and self._rng is None:
            self._rng = _random.generator(seed=self.seed)
        return ops.dropout(inputs, self.rate, self._noise_shape(inputs.shape), self._rng)

    def get_config(self):
        cfg = super().get_config()
        if self.rank > 1:
            cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Drops entire 1-D feature maps: the noise shape is (batch, 1, features).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        noise_shape, seed: accepted as in Dropout (tf-keras's config carries them);
            `noise_shape` is ignored, the spatial noise shape replaces it.

    Input shape: (batch, steps, features). Output: the same shape.
    """

    rank = 1

    def __init__(self, rate, **kwargs):
        super().__init__(rate, data_format="channels_last", **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2-D feature maps (channels).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: 'channels_last' (default, noise (batch, 1, 1, channels)) or
            'channels_first' (noise (batch, channels, 1, 1)).
        noise_shape, seed: as in SpatialDropout1D.
    """

    rank = 2

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, data_format=data_format, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3-D feature maps (channels).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: 'channels_last' (default, noise (batch, 1, 1, 1, channels)) or
            'channels_first' (noise (batch, channels, 1, 1, 1)).
        noise_shape, seed: as in SpatialDropout1D.
    """

    rank = 3

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, data_format=data_format, **kwargs)
