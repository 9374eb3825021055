"""`ConvTransposeMixin`: what Conv1D/2D/3DTranspose add to Conv1D / Conv2D / Conv3D.

As in tf.keras, `ConvNDTranspose` is a `ConvND` (isinstance holds for 1-D, 2-D and 3-D);
the mixin swaps in the transposed kernel layout
`kernel_size + (filters, in_channels)`, the output-size rule
(`conv_utils.deconv_output_length`, with `output_padding`) and the transposed op.
"""
from ...utils import conv_utils
from .base_conv import fmt_shape


class ConvTransposeMixin:
    """Mix in before a rank-specific Conv subclass; call `_init_transpose` in __init__."""

    def _init_transpose(self, output_padding):
        if self.padding == "causal":
            raise self._error("padding='causal' is not supported by transposed "
                              "convolutions; use 'valid' or 'same'.")
        if output_padding is not None:
            output_padding = self._tuple_arg(output_padding, self.rank, "output_padding",
                                             allow_zero=True)
            if any(p >= s for p, s in zip(output_padding, self.strides)):
                raise self._error("Strides must be greater than output padding. Received "
                                  "strides=%s, output_padding=%s."
                                  % (self.strides, output_padding))
        self.output_padding = output_padding

    def _kernel_shape(self, input_channels):
        return self.kernel_size + (self.filters, input_channels)

    def _output_spatial(self, spatial):
        pads = self.output_padding or (None,) * self.rank
        out = tuple(conv_utils.deconv_output_length(n, k, self.padding, output_padding=p,
                                                    stride=s, dilation=d)
                    for n, k, p, s, d in zip(spatial, self.kernel_size, pads, self.strides,
                                             self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise self._error("input spatial size %s gives an empty output %s"
                              % (fmt_shape(spatial), fmt_shape(out)))
        # the output must be an input that the forward convolution maps back to
        # `spatial`; an explicit output_padding can break that (tf-keras then fails in TF)
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

    def _transpose_op(self):
        raise NotImplementedError

    _convolve_takes_bias = False  # the bias stays a separate BiasAdd

    def _convolve(self, inputs, bias=None):
        out = self._output_spatial(self._spatial(inputs.shape))
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            output_shape = (n, self.filters) + out
        else:
            output_shape = (n,) + out + (self.filters,)
        return self._transpose_op()(inputs, self.kernel, output_shape, strides=self.strides,
                                    padding=self.padding, data_format=self.data_format,
                                    dilation_rate=self.dilation_rate)

    def get_config(self):
        cfg = super().get_config()
        cfg["output_padding"] = self.output_padding
        return cfg


def conv_transpose_ops():
    """gkeras.ops.conv_transpose, imported when first needed."""
    from ...ops import conv_transpose
    return conv_transpose
