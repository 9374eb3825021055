"""Conv3D: 3-D convolution over volumes (Keras 2's signature, kernel (kd, kh, kw, in, out))."""
from .base_conv import Conv, _conv_ops


class Conv3D(Conv):
    """3-D convolution layer: `activation(conv3d(inputs, kernel) + bias)`.

    Args:
        filters: number of output channels.
        kernel_size: int or (depth, height, width).
        strides: int or (sd, sy, sx); > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid' or 'same' (TensorFlow's asymmetric 'same').
        data_format: 'channels_last' (batch, d1, d2, d3, channels), the default, or
            'channels_first' (batch, channels, d1, d2, d3).
        dilation_rate: int or (dd, dy, dx).
        groups: 1 only.
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer
        ('zeros'), kernel/bias/activity regularizers, kernel/bias constraints: as in Keras.

    Input shape: 5-D. Output shape: 5-D with `filters` channels. Weights: kernel
    (kd, kh, kw, in, out), bias (out,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)

    _convolve_takes_bias = True

    def _convolve(self, inputs, bias=None, relu=False):
        return _conv_ops().conv3d(inputs, self.kernel, strides=self.strides,
                                  padding=self.padding, data_format=self.data_format,
                                  dilation_rate=self.dilation_rate, bias=bias,
                                  relu=relu)


Convolution3D = Conv3D
