"""Keras's backend module `K`: settings, variables, K.function and tensor ops.

Thin re-exports; the logic lives in `backend/*`, `autograd/` and `ops/`.
Functions accept symbolic-free eager Tensors (what a `Lambda` receives).
"""
import numpy

from .config import (epsilon, floatx, image_data_format, normalize_data_format,  # noqa: F401
                     set_epsilon, set_floatx, set_image_data_format)
from .session import clear_session as _clear_session
from . import session as _session
from . import xp as _xp
from ..autograd.tensor import Tensor, as_tensor, unwrap
from ..autograd.variable import Variable
# Imported here, before `def function` below: importing the submodule binds the package
# attribute `function` to the module, and the def must come after to win that name
# (otherwise K.function turns into the module after its first use).
from .function import LEARNING_PHASE as _LEARNING_PHASE
from .function import GraphFunction as _GraphFunction

# K names served from other modules, imported on first use: the op modules
# themselves import `gkeras.backend.xp`, so importing them here would be circular.
_LAZY = {name: "gkeras.ops" for name in (
    "abs", "clip", "concatenate", "cast", "exp", "expand_dims", "gather", "log", "max",
    "maximum", "mean", "min", "minimum", "prod", "reshape", "softplus", "softsign", "sqrt",
    "square", "squeeze", "stack", "std", "sum", "tanh", "tile", "var", "batch_flatten",
    "logsumexp", "dot", "conv1d", "conv2d", "conv3d", "conv2d_transpose", "pool2d", "pool3d")}
_LAZY.update({name: "gkeras.ops.activations" for name in (
    "elu", "hard_sigmoid", "relu", "sigmoid", "softmax")})
_LAZY.update({"categorical_crossentropy": "gkeras.losses",
              "sparse_categorical_crossentropy": "gkeras.losses",
              "batch_dot": "gkeras.layers.merge", "stop_gradient": "gkeras.autograd.tape"})
_LAZY.update({name: "gkeras.ops.depthwise" for name in (
    "depthwise_conv2d", "separable_conv2d", "separable_conv1d")})
_LAZY.update({"conv3d_transpose": "gkeras.ops.conv_transpose"})
_LAZY.update({name: "gkeras.ops.resize" for name in (
    "resize_images", "resize_volumes", "repeat_elements", "temporal_padding",
    "spatial_2d_padding", "spatial_3d_padding")})
_RENAMED = {"binary_crossentropy": ("gkeras.losses", "binary_crossentropy_elementwise")}


def __getattr__(name):
    import importlib
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _RENAMED:
        module, attr = _RENAMED[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError("module 'gkeras.backend' has no attribute %r" % (name,))


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_RENAMED))


def _ops():
    from .. import ops
    return ops


def backend():
    """The backend's name: 'gkeras' (never 'tensorflow': there are no TF sessions here)."""
    return "gkeras"


def clear_session():
    """Resets auto-name counters, the learning phase and cached state."""
    _clear_session()


def learning_phase():
    """The value set by `set_learning_phase`, else a symbolic input for `K.function`."""
    value = _session.learning_phase_value()
    return _LEARNING_PHASE if value is None else value


def set_learning_phase(value):
    """Fixes the learning phase: 0 = test, 1 = train (affects Dropout, BatchNorm)."""
    _session.set_learning_phase_value(value)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable computing `outputs` from values for `inputs` (Keras's K.function)."""
    return _GraphFunction(inputs, outputs, updates=updates, name=name)


def variable(value, dtype=None, name=None, constraint=None):
    """A Variable holding `value` (floatx by default)."""
    value = numpy.asarray(unwrap(value) if not isinstance(value, Tensor) else value.numpy())
    if dtype is None and value.dtype.kind == "f":
        dtype = floatx()
    return Variable(_xp.asarray(value), name=name or "Variable:0", constraint=constraint,
                    dtype=dtype)


def constant(value, dtype=None, shape=None, name=None):
    """A constant Tensor, broadcast to `shape` if given."""
    value = numpy.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        value = numpy.broadcast_to(value, shape).copy()
    return Tensor(_xp.asarray(value))


def get_value(x):
    """The value of a Variable or Tensor as a numpy array."""
    if isinstance(x, Tensor):
        return _xp.asnumpy(x.data)
    return numpy.asarray(x)


def batch_get_value(tensors):
    """`get_value` of each element."""
    return [get_value(x) for x in tensors]


def set_value(x, value):
    """Assigns a numpy value to a Variable."""
    if not isinstance(x, Variable):
        raise TypeError("set_value expects a Variable (e.g. model.optimizer.lr), got %r" % (x,))
    x.assign(_xp.asarray(numpy.asarray(value)))


def batch_set_value(tuples):
    """`set_value` for each (variable, value) pair."""
    for x, value in tuples:
        set_value(x, value)


def int_shape(x):
    """The shape as a tuple of ints (None for unknown sizes)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        raise TypeError("int_shape expects a tensor or array, got %r" % (x,))
    return tuple(shape)


def ndim(x):
    """Number of axes."""
    return len(int_shape(x))


def dtype(x):
    """The dtype name, e.g. 'float32'."""
    return numpy.dtype(x.dtype).name


def count_params(x):
    """Number of scalars in `x`."""
    return int(numpy.prod(int_shape(x)))


def eval(x):  # noqa: A001 - Keras's K.eval
    """The value of a Tensor as a numpy array."""
    return get_value(x)


def is_keras_tensor(x):
    """True for symbolic tensors produced by Input or a layer."""
    return getattr(x, "_keras_history", None) is not None


def zeros(shape, dtype=None, name=None):
    """A Variable of zeros."""
    return variable(numpy.zeros(shape, dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None):
    """A Variable of ones."""
    return variable(numpy.ones(shape, dtype=dtype or floatx()), name=name)


def zeros_like(x, dtype=None, name=None):
    return Tensor(_xp.xp().zeros(x.shape, dtype=dtype or x.dtype))


def ones_like(x, dtype=None, name=None):
    return Tensor(_xp.xp().ones(x.shape, dtype=dtype or x.dtype))


def pow(x, a):  # noqa: A001 - Keras's K.pow
    """x ** a."""
    return _ops().power(x, a)


def transpose(x):
    """Reverses the axes (Keras's K.transpose)."""
    return _ops().transpose(x)


def permute_dimensions(x, pattern):
    """Permutes axes by `pattern`."""
    return _ops().transpose(x, pattern)


def flatten(x):
    """Reshapes to 1-D."""
    return _ops().reshape(x, (-1,))


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    x = as_tensor(x)
    return _ops().broadcast_to(_ops().expand_dims(x, 1), (x.shape[0], n, x.shape[1]))


def l2_normalize(x, axis=None):
    """x / sqrt(max(sum(x**2), 1e-12)) along `axis`."""
    norm2 = _ops().sum(_ops().square(x), axis=axis, keepdims=True)
    return x / _ops().sqrt(_ops().maximum(norm2, 1e-12))


def dropout(x, level, noise_shape=None, seed=None):
    """Drops a fraction `level` of x (always, as Keras's K.dropout)."""
    from . import random
    rng = random.generator(seed=seed) if seed is not None else None
    return _ops().dropout(x, level, noise_shape, rng)


def argmax(x, axis=-1):
    """Index of the maximum along `axis`."""
    return Tensor(unwrap(as_tensor(x)).argmax(axis=axis))


def argmin(x, axis=-1):
    """Index of the minimum along `axis`."""
    return Tensor(unwrap(as_tensor(x)).argmin(axis=axis))


def equal(x, y):
    return Tensor(unwrap(as_tensor(x)) == unwrap(y))


def not_equal(x, y):
    return Tensor(unwrap(as_tensor(x)) != unwrap(y))


def greater(x, y):
    return Tensor(unwrap(as_tensor(x)) > unwrap(y))


def greater_equal(x, y):
    return Tensor(unwrap(as_tensor(x)) >= unwrap(y))


def less(x, y):
    return Tensor(unwrap(as_tensor(x)) < unwrap(y))


def less_equal(x, y):
    return Tensor(unwrap(as_tensor(x)) <= unwrap(y))


def sign(x):
    return Tensor(_xp.xp().sign(unwrap(as_tensor(x))))


def round(x):  # noqa: A001 - Keras's K.round
    return Tensor(_xp.xp().round(unwrap(as_tensor(x))))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform samples as a Tensor."""
    from . import random
    u = random.uniform(shape, rng=random.generator(seed=seed) if seed is not None else None,
                       dtype=dtype or floatx())
    return Tensor(u * (maxval - minval) + minval)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples as a Tensor."""
    from . import random
    rng = random.generator(seed=seed) if seed is not None else random.generator()
    return Tensor(rng.standard_normal(size=shape, dtype=dtype or floatx()) * stddev + mean)


def shape(x):
    """The shape of `x` as a tuple (static in gkeras)."""
    return tuple(as_tensor(x).shape)
