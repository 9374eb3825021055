"""Elementwise arithmetic and matrix products, with broadcasting gradients."""
import numpy

from ..autograd.function import Function
from . import _cpu_parallel
from ._util import as_tensor, coerce_pair, sum_to


class _Binary(Function):
    """Base for broadcasting binary ops; subclasses give the local derivatives."""

    def forward(self, xp, a, b):
        self.a, self.b = a, b
        return self._f(xp, a, b)

    def backward(self, xp, gy):
        ga, gb = self._grads(xp, gy)
        need_a, need_b = self.needs_input_grad
        ga = sum_to(xp, ga, self.a.shape) if need_a and ga is not None else None
        gb = sum_to(xp, gb, self.b.shape) if need_b and gb is not None else None
        return ga, gb


class Add(_Binary):
    def _f(self, xp, a, b):
        return a + b

    def _grads(self, xp, gy):
        return gy, gy


class Subtract(_Binary):
    def _f(self, xp, a, b):
        return a - b

    def _grads(self, xp, gy):
        return gy, -gy


class Multiply(_Binary):
    def _f(self, xp, a, b):
        return a * b

    def _grads(self, xp, gy):
        ga = gy * self.b if self.needs_input_grad[0] else None
        gb = gy * self.a if self.needs_input_grad[1] else None
        return ga, gb


class Divide(_Binary):
    def _f(self, xp, a, b):
        return a / b

    def _grads(self, xp, gy):
        ga = gy / self.b
        gb = -ga * self.a / self.b if self.needs_input_grad[1] else None
        return ga, gb


class Power(_Binary):
    def _f(self, xp, a, b):
        self.y = a ** b
        return self.y

    def _grads(self, xp, gy):
        a, b = self.a, self.b
        ga = gy * b * a ** (b - 1) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            safe = xp.where(a > 0, a, 1)
            gb = gy * self.y * xp.log(safe)
        return ga, gb


class Maximum(_Binary):
    def _f(self, xp, a, b):
        return xp.maximum(a, b)

    def _grads(self, xp, gy):
        mask = self.a >= self.b  # ties go to the first operand, as TensorFlow does
        return gy * mask, gy * ~mask


class Minimum(_Binary):
    def _f(self, xp, a, b):
        return xp.minimum(a, b)

    def _grads(self, xp, gy):
        mask = self.a <= self.b
        return gy * mask, gy * ~mask


def add(a, b):
    """a + b with broadcasting."""
    return Add().apply(*coerce_pair(a, b))


def subtract(a, b):
    """a - b with broadcasting."""
    return Subtract().apply(*coerce_pair(a, b))


def multiply(a, b):
    """a * b with broadcasting."""
    return Multiply().apply(*coerce_pair(a, b))


def divide(a, b):
    """a / b with broadcasting."""
    return Divide().apply(*coerce_pair(a, b))


def power(a, b):
    """a ** b with broadcasting."""
    return Power().apply(*coerce_pair(a, b))


def maximum(a, b):
    """Elementwise maximum."""
    return Maximum().apply(*coerce_pair(a, b))


def minimum(a, b):
    """Elementwise minimum."""
    return Minimum().apply(*coerce_pair(a, b))


class _Unary(Function):
    """Base for elementwise unary ops: `_f` computes, `_d` gives dy/dx."""

    def forward(self, xp, x):
        self.x = x
        self.y = self._f(xp, x)
        return self.y

    def backward(self, xp, gy):
        return gy * self._d(xp, self.x, self.y)


class Negative(_Unary):
    def _f(self, xp, x):
        return -x

    def backward(self, xp, gy):
        return -gy


class Abs(_Unary):
    def _f(self, xp, x):
        return xp.abs(x)

    def _d(self, xp, x, y):
        return xp.sign(x)


class Square(_Unary):
    def _f(self, xp, x):
        return x * x

    def _d(self, xp, x, y):
        return 2 * x


class Sqrt(_Unary):
    def _f(self, xp, x):
        return xp.sqrt(x)

    def _d(self, xp, x, y):
        return 0.5 / y


class Exp(_Unary):
    def _f(self, xp, x):
        return xp.exp(x)

    def _d(self, xp, x, y):
        return y


class Log(_Unary):
    def _f(self, xp, x):
        return xp.log(x)

    def _d(self, xp, x, y):
        return 1 / x


class Log1p(_Unary):
    def _f(self, xp, x):
        return xp.log1p(x)

    def _d(self, xp, x, y):
        return 1 / (1 + x)


class Clip(_Unary):
    """Clips to [lo, hi]; the gradient passes only where the input was inside."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def _f(self, xp, x):
        return xp.clip(x, self.lo, self.hi)

    def _d(self, xp, x, y):
        return (x >= self.lo) & (x <= self.hi)


def negative(x):
    """-x."""
    return Negative().apply(as_tensor(x))


def abs(x):  # noqa: A001 - Keras's K.abs
    """|x|."""
    return Abs().apply(as_tensor(x))


def square(x):
    """x ** 2."""
    return Square().apply(as_tensor(x))


def sqrt(x):
    """Square root."""
    return Sqrt().apply(as_tensor(x))


def exp(x):
    """e ** x."""
    return Exp().apply(as_tensor(x))


def log(x):
    """Natural logarithm."""
    return Log().apply(as_tensor(x))


def log1p(x):
    """log(1 + x), accurate near 0."""
    return Log1p().apply(as_tensor(x))


def clip(x, lo, hi):
    """Clips values to [lo, hi]."""
    return Clip(lo, hi).apply(as_tensor(x))


def _mm(xp, a, b):
    """a @ b; 2-D products on the CPU are split over the cores (`_cpu_parallel.matmul`)."""
    if xp is numpy and a.ndim == 2 and b.ndim == 2:
        return _cpu_parallel.matmul(a, b)
    return xp.matmul(a, b)


class MatMul(Function):
    """Matrix product with numpy broadcasting over leading (batch) axes."""

    def forward(self, xp, a, b):
        self.a, self.b = a, b
        return _mm(xp, a, b)

    def backward(self, xp, gy):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _mm(xp, gy, b.T) if b.ndim == 2 else xp.matmul(gy, xp.swapaxes(b, -1, -2))
            ga = sum_to(xp, ga, a.shape)
        if self.needs_input_grad[1]:
            gb = _mm(xp, a.T, gy) if a.ndim == 2 else xp.matmul(xp.swapaxes(a, -1, -2), gy)
            gb = sum_to(xp, gb, b.shape)
        return ga, gb


def matmul(a, b):
    """Matrix product (numpy `matmul` semantics, both operands at least 2-D)."""
    a, b = coerce_pair(a, b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError("matmul needs operands of rank >= 2, got shapes %s and %s"
                         % (a.shape, b.shape))
    return MatMul().apply(a, b)


def dot(x, w):
    """Keras's K.dot: contracts the last axis of `x` with the second-to-last of `w`.

    Two 2-D operands are a plain matrix product. Otherwise (as tf.keras does)
    `x` is folded to (-1, x.shape[-1]) and `w` to (w.shape[-2], -1) with that
    axis moved first, so a single GEMM does the work; the result has shape
    x.shape[:-1] + w.shape[:-2] + w.shape[-1:].
    """
    from . import array
    x, w = coerce_pair(x, w)
    if x.ndim <= 2 and w.ndim <= 2:
        return matmul(x, w)
    if w.ndim < 2:
        raise ValueError("dot needs a second operand of rank >= 2, got shapes %s and %s"
                         % (x.shape, w.shape))
    x2 = array.reshape(x, (-1, x.shape[-1]))  # (N, m)
    if w.ndim == 2:
        w2 = w
    else:
        perm = [w.ndim - 2] + [i for i in range(w.ndim) if i != w.ndim - 2]
        w2 = array.reshape(array.transpose(w, perm), (w.shape[-2], -1))  # (m, K)
    y = MatMul().apply(x2, w2)
    return array.reshape(y, x.shape[:-1] + w.shape[:-2] + w.shape[-1:])
