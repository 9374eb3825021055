"""Conv2DTranspose: transposed 2-D convolution (kernel layout (kh, kw, out, in), as Keras)."""
from .base_conv import _conv_ops
from .base_conv_transpose import ConvTransposeMixin
from .conv2d import Conv2D


class Conv2DTranspose(ConvTransposeMixin, Conv2D):
    """Transposed convolution ("deconvolution"): the gradient of Conv2D with respect to
    its input, used to upsample.

    Args:
        filters: number of output channels.
        kernel_size: int or (height, width).
        strides: int or (sy, sx).
        padding: 'valid' or 'same'.
        output_padding: None (infer the output size: `in * stride` for 'same',
            `in * stride + max(kernel - stride, 0)` for 'valid'), or an int / pair of
            ints >= 0, each smaller than the stride on that axis, giving the extra
            rows/cols at the bottom/right: `(in - 1) * stride + kernel - 2 * pad +
            output_padding` with pad = kernel // 2 for 'same', 0 for 'valid'.
        data_format: 'channels_last' (default) or 'channels_first'.
        dilation_rate: int or (dy, dx); > 1 cannot be combined with strides > 1.
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer
        ('zeros'), kernel/bias/activity regularizers, kernel/bias constraints: as in Keras.

    Input shape: 4-D. Output shape: 4-D with `filters` channels and rows/cols from
    `conv_utils.deconv_output_length`. Weights: kernel (kh, kw, filters, in_channels)
    -- Keras's layout, so Keras weights drop in -- and bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
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
        return _conv_ops().conv2d_transpose


Convolution2DTranspose = Conv2DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
