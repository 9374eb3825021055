"""Neural-network ops: bias add and dropout."""
from ..autograd.function import Function
from ..backend import random as _random
from ._util import as_tensor, sum_to


class BiasAdd(Function):
    """x + b, with `b` broadcast along `axis` (the channel axis)."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, xp, x, b):
        self.b_shape = b.shape
        if self.axis in (-1, x.ndim - 1):
            return x + b
        shape = [1] * x.ndim
        shape[self.axis] = b.shape[0]
        self.view = tuple(shape)
        return x + b.reshape(shape)

    def backward(self, xp, gy):
        gb = None
        if self.needs_input_grad[1]:
            axes = tuple(i for i in range(gy.ndim) if i != self.axis % gy.ndim)
            gb = gy.sum(axis=axes).reshape(self.b_shape)
        return gy, gb


class Dropout(Function):
    """Multiplies by a Bernoulli(1 - rate) mask scaled by 1 / (1 - rate)."""

    def __init__(self, rate, noise_shape=None, rng=None):
        self.rate, self.noise_shape, self.rng = rate, noise_shape, rng

    def forward(self, xp, x):
        shape = x.shape if self.noise_shape is None else self.noise_shape
        keep = _random.uniform(shape, rng=self.rng, xp=xp) >= self.rate
        self.mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, xp, gy):
        return sum_to(xp, gy * self.mask, gy.shape)


def bias_add(x, b, axis=-1):
    """Adds a per-channel bias."""
    return BiasAdd(axis).apply(as_tensor(x), as_tensor(b))


def dropout(x, rate, noise_shape=None, rng=None):
    """Randomly zeroes a fraction `rate` of x, scaling the rest to keep the mean.

    Args:
        rng: a Generator of the active array module (a seeded layer's own);
            None uses the shared generator.
    """
    if not 0 <= rate < 1:
        raise ValueError("dropout rate must be in [0, 1), got %r" % (rate,))
    x = as_tensor(x)
    if rate == 0:
        return x
    if noise_shape is not None:
        noise_shape = tuple(x.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    return Dropout(rate, noise_shape, rng).apply(x)
