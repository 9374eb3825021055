"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda."""
import numpy

from .. import activations, constraints, initializers, ops, regularizers
from ..backend import config
from ..backend import random as _random
from ..engine import fusion
from ..engine.base_layer import InputSpec, Layer
from ..saving import serialization
from ..utils.generic_utils import serialize_keras_object


def _ser(obj):
    return serialize_keras_object(obj) if obj is not None else None


class Dense(Layer):
    """Densely connected layer: `output = activation(dot(input, kernel) + bias)`.

    Args:
        units: dimensionality of the output space.
        activation, use_bias, kernel_initializer ('glorot_uniform'),
        bias_initializer ('zeros'), kernel/bias/activity regularizers,
        kernel/bias constraints: as in Keras.

    Input shape: (batch, ..., input_dim). Output shape: (batch, ..., units).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, numpy.integer)) or units < 1:
            raise ValueError("Dense: `units` must be a positive integer, got %r" % (units,))
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("The last dimension of the inputs to Dense layer %r should be "
                             "defined. Found None. Full input shape received: %s"
                             % (self.name, tuple(input_shape)))
        self.kernel = self.add_weight("kernel", (input_dim, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        y = ops.dot(inputs, self.kernel)
        relu = self.activation is activations.relu or fusion.relu_follows(self)
        if self.use_bias:
            if relu:  # the plain relu: one fused op
                return ops.bias_relu(y, self.bias)
            y = ops.bias_add(y, self.bias)
        return activations.relu(y) if relu else self.activation(y)

    def _can_fuse_relu(self):
        return self.activation is activations.linear and self.activity_regularizer is None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(self.kernel_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "bias_constraint": _ser(self.bias_constraint)})
        return cfg


class Activation(Layer):
    """Applies an activation function by name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs during training, scaling the rest by 1/(1-rate).

    Args:
        rate: fraction to drop, in [0, 1).
        noise_shape: shape of the binary mask (None entries take the input's size).
        seed: makes the masks reproducible.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError("Dropout: `rate` must be a float in [0, 1), got %r" % (rate,))
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self._rng = None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.seed is not None and self._rng is None:
            self._rng = _random.generator(seed=self.seed)
        return ops.dropout(inputs, self.rate, self.noise_shape, self._rng)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return cfg


class Flatten(Layer):
    """Flattens all but the batch axis (channels_first inputs in NCHW order)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            # Keras moves channels last first, so the flattened order is NHWC's
            x = ops.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
        if x.ndim == 1:
            return ops.reshape(x, (x.shape[0], 1))
        return ops.reshape(x, (x.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(numpy.prod(rest)) if rest else 1
        return (input_shape[0], size)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class Reshape(Layer):
    """Reshapes to `target_shape` (batch axis excluded; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError("Reshape: there can only be one unknown dimension (-1) in "
                             "target_shape, got %s" % (self.target_shape,))

    def _resolve(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return self.target_shape if -1 not in self.target_shape else tuple(
                None if d == -1 else d for d in self.target_shape)
        total = int(numpy.prod(rest))
        known = int(numpy.prod([d for d in self.target_shape if d != -1]))
        if -1 in self.target_shape:
            if known == 0 or total % known:
                raise ValueError("Reshape %r: total size of the input (%d) is not divisible by "
                                 "the product of the known target dimensions %s"
                                 % (self.name, total, self.target_shape))
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise ValueError("Reshape %r: total size of new array must be unchanged, input_shape "
                             "= %s, output_shape = %s" % (self.name, list(rest),
                                                         list(self.target_shape)))
        return self.target_shape

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


class Permute(Layer):
    """Permutes the non-batch axes; `dims` are 1-based, e.g. (2, 1)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation `dims` for Permute Layer: %s. The set of "
                             "indices in `dims` must be consecutive and start from 1."
                             % (self.dims,))
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        cfg = super().get_config()
        cfg["dims"] = list(self.dims)
        return cfg


class RepeatVector(Layer):
    """Repeats a (batch, features) input n times: (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        x = ops.expand_dims(inputs, 1)
        return ops.broadcast_to(x, (inputs.shape[0], self.n, inputs.shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg


class Lambda(Layer):
    """Wraps an arbitrary expression of Tensors as a layer.

    Args:
        function: callable of the input (and optional `mask`/`arguments`).
        output_shape: shape tuple (batch axis excluded) or callable of the input
            shape; inferred by running `function` on zeros when omitted.
        arguments: extra keyword arguments passed to `function`.

    Functions defined in Python cannot be stored safely in a file: configs
    hold the function's name, and loading resolves it only through
    `custom_objects` (see `gkeras.saving`).
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError("Lambda: `function` must be callable, got %r" % (function,))
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return self._infer_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0] if not isinstance(input_shape, list) else input_shape[0][0],) + \
            tuple(self._output_shape)

    def _infer_shape(self, input_shape):
        from ..autograd.tensor import Tensor
        from ..backend import xp as _xp
        xp = _xp.xp()
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dummies = [Tensor(xp.zeros(tuple(2 if d is None else d for d in s), dtype=self.dtype))
                   for s in shapes]
        out = self.call(dummies if isinstance(input_shape, list) else dummies[0])
        outs = out if isinstance(out, (list, tuple)) else [out]
        result = [(None,) + tuple(o.shape[1:]) for o in outs]
        return result if isinstance(out, (list, tuple)) else result[0]

    def get_config(self):
        cfg = super().get_config()
        function, function_type, module = serialization.serialize_function(self.function)
        cfg.update({"function": function, "function_type": function_type, "module": module})
        if callable(self._output_shape):
            shape, shape_type, shape_module = serialization.serialize_function(
                self._output_shape)
        else:
            shape = list(self._output_shape) if self._output_shape is not None else None
            shape_type, shape_module = "raw", None
        cfg.update({"output_shape": shape, "output_shape_type": shape_type,
                    "output_shape_module": shape_module, "arguments": self.arguments})
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the layer; in safe mode (file loading) stored bytecode is refused."""
        config = dict(config)
        config["function"] = serialization.resolve_lambda_function(config, custom_objects)
        config["output_shape"] = serialization.resolve_lambda_function(
            config, custom_objects, key="output_shape")
        for key in ("function_type", "module", "output_shape_type", "output_shape_module"):
            config.pop(key, None)
        return cls(**config)


# Keras 2.2 kept SpatialDropout in `keras.layers.core`; the classes live in their own
# module (they subclass Dropout, defined above), re-exported here for that import path.
from .spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D  # noqa: E402,F401
