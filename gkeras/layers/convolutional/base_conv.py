"""`Conv`: the shared base of Conv2D and Conv3D (and helpers for argument checks).

Arguments, defaults, weight layouts and `get_config` keys are tf.keras 2's
(`tf_keras/src/layers/convolutional/base_conv.py`); the arithmetic is done by
`gkeras.ops.conv` (custom CUDA kernels on a GPU, their numpy twins otherwise).

Errors for bad arguments are `ValueError`s that name the layer class, the layer
and the argument, e.g. ``Conv2D layer 'conv2d': The `strides` argument ...``.
"""
import numbers

from ... import activations, constraints, initializers, ops, regularizers
from ...backend import config
from ...engine import fusion
from ...engine.base_layer import InputSpec, Layer
from ...utils import conv_utils
from ...utils.generic_utils import serialize_keras_object


def _ser(obj):
    return serialize_keras_object(obj) if obj is not None else None


def _conv_ops():
    """gkeras.ops.conv, imported when first needed (it loads the kernel machinery)."""
    from ...ops import conv
    return conv


def fmt_shape(shape):
    """(None, 4, 5) style, as Keras prints shapes."""
    shape = tuple(shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


class ArgChecks:
    """Argument validation that prefixes errors with the layer's class and name."""

    def _where(self):
        return "%s layer %r: " % (type(self).__name__, self.name)

    def _error(self, message):
        return ValueError(self._where() + message)

    def _tuple_arg(self, value, n, name, allow_zero=False):
        try:
            return conv_utils.normalize_tuple(value, n, name, allow_zero=allow_zero)
        except ValueError as e:
            raise self._error(str(e)) from None

    def _padding_arg(self, value, allowed=("valid", "same")):
        try:
            return conv_utils.normalize_padding(value, allowed)
        except ValueError as e:
            raise self._error(str(e)) from None

    def _data_format_arg(self, value):
        try:
            return config.normalize_data_format(value)
        except ValueError as e:
            raise self._error(str(e)) from None

    def _pairs_arg(self, value, name, what):
        """Cropping/padding amounts: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            if value < 0:
                raise self._error("`%s` must be >= 0, got %r" % (name, value))
            return ((int(value),) * 2,) * 2
        if not hasattr(value, "__len__") or isinstance(value, str):
            raise self._error(
                "`%s` should be either an int, a tuple of 2 ints (symmetric_height_%s, "
                "symmetric_width_%s), or a tuple of 2 tuples of 2 ints ((top_%s, bottom_%s), "
                "(left_%s, right_%s)). Received: %r" % ((name,) + (what,) * 6 + (value,)))
        if len(value) != 2:
            raise self._error("`%s` should have two elements. Received: %r" % (name, value))
        return (self._tuple_arg(value[0], 2, "1st entry of %s" % name, allow_zero=True),
                self._tuple_arg(value[1], 2, "2nd entry of %s" % name, allow_zero=True))


class Conv(ArgChecks, Layer):
    """Abstract N-D convolution layer (N = `rank`): `activation(conv(x, kernel) + bias)`.

    Args:
        rank: number of spatial dimensions.
        filters: number of output channels (a positive integer).
        kernel_size: int or tuple of `rank` positive ints.
        strides: int or tuple of `rank` positive ints.
        padding: 'valid' or 'same' (case-insensitive; TensorFlow's 'same': when the
            padding is odd, the extra cell goes at the end).
        data_format: 'channels_last' (default, `image_data_format()`) or
            'channels_first'.
        dilation_rate: int or tuple of `rank` positive ints; values > 1 cannot be
            combined with strides > 1.
        groups: must be 1 (grouped convolution is not implemented).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint:
            as in Dense.

    Weights: `kernel` of shape `kernel_size + (input_channels, filters)`, `bias` of
    shape `(filters,)`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        if isinstance(filters, float) and float(filters).is_integer():
            filters = int(filters)  # Keras accepts 32.0
        if (isinstance(filters, bool) or not isinstance(filters, numbers.Integral)
                or filters <= 0):
            raise self._error("Invalid value for argument `filters`. Expected a strictly "
                              "positive integer. Received filters=%r." % (filters,))
        self.filters = int(filters)
        if groups is None:
            groups = 1
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
            raise self._error("Invalid value for argument `groups`: expected a positive "
                              "integer, received groups=%r." % (groups,))
        if groups != 1:
            raise self._error("grouped convolution (groups=%d) is not supported by gkeras; "
                              "only groups=1 is." % groups)
        self.groups = 1
        self.kernel_size = self._tuple_arg(kernel_size, rank, "kernel_size")
        self.strides = self._tuple_arg(strides, rank, "strides")
        self.padding = self._padding_arg(padding)
        self.data_format = self._data_format_arg(data_format)
        self.dilation_rate = self._tuple_arg(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._error("`strides > 1` not supported in conjunction with "
                              "`dilation_rate > 1`. Received: strides=%s and dilation_rate=%s"
                              % (self.strides, self.dilation_rate))
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    # ------------------------------------------------------------------ shapes
    @property
    def _channel_axis(self):
        # negative, as Keras's (it appears in the InputSpec's error messages)
        return -1 - self.rank if self.data_format == "channels_first" else -1

    def _spatial(self, shape):
        shape = tuple(shape)
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def _check_rank(self, shape):
        if len(shape) != self.rank + 2:
            raise self._error("expected an input of rank %d (batch, %s), got shape %s"
                              % (self.rank + 2, self._axes_doc(), fmt_shape(shape)))

    def _axes_doc(self):
        names = ("depth", "height", "width")[-self.rank:] if self.rank <= 3 else \
            tuple("dim%d" % i for i in range(self.rank))
        if self.data_format == "channels_first":
            return ", ".join(("channels",) + tuple(names))
        return ", ".join(tuple(names) + ("channels",))

    def _input_channels(self, input_shape):
        channels = tuple(input_shape)[self._channel_axis]
        if channels is None:
            raise self._error(
                "The channel dimension of the inputs should be defined. The input_shape "
                "received is %s, where axis %d (0-based) is the channel dimension, which "
                "found to be `None`." % (fmt_shape(input_shape), self._channel_axis))
        return int(channels)

    def _output_spatial(self, spatial):
        out = tuple(conv_utils.conv_output_length(n, k, self.padding, s, d)
                    for n, k, s, d in zip(spatial, self.kernel_size, self.strides,
                                          self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            effective = tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size,
                                                              self.dilation_rate))
            raise self._error(
                "the kernel does not fit in the input: kernel_size=%s with dilation_rate=%s "
                "spans %s cells, larger than the input's spatial size %s with "
                "padding='valid' (the output would have size %s). Use a larger input, a "
                "smaller kernel or padding='same'."
                % (self.kernel_size, self.dilation_rate, effective,
                   fmt_shape(spatial), fmt_shape(out)))
        return out

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        out = self._output_spatial(self._spatial(input_shape))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters) + out
        return (input_shape[0],) + out + (self.filters,)

    # ------------------------------------------------------------------ weights
    def _kernel_shape(self, input_channels):
        return self.kernel_size + (input_channels, self.filters)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # checks that the kernel fits
        self.kernel = self.add_weight("kernel", self._kernel_shape(channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={self._channel_axis: channels})
        self.built = True

    # ------------------------------------------------------------------ calling
    # Whether `_convolve` takes `bias=`: the convolution op then adds the bias itself
    # (on the CPU while each output block is in cache), sparing a BiasAdd pass.
    _convolve_takes_bias = False

    def _convolve(self, inputs, bias=None):
        raise NotImplementedError

    def call(self, inputs):
        self._output_spatial(self._spatial(inputs.shape))  # clear error, not an op failure
        if self._convolve_takes_bias:
            bias = self.bias if self.use_bias else None
            if self.activation is activations.relu or fusion.relu_follows(self):
                return self._convolve(inputs, bias=bias, relu=True)  # the plain relu
            return self.activation(self._convolve(inputs, bias=bias))
        y = self._convolve(inputs)
        if self.use_bias:
            axis = 1 if self.data_format == "channels_first" else -1
            if self.activation is activations.relu:  # the plain relu: one fused op
                return ops.bias_relu(y, self.bias, axis=axis)
            y = ops.bias_add(y, self.bias, axis=axis)
        return self.activation(y)

    def _can_fuse_relu(self):
        return (self._convolve_takes_bias and self.activation is activations.linear
                and self.activity_regularizer is None)

    # ------------------------------------------------------------------ config
    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(self.kernel_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "bias_constraint": _ser(self.bias_constraint)})
        return cfg
