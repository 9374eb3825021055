"""Weight regularizers (l1, l2, l1_l2): penalties added to the training loss."""
import math

import numpy

from . import ops
from .autograd.tensor import as_tensor
from .backend import xp as _xp
from .backend import config
from .utils.generic_utils import deserialize_keras_object, get_object, serialize_keras_object


class Regularizer:
    """Base class: `__call__(weight)` returns a scalar Tensor penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _penalty(value):
    """A penalty factor as Keras keeps it: cast to floatx (0.01 -> 0.009999999776...).

    Raises:
        ValueError: for a value that is not a finite number, as tf.keras.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, numpy.number)) or \
            not math.isfinite(float(value)):
        raise ValueError("Value %r is not a valid regularization penalty number, expected an "
                         "int or a float value." % (value,))
    return float(numpy.asarray(value, dtype=config.floatx()))


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _penalty(l1), _penalty(l2)

    def __call__(self, x):
        x = as_tensor(x)
        penalty = None
        if self.l1:
            penalty = ops.multiply(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            term = ops.multiply(ops.sum(ops.square(x)), self.l2)
            penalty = term if penalty is None else ops.add(penalty, term)
        if penalty is None:  # a scalar zero of x's dtype, as tf.keras's
            penalty = as_tensor(_xp.get_array_module(x.data).zeros((), dtype=x.dtype))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop("l", l1)  # tf.keras's backwards-compatible spelling
        if kwargs:
            raise TypeError("L1: unexpected keyword argument(s) %s" % sorted(kwargs))
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(x ** 2)."""

    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop("l", l2)  # tf.keras's backwards-compatible spelling
        if kwargs:
            raise TypeError("L2: unexpected keyword argument(s) %s" % sorted(kwargs))
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    """An L1L2 regularizer with both penalties (Keras's defaults 0.01)."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2


def serialize(regularizer):
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    if config == "l1_l2":
        # as tf.keras: the name means L1L2(0.01, 0.01), not the factory function itself
        return L1L2(l1=0.01, l2=0.01)
    return deserialize_keras_object(config, module_objects=globals(),
                                    custom_objects=custom_objects,
                                    printable_module_name="regularizer")


def get(identifier):
    """A regularizer from None, a name, a config dict, a class or a callable."""
    return get_object(identifier, deserialize, "regularizer")
