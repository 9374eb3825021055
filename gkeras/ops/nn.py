"""Neural-network ops: bias add (optionally fused with relu) and dropout."""
import numpy

from ..autograd.function import Function
from ..backend import random as _random
from . import _cpu_parallel as _par
from ._ref_numpy import channel_sums
from ._util import as_tensor, sum_to


class BiasAdd(Function):
    """x + b, with `b` broadcast along `axis` (the channel axis); then relu when `relu`.

    `relu=True` is Conv's and Dense's `relu(x + b)` as one op: the sum is written once
    and rectified in place, and only the output is kept for the gradient:
    gz = gy * (y > 0) (y > 0 exactly where x + b > 0), gb = sum(gz), gx = gz.
    On the CPU, large arrays are processed in batch blocks on every core
    (`_cpu_parallel`); the bias gradient then adds per-block partial sums in block order.
    """

    def __init__(self, axis=-1, relu=False):
        self.axis, self.relu = axis, relu

    def forward(self, xp, x, b):
        self.b_shape = b.shape
        axis = self.axis % x.ndim
        if axis != x.ndim - 1:
            shape = [1] * x.ndim
            shape[axis] = b.shape[0]
            b = b.reshape(shape)
        if xp is numpy and axis != 0 and x.dtype.kind == "f":
            y = numpy.empty(x.shape, dtype=numpy.result_type(x, b))

            def block(lo, hi):
                yb = y[lo:hi]
                numpy.add(x[lo:hi], b, out=yb)
                if self.relu:
                    numpy.maximum(yb, 0, out=yb)

            _par.run(block, x.shape[0], 2 * y.nbytes // max(x.shape[0], 1))
        else:
            y = x + b
            if self.relu:
                xp.maximum(y, 0, out=y)
        if self.relu:
            self.y = y
        return y

    def backward(self, xp, gy):
        axes = tuple(i for i in range(gy.ndim) if i != self.axis % gy.ndim)
        need_gb = self.needs_input_grad[1]
        if not self.relu:
            gb = gy.sum(axis=axes).reshape(self.b_shape) if need_gb else None
            return gy, gb
        y = self.y
        if xp is not numpy or self.axis % gy.ndim == 0 or gy.dtype.kind != "f":
            gz = gy * (y > 0)
            return gz, gz.sum(axis=axes).reshape(self.b_shape) if need_gb else None
        gz = numpy.empty(gy.shape, dtype=numpy.result_type(gy.dtype, bool))

        last = self.axis % gy.ndim == gy.ndim - 1

        def block(lo, hi):
            gzb = gz[lo:hi]
            numpy.multiply(gy[lo:hi], numpy.greater(y[lo:hi], 0), out=gzb)
            if not need_gb:
                return None
            return channel_sums(gzb) if last else gzb.sum(axis=axes)

        parts = _par.run(block, gy.shape[0], 3 * gz.nbytes // max(gy.shape[0], 1))
        gb = None
        if need_gb:
            gb = parts[0]
            for part in parts[1:]:
                gb = gb + part
            gb = gb.reshape(self.b_shape)
        return gz, gb


class Dropout(Function):
    """Multiplies by a Bernoulli(1 - rate) mask scaled by 1 / (1 - rate)."""

    def __init__(self, rate, noise_shape=None, rng=None):
        self.rate, self.noise_shape, self.rng = rate, noise_shape, rng

    def forward(self, xp, x):
        shape = x.shape if self.noise_shape is None else self.noise_shape
        scale = x.dtype.type(1.0 / (1.0 - self.rate))
        rng = self.rng or _random.generator(xp)
        if (xp is not numpy or tuple(shape) != x.shape or x.ndim == 0 or not x.size
                or x.dtype.kind != "f" or not _random.WordStream.supports(rng)):
            u = _random.uniform(shape, rng=rng, xp=xp)
            self.mask = (u >= self.rate).astype(x.dtype) * scale
            return x * self.mask
        # The CPU path draws the raw 32-bit numbers behind `uniform`'s float32 samples,
        # block by block on every thread (the draw was most of dropout's time), and
        # compares them as integers: the same keep mask as `uniform(shape) >= rate`.
        per_item = x.size // x.shape[0]
        stream = _random.WordStream(rng, (x.size + 1) // 2)
        threshold = _random.uniform_at_least(self.rate)
        self.mask = numpy.empty(x.shape, dtype=x.dtype)
        y = numpy.empty(x.shape, dtype=x.dtype)

        def block(lo, hi):
            mask = self.mask[lo:hi]
            if threshold is None:
                mask.fill(0)
            else:
                draws = stream.uint32(lo * per_item, hi * per_item).reshape(mask.shape)
                numpy.multiply(numpy.greater_equal(draws, threshold), scale, out=mask)
            numpy.multiply(x[lo:hi], mask, out=y[lo:hi])

        _par.run(block, x.shape[0], 4 * x.nbytes // max(x.shape[0], 1))
        return y

    def backward(self, xp, gy):
        if (xp is not numpy or gy.shape != self.mask.shape or gy.ndim == 0
                or gy.dtype.kind != "f"):
            return sum_to(xp, gy * self.mask, gy.shape)
        gx = numpy.empty(gy.shape, dtype=numpy.result_type(gy, self.mask))

        def block(lo, hi):
            numpy.multiply(gy[lo:hi], self.mask[lo:hi], out=gx[lo:hi])

        _par.run(block, gy.shape[0], 3 * gx.nbytes // max(gy.shape[0], 1))
        return gx


def bias_add(x, b, axis=-1):
    """Adds a per-channel bias."""
    return BiasAdd(axis).apply(as_tensor(x), as_tensor(b))


def bias_relu(x, b, axis=-1):
    """relu(x + b) as one op (the plain relu: no leak, cap or threshold).

    What Conv and Dense layers with `activation='relu'` compute: the same values and
    gradients as `relu(bias_add(x, b, axis))`, in fewer passes over memory.
    """
    return BiasAdd(axis, relu=True).apply(as_tensor(x), as_tensor(b))


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
