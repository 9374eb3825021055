"""SeparableConv1D and SeparableConv2D: a depthwise convolution, then a 1x1 one.

Arguments, defaults, weight layouts and `get_config` keys are tf.keras 2's
(`tf_keras/src/layers/convolutional/base_separable_conv.py`: the config also carries
the unused `kernel_*` entries of the Conv base, which are accepted back); the
arithmetic is `gkeras.ops.depthwise` (im2col, a per-channel contraction, one GEMM).
"""
from ... import constraints, initializers, regularizers
from ...engine.base_layer import InputSpec
from .base_conv import Conv, _ser
from .conv1d import _CAUSAL_OK, causal_error, is_causal
from .depthwise_conv import check_depth_multiplier, depthwise_ops


class SeparableConv(Conv):
    """Abstract N-D depthwise-separable convolution:
    `activation(pointwise(depthwise(x)) + bias)`.

    Args:
        rank: number of spatial dimensions.
        filters: output channels of the pointwise (1x1) step.
        kernel_size, strides, padding, data_format, dilation_rate: of the depthwise step.
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias, bias_initializer, bias_regularizer, activity_regularizer,
        bias_constraint: as in Conv.
        depthwise_initializer, pointwise_initializer ('glorot_uniform'),
        depthwise_regularizer, pointwise_regularizer, depthwise_constraint,
        pointwise_constraint: for the two kernels.

    Weights: `depthwise_kernel` `kernel_size + (in, depth_multiplier)`,
    `pointwise_kernel` `(1,) * rank + (in * depth_multiplier, filters)`, `bias` `(filters,)`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding="valid",
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        if is_causal(padding) and rank != 1:
            raise causal_error(self)
        self.padding = self._padding_arg(padding, _CAUSAL_OK if rank == 1
                                         else ("valid", "same"))
        self.depth_multiplier = check_depth_multiplier(self, depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # checks that the kernel fits
        dm = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, dm),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (channels * dm, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": _ser(self.depthwise_initializer),
            "pointwise_initializer": _ser(self.pointwise_initializer),
            "depthwise_regularizer": _ser(self.depthwise_regularizer),
            "pointwise_regularizer": _ser(self.pointwise_regularizer),
            "depthwise_constraint": _ser(self.depthwise_constraint),
            "pointwise_constraint": _ser(self.pointwise_constraint)})
        return cfg


class SeparableConv1D(SeparableConv):
    """Depthwise-separable 1-D convolution.

    Args:
        filters: number of output channels.
        kernel_size: int or 1-tuple.
        strides: int or 1-tuple; > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid', 'same' or 'causal'.
        data_format: 'channels_last' (default from `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or 1-tuple.
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias, depthwise_initializer, pointwise_initializer
        ('glorot_uniform'), bias_initializer ('zeros'), depthwise/pointwise/bias/activity
        regularizers, depthwise/pointwise/bias constraints: as in Keras.

    Input shape: 3-D. Output shape: 3-D with `filters` channels. Weights:
    depthwise_kernel (k, in, depth_multiplier), pointwise_kernel
    (1, in * depth_multiplier, filters), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return depthwise_ops().separable_conv1d(
            inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate)


class SeparableConv2D(SeparableConv):
    """Depthwise-separable 2-D convolution (Xception, MobileNet).

    Args:
        filters: number of output channels.
        kernel_size: int or (height, width).
        strides: int or (sy, sx); > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' (default from `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or (dy, dx).
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias, depthwise_initializer, pointwise_initializer
        ('glorot_uniform'), bias_initializer ('zeros'), depthwise/pointwise/bias/activity
        regularizers, depthwise/pointwise/bias constraints: as in Keras.

    Input shape: 4-D. Output shape: 4-D with `filters` channels. Weights:
    depthwise_kernel (kh, kw, in, depth_multiplier), pointwise_kernel
    (1, 1, in * depth_multiplier, filters), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return depthwise_ops().separable_conv2d(
            inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate)


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
