"""gkeras.ops.nn: bias_add and dropout."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import random as gk_random
from gkeras.backend import xp as gk_xp


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("shape,axis", [((4, 3), -1), ((2, 3, 4), -1), ((2, 3, 4), 2),
                                        ((2, 3, 4, 5), 1), ((2, 3, 4), 1), ((3, 2), 0)])
def test_bias_add(shape, axis):
    x, b = _x(shape), _x((shape[axis],), seed=1)
    view = [1] * len(shape)
    view[axis] = shape[axis]
    y = ops.bias_add(as_tensor(x), as_tensor(b), axis=axis)
    np.testing.assert_allclose(y.numpy(), x + b.reshape(view), rtol=1e-15)
    check_gradients(lambda t, c: ops.bias_add(t, c, axis=axis), [x, b])


def _expected_mask(shape, rate, seed):
    rng = gk_random.generator(seed=seed)
    keep = gk_xp.asnumpy(rng.random(size=shape, dtype="float32")) >= rate
    return keep / (1.0 - rate)


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.8])
def test_dropout_value_and_gradient_are_the_scaled_mask(rate):
    x = _x((6, 5)) + 3.0
    mask = _expected_mask((6, 5), rate, seed=7)
    y = ops.dropout(as_tensor(x), rate, rng=gk_random.generator(seed=7))
    np.testing.assert_allclose(y.numpy(), x * mask, rtol=1e-15)
    v = Variable(x)
    with Tape() as tape:
        y = ops.dropout(v, rate, rng=gk_random.generator(seed=7))
    (g,) = tape.gradient(y, [v])
    np.testing.assert_allclose(gk_xp.asnumpy(g), mask, rtol=1e-15)
    # a fresh generator with the same seed per call makes the op deterministic
    check_gradients(lambda t: ops.dropout(t, rate, rng=gk_random.generator(seed=7)), [x])


def test_dropout_noise_shape_broadcasts_one_mask():
    x = _x((4, 3, 5))
    mask = _expected_mask((4, 1, 5), 0.5, seed=3)
    y = ops.dropout(as_tensor(x), 0.5, noise_shape=(None, 1, None), rng=gk_random.generator(seed=3))
    np.testing.assert_allclose(y.numpy(), x * mask, rtol=1e-15)
    check_gradients(lambda t: ops.dropout(t, 0.5, noise_shape=(4, 1, 5),
                                          rng=gk_random.generator(seed=3)), [x])


def test_dropout_keeps_float32_and_the_expected_fraction():
    x = as_tensor(np.ones((200, 100), np.float32))
    y = ops.dropout(x, 0.3, rng=gk_random.generator(seed=0)).numpy()
    assert y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.02


def test_dropout_rate_zero_is_identity_and_bad_rates_raise():
    x = as_tensor(_x((2, 3)))
    assert ops.dropout(x, 0.0) is x
    for rate in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="rate"):
            ops.dropout(x, rate)


@pytest.mark.parametrize("shape,axis", [((4, 3), -1), ((2, 3, 4), 1), ((2, 3, 4, 5), 1),
                                        ((2, 3, 4, 5), -1), ((3, 2), 0)])
def test_bias_relu_is_relu_of_bias_add(shape, axis):
    x, b = _x(shape), _x((shape[axis],), seed=1)
    x.flat[::5] = 0.0
    b[0] = 0.0  # x + b == 0 somewhere: relu's gradient there is 0, as in Keras
    view = [1] * len(shape)
    view[axis] = shape[axis]
    y = ops.bias_relu(as_tensor(x), as_tensor(b), axis=axis)
    np.testing.assert_array_equal(y.numpy(), np.maximum(x + b.reshape(view), 0))
    # float64 finite differences, away from the kink
    xs = _x(shape, seed=2)
    xs += np.sign(xs + b.reshape(view)) * 0.1
    check_gradients(lambda t, c: ops.bias_relu(t, c, axis=axis), [xs, b])
    # the same gradients as the unfused ops, bit for bit
    for fused in (True, False):
        xv, bv = Variable(x), Variable(b)
        with Tape() as tape:
            out = (ops.bias_relu(xv, bv, axis=axis) if fused
                   else ops.relu(ops.bias_add(xv, bv, axis=axis)))
        gy = np.random.default_rng(3).standard_normal(out.shape)
        grads = [gk_xp.asnumpy(g) for g in tape.gradient(out, [xv, bv], output_gradient=gy)]
        if fused:
            fused_grads = grads
    np.testing.assert_array_equal(fused_grads[0], grads[0])
    np.testing.assert_allclose(fused_grads[1], grads[1], rtol=1e-12, atol=1e-12)


def test_bias_relu_keeps_float32_and_nan():
    x = np.array([[-1.0, 0.0, 2.0, np.nan]], np.float32)
    b = np.zeros(4, np.float32)
    y = ops.bias_relu(as_tensor(x), as_tensor(b)).numpy()
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[0.0, 0.0, 2.0, np.nan]])


@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 3, 0), (5, 7, 3), (1, 1, 1), (33, 2, 64),
                                   (3, 1500)])
def test_channel_sums_are_sums_over_the_leading_axes(shape):
    from gkeras.ops._ref_numpy import channel_sums
    a = _x(shape)
    np.testing.assert_allclose(channel_sums(a), a.sum(axis=tuple(range(a.ndim - 1))),
                               rtol=1e-12, atol=1e-12)
