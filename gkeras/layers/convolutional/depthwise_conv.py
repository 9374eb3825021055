"""DepthwiseConv1D and DepthwiseConv2D (depth_multiplier filters per input channel).

Arguments, defaults, weight layouts and `get_config` keys are tf.keras 2's
(`tf_keras/src/layers/convolutional/base_depthwise_conv.py`); the arithmetic is
`gkeras.ops.depthwise` (im2col + a per-channel contraction).
"""
import numbers

from ... import constraints, initializers, regularizers
from ...engine.base_layer import InputSpec
from .base_conv import Conv, _ser
from .conv1d import causal_error, is_causal


def depthwise_ops():
    """gkeras.ops.depthwise, imported when first needed."""
    from ...ops import depthwise
    return depthwise


def check_depth_multiplier(layer, value):
    """A positive int (Keras accepts 2.0 as 2), else a ValueError naming the layer."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise layer._error("Invalid value for argument `depth_multiplier`. Expected a "
                           "strictly positive integer. Received depth_multiplier=%r."
                           % (value,))
    return int(value)


class DepthwiseConv(Conv):
    """Abstract N-D depthwise convolution: each input channel is convolved with its own
    `depth_multiplier` filters; output channel `c * depth_multiplier + m`.

    Args:
        rank: number of spatial dimensions.
        kernel_size, strides, padding ('valid' or 'same'), data_format, dilation_rate,
        activation, use_bias, bias_initializer, bias_regularizer, activity_regularizer,
        bias_constraint: as in Conv.
        depth_multiplier: number of filters per input channel (a positive int).
        depthwise_initializer ('glorot_uniform'), depthwise_regularizer,
        depthwise_constraint: for the depthwise kernel.

    Weights: `depthwise_kernel` of shape `kernel_size + (in_channels, depth_multiplier)`,
    `bias` of shape `(in_channels * depth_multiplier,)`.
    """

    def __init__(self, rank, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        if "filters" in kwargs:
            raise TypeError("%s takes no `filters` argument: its output has in_channels * "
                            "depth_multiplier channels" % type(self).__name__)
        causal = is_causal(padding)
        super().__init__(rank, 1, kernel_size, strides=strides,
                         padding="valid" if causal else padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        if causal:
            raise causal_error(self)
        self.filters = None  # as tf.keras: the output has in_channels * depth_multiplier
        self.depth_multiplier = check_depth_multiplier(self, depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        out = self._output_spatial(self._spatial(input_shape))
        channels = input_shape[self._channel_axis]
        filters = None if channels is None else channels * self.depth_multiplier
        if self.data_format == "channels_first":
            return (input_shape[0], filters) + out
        return (input_shape[0],) + out + (filters,)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # checks that the kernel fits
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (channels * self.depth_multiplier,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def get_config(self):
        cfg = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            del cfg[key]
        cfg.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": _ser(self.depthwise_initializer),
            "depthwise_regularizer": _ser(self.depthwise_regularizer),
            "depthwise_constraint": _ser(self.depthwise_constraint)})
        return cfg


class DepthwiseConv1D(DepthwiseConv):
    """Depthwise 1-D convolution: each channel of a sequence gets its own filters.

    Args:
        kernel_size: int or 1-tuple.
        strides: int or 1-tuple; > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid' or 'same' ('causal' is refused, as in tf.keras).
        depth_multiplier: filters per input channel.
        data_format: 'channels_last' (default from `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or 1-tuple.
        activation, use_bias, depthwise_initializer ('glorot_uniform'),
        bias_initializer ('zeros'), depthwise/bias/activity regularizers,
        depthwise/bias constraints: as in Keras.

    Input shape: 3-D (batch, steps, channels) or (batch, channels, steps).
    Output shape: 3-D with channels * depth_multiplier channels. Weights:
    depthwise_kernel (k, channels, depth_multiplier), bias (channels * depth_multiplier,).
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return depthwise_ops().depthwise_conv1d(
            inputs, self.depthwise_kernel, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate)


class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2-D convolution (the first half of a separable convolution; MobileNet).

    Args:
        kernel_size: int or (height, width).
        strides: int or (sy, sx); > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid' or 'same' (TensorFlow's asymmetric 'same').
        depth_multiplier: filters per input channel.
        data_format: 'channels_last' (default from `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or (dy, dx).
        activation, use_bias, depthwise_initializer ('glorot_uniform'),
        bias_initializer ('zeros'), depthwise/bias/activity regularizers,
        depthwise/bias constraints: as in Keras.

    Input shape: 4-D. Output shape: 4-D with channels * depth_multiplier channels,
    channel `c * depth_multiplier + m` being input channel c's m-th filter. Weights:
    depthwise_kernel (kh, kw, channels, depth_multiplier), bias
    (channels * depth_multiplier,).
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return depthwise_ops().depthwise_conv2d(
            inputs, self.depthwise_kernel, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate)
