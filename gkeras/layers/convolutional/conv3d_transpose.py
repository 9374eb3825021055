"""Conv3DTranspose: transposed 3-D convolution (kernel layout (kd, kh, kw, out, in))."""
from .base_conv_transpose import ConvTransposeMixin, conv_transpose_ops
from .conv3d import Conv3D


class Conv3DTranspose(ConvTransposeMixin, Conv3D):
    """Transposed 3-D convolution ("deconvolution"), used to upsample volumes.

    Args:
        filters: number of output channels.
        kernel_size: int or (kd, kh, kw).
        strides: int or (sd, sy, sx).
        padding: 'valid' or 'same'.
        output_padding: None (infer the output size: `in * stride` for 'same',
            `in * stride + max(kernel - stride, 0)` for 'valid'), or an int / triple of
            ints >= 0, each smaller than the stride on its axis.
        data_format: 'channels_last' (default from `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or triple; > 1 cannot be combined with strides > 1.
            tf.keras accepts this argument but silently ignores it (and leaves it out
            of `get_config`); gkeras honours it, and writes it into the config only
            when it is not (1, 1, 1), so default configs stay identical to tf.keras's.
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer
        ('zeros'), kernel/bias/activity regularizers, kernel/bias constraints: as in Keras.

    Input shape: 5-D. Output shape: 5-D with `filters` channels. Weights: kernel
    (kd, kh, kw, filters, in_channels), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
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
        return conv_transpose_ops().conv3d_transpose

    def get_config(self):
        cfg = super().get_config()
        if self.dilation_rate == (1, 1, 1):
            del cfg["dilation_rate"]  # tf.keras's config has no dilation_rate
        return cfg


Convolution3DTranspose = Conv3DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose  # Keras 2.2's aliases
