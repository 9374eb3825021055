"""gkeras.ops.activations: forward against numpy formulas, gradients by finite differences."""
import math

import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.ops import activations as act
from gkeras.backend import xp as gk_xp

# No value within 0.1 of a kink: 0, 1 (threshold), 6 (cap), +-2.5 (hard_sigmoid).
X = np.array([[-7.3, -3.1, -2.2, -0.7, -0.3, 0.2],
              [0.4, 0.8, 1.3, 2.6, 5.5, 6.7]])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _gelu(x):
    return np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x.ravel()]).reshape(x.shape)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


ELEMENTWISE = [
    ("relu", ops.relu, lambda x: np.maximum(x, 0)),
    ("relu_alpha", lambda t: ops.relu(t, alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("relu_max6", lambda t: ops.relu(t, max_value=6.0), lambda x: np.clip(x, 0, 6)),
    ("relu_thr1", lambda t: ops.relu(t, threshold=1.0), lambda x: np.where(x > 1, x, 0)),
    ("relu_all", lambda t: ops.relu(t, alpha=0.1, max_value=6.0, threshold=1.0),
     lambda x: np.where(x > 1, np.minimum(x, 6), 0.1 * (x - 1))),
    ("sigmoid", ops.sigmoid, _sigmoid),
    ("tanh", ops.tanh, np.tanh),
    ("softplus", ops.softplus, _softplus),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x))),
    ("elu", ops.elu, _elu),
    ("elu_alpha", lambda t: ops.elu(t, alpha=0.5), lambda x: _elu(x, 0.5)),
    ("selu", ops.selu, lambda x: act.SELU_SCALE * _elu(x, act.SELU_ALPHA)),
    ("hard_sigmoid", ops.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("swish", ops.swish, lambda x: x * _sigmoid(x)),
    ("gelu", ops.gelu, _gelu),
    ("gelu_tanh", ops.gelu_tanh, _gelu_tanh),
    ("gelu_approximate", lambda t: ops.gelu(t, approximate=True), _gelu_tanh),
    ("mish", ops.mish, lambda x: x * np.tanh(_softplus(x))),
]


@pytest.mark.parametrize("name,op,ref", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_forward_and_gradient(name, op, ref):
    np.testing.assert_allclose(op(as_tensor(X)).numpy(), ref(X), rtol=1e-13, atol=1e-15)
    check_gradients(op, [X], atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("name,op,ref", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_keeps_float32(name, op, ref):
    y = op(as_tensor(X.astype(np.float32)))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ref(X.astype(np.float32).astype(np.float64)),
                               rtol=2e-6, atol=1e-7)


def test_relu_at_the_threshold_and_cap_matches_keras():
    x = as_tensor(np.array([-1.0, 0.0, 1.0, 6.0, 7.0]))
    np.testing.assert_array_equal(ops.relu(x, threshold=1.0).numpy(), [0, 0, 0, 6, 7])
    np.testing.assert_array_equal(ops.relu(x, max_value=6.0).numpy(), [0, 0, 1, 6, 6])
    np.testing.assert_allclose(ops.relu(x, alpha=0.5, threshold=1.0).numpy(),
                               [-1, -0.5, 0, 6, 7])
    # a negative threshold keeps negative values above it; a cap then clips them to 0
    x = as_tensor(np.array([-2.0, -0.5, 3.0]))
    np.testing.assert_array_equal(ops.relu(x, threshold=-1.0).numpy(), [0, -0.5, 3])
    np.testing.assert_array_equal(ops.relu(x, threshold=-1.0, max_value=2.0).numpy(), [0, 0, 2])


def test_sigmoid_and_softplus_do_not_overflow():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s = ops.sigmoid(as_tensor(x)).numpy()
        sp = ops.softplus(as_tensor(x)).numpy()
    np.testing.assert_allclose(s, [0, _sigmoid(-30.0), 0.5, _sigmoid(30.0), 1], rtol=1e-15)
    tail = np.log1p(np.exp(-30.0))
    np.testing.assert_allclose(sp, [0, tail, np.log(2), 30 + tail, 1000], rtol=1e-15)


def test_gelu_is_accurate_in_the_far_negative_tail():
    # relative accuracy (no cancellation in 1 + erf); erfc(-x / sqrt(2)) itself amplifies
    # the rounding of its argument by ~x^2, hence 1e-12 and not 1e-15
    x = np.array([-30.0, -12.0, -5.0])
    np.testing.assert_allclose(ops.gelu(as_tensor(x)).numpy(), _gelu(x), rtol=1e-12, atol=0)


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SOFTMAX_CASES = [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 0)]


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES, ids=["%s-ax%d" % c for c in SOFTMAX_CASES])
def test_softmax_and_log_softmax(shape, axis):
    x = np.random.default_rng(3).normal(size=shape) * 2
    p = _np_softmax(x, axis)
    np.testing.assert_allclose(ops.softmax(as_tensor(x), axis=axis).numpy(), p, rtol=1e-13)
    np.testing.assert_allclose(ops.log_softmax(as_tensor(x), axis=axis).numpy(), np.log(p),
                               rtol=1e-13)
    check_gradients(lambda t: ops.softmax(t, axis=axis), [x])
    check_gradients(lambda t: ops.log_softmax(t, axis=axis), [x])


def test_softmax_is_stable_and_remembers_its_logits():
    x = as_tensor(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    with np.errstate(over="raise"):
        y = ops.softmax(x)
        logp = ops.log_softmax(x)
    np.testing.assert_allclose(y.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-300)
    np.testing.assert_allclose(logp.numpy()[0], [0, -1000, -2000])
    assert y._keras_logits is x
    assert ops.sigmoid(x)._keras_logits is x


def test_softmax_on_a_vector_raises():
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.softmax(as_tensor(np.ones(3)))


def test_relu_gradient_is_one_zero_or_alpha():
    v = Variable(X)
    with Tape() as tape:
        y = ops.relu(v, alpha=0.1, max_value=6.0, threshold=1.0)
    (g,) = tape.gradient(y, [v])
    np.testing.assert_allclose(gk_xp.asnumpy(g), np.where(X < 1, 0.1, np.where(X < 6, 1.0, 0.0)))
