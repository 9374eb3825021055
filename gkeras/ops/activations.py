"""Activation functions as differentiable ops, with Keras 2's definitions."""
import math as _pymath

import numpy

from ..autograd.function import Function
from . import _cpu_parallel as _par
from ._util import as_tensor
from .special import erfc_array

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = _pymath.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / _pymath.sqrt(2.0 * _pymath.pi)


class ReLU(Function):
    """Keras's relu, step by step as tf.keras computes it.

    The positive part is x where x > threshold (else 0), clipped to
    [0, max_value] when a cap is given; then alpha * (threshold - x) is
    subtracted where x < threshold. So relu(threshold) is 0, as in Keras.
    """

    def __init__(self, alpha=0.0, max_value=None, threshold=0.0):
        self.alpha, self.max_value, self.threshold = alpha, max_value, threshold
        self.plain = not alpha and max_value is None and not threshold

    def forward(self, xp, x):
        self.x = x
        if self.plain:  # the common case in one pass (the hot path of every conv net)
            if xp is numpy and x.ndim and x.dtype.kind == "f":
                y = numpy.empty(x.shape, dtype=x.dtype)
                _par.run(lambda lo, hi: numpy.maximum(x[lo:hi], 0, out=y[lo:hi]),
                         x.shape[0], 2 * x.nbytes // max(x.shape[0], 1))
                return y
            return xp.maximum(x, 0)
        y = xp.where(x > self.threshold, x, 0)
        if self.max_value is not None:
            y = xp.clip(y, 0, self.max_value)
        if self.alpha:
            y = y - self.alpha * xp.maximum(self.threshold - x, 0)
        return y.astype(x.dtype, copy=False)

    def backward(self, xp, gy):
        x = self.x
        if self.plain:
            if xp is numpy and gy.ndim and gy.shape == x.shape and gy.dtype.kind == "f":
                gx = numpy.empty(gy.shape, dtype=numpy.result_type(gy.dtype, bool))
                _par.run(lambda lo, hi: numpy.multiply(gy[lo:hi], numpy.greater(x[lo:hi], 0),
                                                       out=gx[lo:hi]),
                         gy.shape[0], 3 * gx.nbytes // max(gy.shape[0], 1))
                return gx
            return gy * (x > 0)
        d = x > self.threshold
        if self.max_value is not None:
            d = d & (x >= 0) & (x < self.max_value)
        d = d.astype(gy.dtype)
        if self.alpha:
            d = d + self.alpha * (x < self.threshold)
        return gy * d


class Sigmoid(Function):
    def forward(self, xp, x):
        # split by sign so exp never overflows
        e = xp.exp(-xp.abs(x))
        self.y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, xp, gy):
        return gy * self.y * (1 - self.y)


class Tanh(Function):
    def forward(self, xp, x):
        self.y = xp.tanh(x)
        return self.y

    def backward(self, xp, gy):
        return gy * (1 - self.y * self.y)


class Softmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, xp, x):
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, xp, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, xp, x):
        z = x - x.max(axis=self.axis, keepdims=True)
        self.y = z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, xp, gy):
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


class Softplus(Function):
    def forward(self, xp, x):
        self.x = x
        return xp.logaddexp(0, x).astype(x.dtype, copy=False)

    def backward(self, xp, gy):
        return gy * Sigmoid().forward(xp, self.x)


class Softsign(Function):
    def forward(self, xp, x):
        self.d = 1 + xp.abs(x)
        return x / self.d

    def backward(self, xp, gy):
        return gy / (self.d * self.d)


class ELU(Function):
    def __init__(self, alpha=1.0, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, xp, x):
        self.x = x
        neg = self.alpha * xp.expm1(xp.minimum(x, 0))
        self.neg = neg
        return (self.scale * xp.where(x > 0, x, neg)).astype(x.dtype, copy=False)

    def backward(self, xp, gy):
        d = xp.where(self.x > 0, 1.0, self.neg + self.alpha).astype(gy.dtype)
        return gy * (self.scale * d)


class HardSigmoid(Function):
    """clip(0.2 x + 0.5, 0, 1), Keras 2's definition."""

    def forward(self, xp, x):
        self.x = x
        return xp.clip(0.2 * x + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, xp, gy):
        return gy * (0.2 * (xp.abs(self.x) < 2.5))


class Swish(Function):
    def forward(self, xp, x):
        self.x = x
        self.s = Sigmoid().forward(xp, x)
        return x * self.s

    def backward(self, xp, gy):
        s = self.s
        return gy * (s + self.x * s * (1 - s))


class Gelu(Function):
    """Exact GELU: x * Phi(x) = 0.5 * x * erfc(-x / sqrt(2)).

    erfc keeps the relative accuracy for very negative x, where
    1 + erf(x / sqrt(2)) would cancel.
    """

    def forward(self, xp, x):
        self.x = x
        z = x.astype(xp.float64, copy=False) * -_SQRT_HALF  # in float64: no rounding here
        self.cdf = (0.5 * erfc_array(xp, z)).astype(x.dtype, copy=False)
        return x * self.cdf

    def backward(self, xp, gy):
        x = self.x
        pdf = xp.exp(-0.5 * x * x) * x.dtype.type(_INV_SQRT_2PI)
        return gy * (self.cdf + x * pdf)


class Mish(Function):
    """x * tanh(softplus(x))."""

    def forward(self, xp, x):
        self.x = x
        self.t = xp.tanh(xp.logaddexp(0, x)).astype(x.dtype, copy=False)
        return x * self.t

    def backward(self, xp, gy):
        t = self.t
        return gy * (t + self.x * (1 - t * t) * Sigmoid().forward(xp, self.x))


class GeluTanh(Function):
    """GELU with the tanh approximation (Keras's `gelu(approximate=True)`)."""

    c = _pymath.sqrt(2 / _pymath.pi)

    def forward(self, xp, x):
        self.x = x
        self.t = xp.tanh(self.c * (x + 0.044715 * x ** 3))
        return 0.5 * x * (1 + self.t)

    def backward(self, xp, gy):
        x, t = self.x, self.t
        dt = (1 - t * t) * self.c * (1 + 3 * 0.044715 * x * x)
        return gy * (0.5 * (1 + t) + 0.5 * x * dt)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's optional leak, cap and threshold."""
    return ReLU(alpha, max_value, threshold).apply(as_tensor(x))


def sigmoid(x):
    """1 / (1 + exp(-x)); the output remembers its logits for cross-entropy."""
    x = as_tensor(x)
    y = Sigmoid().apply(x)
    y._keras_logits = x
    return y


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh().apply(as_tensor(x))


def softmax(x, axis=-1):
    """Softmax along `axis`; the output remembers its logits for cross-entropy."""
    x = as_tensor(x)
    if x.ndim < 2 and axis == -1:
        raise ValueError("softmax expects a tensor of rank >= 2 (a batch), got shape %s"
                         % (x.shape,))
    y = Softmax(axis).apply(x)
    y._keras_logits = x
    return y


def log_softmax(x, axis=-1):
    """log(softmax(x)) computed stably."""
    return LogSoftmax(axis).apply(as_tensor(x))


def softplus(x):
    """log(1 + exp(x)) computed stably."""
    return Softplus().apply(as_tensor(x))


def softsign(x):
    """x / (1 + |x|)."""
    return Softsign().apply(as_tensor(x))


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return ELU(alpha).apply(as_tensor(x))


def selu(x):
    """Scaled ELU with the self-normalising constants."""
    return ELU(SELU_ALPHA, SELU_SCALE).apply(as_tensor(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return HardSigmoid().apply(as_tensor(x))


def swish(x):
    """x * sigmoid(x) (also called silu)."""
    return Swish().apply(as_tensor(x))


def gelu_tanh(x):
    """GELU, tanh approximation."""
    return GeluTanh().apply(as_tensor(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit: exact (erf) or with the tanh approximation."""
    return (GeluTanh() if approximate else Gelu()).apply(as_tensor(x))


def mish(x):
    """x * tanh(softplus(x))."""
    return Mish().apply(as_tensor(x))
