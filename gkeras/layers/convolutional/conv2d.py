"""Conv2D: 2-D convolution over images (Keras 2's signature, kernel (kh, kw, in, out))."""
from .base_conv import Conv, _conv_ops


class Conv2D(Conv):
    """2-D convolution layer: `activation(conv2d(inputs, kernel) + bias)`.

    Args:
        filters: number of output channels.
        kernel_size: int or (height, width).
        strides: int or (sy, sx); > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid' or 'same' (TensorFlow's: the odd padding cell goes at the
            bottom/right).
        data_format: 'channels_last' (batch, rows, cols, channels), the default from
            `image_data_format()`, or 'channels_first' (batch, channels, rows, cols).
        dilation_rate: int or (dy, dx).
        groups: 1 only (grouped convolution is not supported).
        activation: name or callable; None means linear.
        use_bias: whether to add a bias.
        kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'),
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as in Keras.

    Input shape: 4-D, (batch, rows, cols, channels) or (batch, channels, rows, cols).
    Output shape: 4-D with `filters` channels; rows/cols follow
    `conv_utils.conv_output_length`. Weights: kernel (kh, kw, in, out), bias (out,).

    Example (the seed's signature)::

        gkeras.layers.convolutional.Conv2D(32, (3, 3), strides=(1, 1), padding='valid',
                                           data_format=None, dilation_rate=(1, 1),
                                           activation='relu')
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
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
        return _conv_ops().conv2d(inputs, self.kernel, strides=self.strides,
                                  padding=self.padding, data_format=self.data_format,
                                  dilation_rate=self.dilation_rate, bias=bias,
                                  relu=relu)


Convolution2D = Conv2D
