"""gkeras.ops.reduction: every reduction over every kind of axis, values and gradients."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as gk_xp


def _distinct(shape, seed=0):
    """Values spaced >= 0.1 apart (no ties within finite-difference reach), none near 0."""
    n = int(np.prod(shape))
    values = (np.arange(n) - n / 2.0 + 0.5) * 0.1
    values[values == 0] = 0.05
    return np.random.default_rng(seed).permutation(values).reshape(shape)


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    y = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return y if keepdims else np.squeeze(y, axis=axis)


REDUCTIONS = [
    ("sum", ops.sum, np.sum),
    ("mean", ops.mean, np.mean),
    ("max", ops.max, np.max),
    ("min", ops.min, np.min),
    ("prod", ops.prod, np.prod),
    ("logsumexp", ops.logsumexp, _np_logsumexp),
    ("var", ops.var, np.var),
    ("std", ops.std, np.std),
]

AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("name,op,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=[str(a) for a in AXES])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_forward_and_gradient(name, op, ref, axis, keepdims):
    x = _distinct((2, 3, 4), seed=1)
    if name == "prod":
        x = 1.0 + np.abs(x) * 0.5  # moderate magnitudes, away from 0
    y = op(as_tensor(x), axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-13, atol=1e-15)
    check_gradients(lambda t: op(t, axis=axis, keepdims=keepdims), [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name,op,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_keeps_float32(name, op, ref):
    x = (1.0 + np.abs(_distinct((2, 3), seed=2))).astype(np.float32)
    y = op(as_tensor(x), axis=-1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ref(x.astype(np.float64), axis=-1), rtol=1e-6)


@pytest.mark.parametrize("op", [ops.sum, ops.mean, ops.max, ops.prod])
def test_reduction_of_a_vector_to_a_scalar(op):
    x = np.array([0.5, 2.0, 1.5])
    check_gradients(op, [x])
    assert op(as_tensor(x)).shape == ()


def _grad(op, x, **kw):
    v = Variable(x)
    with Tape() as tape:
        y = op(v, **kw)
    return gk_xp.asnumpy(tape.gradient(y, [v])[0])


@pytest.mark.parametrize("op", [ops.max, ops.min])
def test_extreme_ties_share_the_gradient_equally(op):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    if op is ops.min:
        x = -x
    np.testing.assert_allclose(_grad(op, x, axis=1), [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    np.testing.assert_allclose(_grad(op, x, axis=0), [[0, 1, 1], [1, 0, 0]])
    np.testing.assert_allclose(_grad(op, x), [[0, 0.5, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(_grad(op, x, axis=1, keepdims=True),
                               [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    ones = np.ones((2, 2))
    np.testing.assert_allclose(_grad(op, ones), np.full((2, 2), 0.25))


def test_prod_gradient_with_zeros_is_exact():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 4.0, 2.0]])
    np.testing.assert_allclose(_grad(ops.prod, x, axis=1),
                               [[0, 6, 0], [0, 0, 0], [8, 2, 4]])
    np.testing.assert_allclose(_grad(ops.prod, np.array([2.0, 0.0, 3.0])), [0, 6, 0])


def test_logsumexp_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    np.testing.assert_allclose(ops.logsumexp(as_tensor(x), axis=1).numpy(),
                               [1000 + np.log(2), -1000 + np.log(2)])
    np.testing.assert_allclose(_grad(ops.logsumexp, x, axis=1), np.full((2, 2), 0.5))


def test_mean_divides_by_the_reduced_count():
    x = np.ones((2, 3, 4))
    np.testing.assert_allclose(_grad(ops.mean, x, axis=(0, 2)), np.full((2, 3, 4), 1 / 8))


@pytest.mark.parametrize("axis", [3, -4, (0, 3)])
def test_axis_out_of_range_raises(axis):
    with pytest.raises(ValueError, match="out of range"):
        ops.sum(as_tensor(np.ones((2, 3, 4))), axis=axis)
