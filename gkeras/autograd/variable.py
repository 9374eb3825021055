"""Variable: a named, mutable Tensor holding a weight or optimizer slot."""
from ..backend import xp as _xp
from .tensor import Tensor


class Variable(Tensor):
    """A Tensor whose value persists across steps (layer weights, optimizer state).

    Args:
        value: initial array (copied onto the active array module).
        name: Keras-style name such as 'dense_1/kernel:0'.
        trainable: whether optimizers update it (read at `compile`).
        constraint: callable applied to the value after each optimizer update.
        dtype: dtype to store; defaults to the value's own.
    """

    __slots__ = ("name", "trainable", "constraint")

    def __init__(self, value, name=None, trainable=True, constraint=None, dtype=None):
        xp = _xp.xp()
        value = value.data if isinstance(value, Tensor) else value
        super().__init__(xp.array(value, dtype=dtype, copy=True))
        self.name = name or "Variable:0"
        self.trainable = trainable
        self.constraint = constraint

    def assign(self, value):
        """Replaces the value, checking the shape is unchanged."""
        xp = _xp.xp()
        value = value.data if isinstance(value, Tensor) else value
        value = xp.array(value, dtype=self.data.dtype, copy=True)  # updates run in place
        if value.shape != self.data.shape:
            raise ValueError(
                "Cannot assign a value of shape %s to variable %r of shape %s."
                % (tuple(value.shape), self.name, tuple(self.data.shape)))
        self.data = value

    def numpy(self):
        return _xp.asnumpy(self.data).copy()

    def __repr__(self):
        return "<Variable %r shape=%s dtype=%s>" % (self.name, self.shape, self.dtype)
