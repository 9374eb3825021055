"""Reductions over axes: sum, mean, max, min, prod, logsumexp, variance."""
from ..autograd.function import Function
from ._util import as_tensor, expand_reduced, normalize_axis


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp, x):
        self.shape = x.shape
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp, gy):
        g = expand_reduced(gy, self.shape, self.axis, self.keepdims)
        return xp.broadcast_to(g, self.shape)


class Mean(Sum):
    def forward(self, xp, x):
        self.shape = x.shape
        return xp.mean(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp, gy):
        count = _count(self.shape, self.axis)
        return super().backward(xp, gy / count)


class _Extreme(Function):
    """Max/min; the gradient is shared equally among tied extremes (as TF does)."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp, x):
        self.x = x
        self.y = self._reduce(xp, x, axis=self.axis, keepdims=True)
        return self.y if self.keepdims else self._reduce(
            xp, x, axis=self.axis, keepdims=False)

    def backward(self, xp, gy):
        g = expand_reduced(gy, self.x.shape, self.axis, self.keepdims)
        mask = self.x == self.y
        ties = mask.sum(axis=self.axis, keepdims=True)
        return g * mask / ties


class Max(_Extreme):
    @staticmethod
    def _reduce(xp, x, **kw):
        return xp.max(x, **kw)


class Min(_Extreme):
    @staticmethod
    def _reduce(xp, x, **kw):
        return xp.min(x, **kw)


class Prod(Sum):
    def forward(self, xp, x):
        self.x = x
        self.y = xp.prod(x, axis=self.axis, keepdims=True)
        return self.y if self.keepdims else xp.prod(x, axis=self.axis)

    def backward(self, xp, gy):
        g = expand_reduced(gy, self.x.shape, self.axis, self.keepdims)
        # product of the other elements; exact also when some element is zero
        others = _prod_of_others(xp, self.x, self.axis)
        return g * others


def _prod_of_others(xp, x, axis):
    axes = range(x.ndim) if axis is None else axis
    flat = xp.moveaxis(x, tuple(axes), tuple(range(len(tuple(axes)))))
    lead = flat.shape[:len(tuple(axes))]
    flat = flat.reshape((-1,) + flat.shape[len(lead):])
    left = xp.cumprod(xp.concatenate([xp.ones_like(flat[:1]), flat[:-1]]), axis=0)
    right = xp.cumprod(xp.concatenate([xp.ones_like(flat[:1]), flat[::-1][:-1]]), axis=0)[::-1]
    out = (left * right).reshape(lead + flat.shape[1:])
    return xp.moveaxis(out, tuple(range(len(lead))), tuple(axes))


class LogSumExp(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, xp, x):
        m = xp.max(x, axis=self.axis, keepdims=True)
        self.x = x
        self.y = m + xp.log(xp.sum(xp.exp(x - m), axis=self.axis, keepdims=True))
        return self.y if self.keepdims else self.y.reshape(
            xp.sum(x, axis=self.axis).shape)

    def backward(self, xp, gy):
        g = expand_reduced(gy, self.x.shape, self.axis, self.keepdims)
        return g * xp.exp(self.x - self.y)


def _count(shape, axis):
    n = 1
    for a in (range(len(shape)) if axis is None else axis):
        n *= shape[a]
    return n


def _reduction(cls, x, axis, keepdims):
    x = as_tensor(x)
    return cls(normalize_axis(axis, x.ndim), keepdims).apply(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's K.sum
    """Sum over `axis` (None: all axes)."""
    return _reduction(Sum, x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (None: all axes)."""
    return _reduction(Mean, x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - Keras's K.max
    """Maximum over `axis`."""
    return _reduction(Max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - Keras's K.min
    """Minimum over `axis`."""
    return _reduction(Min, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    """Product over `axis`."""
    return _reduction(Prod, x, axis, keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed stably."""
    return _reduction(LogSumExp, x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    """Biased variance over `axis` (as K.var)."""
    from . import math
    m = mean(x, axis=axis, keepdims=True)
    return mean(math.square(math.subtract(x, m)), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation over `axis` (as K.std)."""
    from . import math
    return math.sqrt(var(x, axis=axis, keepdims=keepdims))
