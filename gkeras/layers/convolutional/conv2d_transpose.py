"""Conv2DTranspose: transposed 2-D convolution (kernel layout (kh, kw, out, in), as Keras)."""
from ...utils import conv_utils
from .base_conv import Conv, _conv_ops, fmt_shape


class Conv2DTranspose(Conv):
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
        # tf.keras's config carries `groups` (always 1) through **kwargs
        groups = kwargs.pop("groups", 1)
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
        if output_padding is not None:
            output_padding = self._tuple_arg(output_padding, 2, "output_padding",
                                             allow_zero=True)
            if any(p >= s for p, s in zip(output_padding, self.strides)):
                raise self._error("Strides must be greater than output padding. Received "
                                  "strides=%s, output_padding=%s."
                                  % (self.strides, output_padding))
        self.output_padding = output_padding

    def _kernel_shape(self, input_channels):
        return self.kernel_size + (self.filters, input_channels)

    def _output_spatial(self, spatial):
        pads = self.output_padding or (None, None)
        out = tuple(conv_utils.deconv_output_length(n, k, self.padding, output_padding=p,
                                                    stride=s, dilation=d)
                    for n, k, p, s, d in zip(spatial, self.kernel_size, pads, self.strides,
                                             self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise self._error("input spatial size %s gives an empty output %s"
                              % (fmt_shape(spatial), fmt_shape(out)))
        # the output must be an input the forward convolution maps back to `spatial`;
        # an explicit output_padding can break that (tf-keras then fails inside TF)
        back = tuple(conv_utils.conv_output_length(o, k, self.padding, s, d)
                     for o, k, s, d in zip(out, self.kernel_size, self.strides,
                                           self.dilation_rate))
        if any(b is not None and b != n for b, n in zip(back, spatial)):
            raise self._error(
                "output_padding=%s is inconsistent with kernel_size=%s, strides=%s and "
                "padding=%r for an input of spatial size %s: the output %s would be "
                "convolved back to %s, not to the input's size. Use another "
                "output_padding (or None to infer it)."
                % (self.output_padding, self.kernel_size, self.strides, self.padding,
                   fmt_shape(spatial), fmt_shape(out), fmt_shape(back)))
        return out

    def _convolve(self, inputs):
        out = self._output_spatial(self._spatial(inputs.shape))
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            output_shape = (n, self.filters) + out
        else:
            output_shape = (n,) + out + (self.filters,)
        return _conv_ops().conv2d_transpose(inputs, self.kernel, output_shape,
                                            strides=self.strides, padding=self.padding,
                                            data_format=self.data_format,
                                            dilation_rate=self.dilation_rate)

    def get_config(self):
        cfg = super().get_config()
        cfg["output_padding"] = self.output_padding
        return cfg


Convolution2DTranspose = Conv2DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
