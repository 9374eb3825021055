"""Conv1D: temporal convolution (Keras 2's signature, kernel (k, in, out)), incl. 'causal'."""
from .base_conv import Conv, _conv_ops

_CAUSAL_OK = ("valid", "same", "causal")


def is_causal(padding):
    return isinstance(padding, str) and padding.lower() == "causal"


def causal_error(layer):
    """The error for padding='causal' on a layer that cannot take it (Keras's rule)."""
    return layer._error("padding='causal' is only supported by Conv1D and SeparableConv1D "
                        "(causal padding is a 1-D, forward-in-time convolution).")


class Conv1D(Conv):
    """1-D convolution layer (temporal convolution): `activation(conv1d(x, kernel) + bias)`.

    Args:
        filters: number of output channels.
        kernel_size: int or 1-tuple.
        strides: int or 1-tuple; > 1 cannot be combined with dilation_rate > 1.
        padding: 'valid', 'same' or 'causal' (case-insensitive). 'causal' pads
            (kernel_size - 1) * dilation_rate zeros at the start, so that output[t]
            depends only on input[:t + 1] (WaveNet).
        data_format: 'channels_last' (batch, steps, channels) -- the default, as in
            tf.keras's Conv1D, whatever `image_data_format()` says -- or
            'channels_first' (batch, channels, steps).
        dilation_rate: int or 1-tuple.
        groups: 1 only (grouped convolution is not supported).
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer
        ('zeros'), kernel/bias/activity regularizers, kernel/bias constraints: as in Keras.

    Input shape: 3-D (batch, steps, channels) or (batch, channels, steps).
    Output shape: 3-D with `filters` channels. Weights: kernel (k, in, filters),
    bias (filters,).

    Example::

        gkeras.layers.Conv1D(32, 3, padding='causal', dilation_rate=2, activation='relu')
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding="valid",
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.padding = self._padding_arg(padding, self._paddings())

    def _paddings(self):
        return _CAUSAL_OK

    _convolve_takes_bias = True

    def _convolve(self, inputs, bias=None, relu=False):
        return _conv_ops().conv1d(inputs, self.kernel, strides=self.strides,
                                  padding=self.padding, data_format=self.data_format,
                                  dilation_rate=self.dilation_rate, bias=bias,
                                  relu=relu)


Convolution1D = Conv1D
