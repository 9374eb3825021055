"""Finite-difference gradient checks in float64 for ops and layers.

Small inputs are checked element by element with central differences; large
ones along a few random directions (a directional derivative against the
analytic gradient's projection), as Chainer's `check_backward` does.
"""
import numpy

from ..backend import xp as _xp
from .tape import Tape
from .tensor import Tensor
from .variable import Variable

_ELEMENTWISE_LIMIT = 2000


def numerical_gradient(f, arrays, eps=1e-6, seed=0, directions=3):
    """Central-difference gradient of scalar `f(*arrays)`.

    Returns a list with, per array, either the full gradient (small arrays) or
    a list of (direction, directional derivative) pairs (large arrays).
    """
    rng = numpy.random.RandomState(seed)
    out = []
    for a in arrays:
        if a.size <= _ELEMENTWISE_LIMIT:
            g = numpy.zeros_like(a)
            for idx in numpy.ndindex(*a.shape):
                old = a[idx]
                a[idx] = old + eps
                fp = f(*arrays)
                a[idx] = old - eps
                fm = f(*arrays)
                a[idx] = old
                g[idx] = (fp - fm) / (2 * eps)
            out.append(g)
        else:
            pairs = []
            for _ in range(directions):
                d = rng.standard_normal(a.shape)
                d /= numpy.linalg.norm(d)
                orig = a.copy()
                a += eps * d
                fp = f(*arrays)
                a[...] = orig - eps * d
                fm = f(*arrays)
                a[...] = orig
                pairs.append((d, (fp - fm) / (2 * eps)))
            out.append(pairs)
    return out


def check_gradients(fn, inputs, atol=1e-6, rtol=1e-5, eps=1e-6, seed=0):
    """Asserts the tape's gradients of `fn` match finite differences.

    Args:
        fn: callable taking Tensors and returning a Tensor (any shape). The
            scalar checked is sum(fn(*inputs) * r) for a fixed random r, so every
            output element matters.
        inputs: float64 numpy arrays; each is differentiated.
        atol, rtol: tolerances for `numpy.allclose`-style comparison.

    Raises:
        AssertionError: naming the input, the worst index and both values.
    """
    arrays = [numpy.array(a, dtype=numpy.float64) for a in inputs]
    xp = _xp.xp()
    rng = numpy.random.RandomState(seed + 1)
    probe = fn(*[Tensor(xp.asarray(a)) for a in arrays])
    weights = rng.standard_normal(probe.shape)

    def scalar(*arrs):
        y = fn(*[Tensor(xp.asarray(a)) for a in arrs])
        return float(numpy.sum(_xp.asnumpy(y.data) * weights))

    variables = [Variable(xp.asarray(a)) for a in arrays]
    with Tape() as tape:
        y = fn(*variables)
    seed_grad = xp.asarray(weights, dtype=y.data.dtype).reshape(y.data.shape)
    analytic = [_xp.asnumpy(g) for g in tape.gradient(y, variables, seed_grad,
                                                       unconnected_gradients="zero")]
    numeric = numerical_gradient(scalar, arrays, eps=eps, seed=seed)
    for i, (ga, gn) in enumerate(zip(analytic, numeric)):
        if ga.shape != arrays[i].shape:
            raise AssertionError("input %d: gradient shape %s, expected %s"
                                 % (i, ga.shape, arrays[i].shape))
        if isinstance(gn, list):
            for d, value in gn:
                projected = float(numpy.sum(ga * d))
                if abs(projected - value) > atol + rtol * abs(value):
                    raise AssertionError(
                        "input %d: directional derivative %.10g (tape) vs %.10g "
                        "(finite differences)" % (i, projected, value))
            continue
        err = numpy.abs(ga - gn) - (atol + rtol * numpy.abs(gn))
        if err.size and err.max() > 0:
            worst = tuple(int(i) for i in numpy.unravel_index(numpy.argmax(err), err.shape))
            raise AssertionError(
                "input %d: gradient mismatch at index %s: tape %.10g vs finite "
                "differences %.10g" % (i, worst, ga[worst], gn[worst]))
