"""Tensor: an array from the active array module plus operator overloading.

Every value flowing through eager layer code is a Tensor, so arithmetic written
as `x * 2` or `K.sum(x)` inside a `Lambda` is recorded on an open tape just
like the built-in layers' ops. The array itself stays in `.data`.
"""
import numpy

from ..backend import xp as _xp


class Tensor:
    """A wrapper around one numpy/CuPy array that ops can record on a tape."""

    __slots__ = ("data", "_keras_logits", "__weakref__")
    __array_priority__ = 1000  # numpy scalars defer to our operators

    def __init__(self, data):
        self.data = data
        # set by softmax/sigmoid so cross-entropies can use the logits, as tf.keras does
        self._keras_logits = None

    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def __len__(self):
        return len(self.data)

    def numpy(self):
        """Returns the value as a host numpy array."""
        return _xp.asnumpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = _xp.asnumpy(self.data)
        return a if dtype is None else a.astype(dtype)

    def __repr__(self):
        return "<%s shape=%s dtype=%s>" % (type(self).__name__, self.shape, self.dtype)

    def __float__(self):
        return float(self.data)

    def __bool__(self):
        # numpy's rule: only one-element tensors have a truth value
        if self.data.size != 1:
            raise ValueError("The truth value of a Tensor with %d elements is ambiguous. Use "
                             "K.any / K.all, or compare a reduced value." % self.data.size)
        return bool(self.data)

    # Arithmetic: delegates to ops (imported lazily to avoid an import cycle).
    def __add__(self, other):
        return _math().add(self, other)

    def __radd__(self, other):
        return _math().add(other, self)

    def __sub__(self, other):
        return _math().subtract(self, other)

    def __rsub__(self, other):
        return _math().subtract(other, self)

    def __mul__(self, other):
        return _math().multiply(self, other)

    def __rmul__(self, other):
        return _math().multiply(other, self)

    def __truediv__(self, other):
        return _math().divide(self, other)

    def __rtruediv__(self, other):
        return _math().divide(other, self)

    def __pow__(self, other):
        return _math().power(self, other)

    def __rpow__(self, other):
        return _math().power(other, self)

    def __matmul__(self, other):
        return _math().matmul(self, other)

    def __rmatmul__(self, other):
        return _math().matmul(other, self)

    def __neg__(self):
        return _math().negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _math().abs(self)

    def __getitem__(self, key):
        from ..ops import array
        return array.getitem(self, key)

    # Comparisons produce plain (non-differentiable) boolean tensors.
    def __lt__(self, other):
        return Tensor(self.data < unwrap(other))

    def __le__(self, other):
        return Tensor(self.data <= unwrap(other))

    def __gt__(self, other):
        return Tensor(self.data > unwrap(other))

    def __ge__(self, other):
        return Tensor(self.data >= unwrap(other))

    __hash__ = object.__hash__


def _math():
    from ..ops import math
    return math


def unwrap(x):
    """The raw array behind a Tensor, or `x` itself for arrays and scalars."""
    return x.data if isinstance(x, Tensor) else x


def as_tensor(x, dtype=None):
    """Wraps arrays, lists and scalars as a Tensor on the active array module."""
    if isinstance(x, Tensor):
        return x
    xp = _xp.xp()
    # Python floats and lists become floatx; numpy scalars (np.float64 is a float
    # subclass) keep their own dtype, as tf.convert_to_tensor does
    if (dtype is None and isinstance(x, (float, list, tuple))
            and not isinstance(x, numpy.generic) and not _is_int_like(x)):
        dtype = _floatx()
    return Tensor(xp.asarray(x, dtype=dtype))


def _is_int_like(x):
    return numpy.asarray(x).dtype.kind in "iub"


def _floatx():
    from ..backend import config
    return config.floatx()
