"""Conv1DTranspose: transposed 1-D convolution (kernel layout (k, out, in), as Keras)."""
from .base_conv_transpose import ConvTransposeMixin, conv_transpose_ops
from .conv1d import Conv1D


class Conv1DTranspose(ConvTransposeMixin, Conv1D):
    """Transposed 1-D convolution ("deconvolution"): the gradient of Conv1D with respect
    to its input, used to upsample sequences.

    Args:
        filters: number of output channels.
        kernel_size: int or 1-tuple.
        strides: int or 1-tuple.
        padding: 'valid' or 'same' ('causal' is refused).
        output_padding: None (infer: `steps * stride` for 'same',
            `steps * stride + max(kernel - stride, 0)` for 'valid'), or an int >= 0
            smaller than the stride: the output then has `(steps - 1) * stride +
            kernel - 2 * pad + output_padding` steps (pad = kernel // 2 for 'same').
        data_format: 'channels_last' (default from `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or 1-tuple; > 1 cannot be combined with strides > 1.
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer
        ('zeros'), kernel/bias/activity regularizers, kernel/bias constraints: as in Keras.

    Input shape: 3-D. Output shape: 3-D with `filters` channels. Weights: kernel
    (k, filters, in_channels), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         groups=kwargs.pop("groups", 1),  # in tf.keras's config, always 1
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self._init_transpose(output_padding)

    def _transpose_op(self):
        return conv_transpose_ops().conv1d_transpose


Convolution1DTranspose = Conv1DTranspose
