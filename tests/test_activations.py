"""gkeras.activations against real tf-keras 2.21 (tests/reference/core_reference.npz).

Float32 outputs must agree to float32 rounding. Float64 outputs agree to ~1e-12
where gkeras and TensorFlow evaluate the same formula in float64; a few TF
kernels use float32 constants even in float64 (documented per case below), so
those are compared at the constant's precision, and gkeras's own float64
result is additionally checked against an exact float64 formula.
"""
import math
import os

import numpy as np
import pytest

from gkeras import activations
from gkeras.autograd import Tensor, as_tensor

REF = np.load(os.path.join(os.path.dirname(__file__), "reference", "core_reference.npz"))
TOL = {"f32": dict(rtol=1e-6, atol=1e-6), "f64": dict(rtol=1e-12, atol=1e-12)}
DTYPES = {"f32": np.float32, "f64": np.float64}

# float64 cases where tf-keras rounds a constant to float32 (so only ~1e-8 agreement):
# tf.nn.leaky_relu takes alpha as a float32 attribute (0.2f = 0.200000003); tf.nn.gelu
# uses float32 sqrt(2) and tanh-approximation constants.
F64_LOOSE = {"leaky_relu": 1e-7, "relu_alpha0.1": 1e-7, "gelu": 1e-8,
             "gelu_approx_false": 1e-8, "gelu_approx_true": 1e-8}

NAMES = ["relu", "sigmoid", "tanh", "softplus", "softsign", "elu", "selu", "exponential",
         "linear", "hard_sigmoid", "swish", "silu", "gelu", "mish", "relu6", "leaky_relu"]


def _tol(key, d):
    if d == "f64" and key in F64_LOOSE:
        return dict(rtol=F64_LOOSE[key], atol=F64_LOOSE[key])
    return TOL[d]


def _check(out, key, d):
    expected = REF["act.%s.%s" % (key, d)]
    y = out.numpy() if isinstance(out, Tensor) else np.asarray(out)
    assert y.dtype == DTYPES[d], (key, y.dtype)
    np.testing.assert_allclose(y, expected, err_msg="%s %s" % (key, d), **_tol(key, d))


@pytest.mark.parametrize("d", ["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_activation_by_name_matches_keras(name, d):
    x = as_tensor(REF["act.x.%s" % d])
    _check(activations.get(name)(x), name, d)


@pytest.mark.parametrize("d", ["f32", "f64"])
def test_softmax_and_log_softmax_match_keras(d):
    x2, x3 = as_tensor(REF["act.x2d.%s" % d]), as_tensor(REF["act.x3d.%s" % d])
    _check(activations.get("softmax")(x2), "softmax", d)
    _check(activations.get("log_softmax")(x2), "log_softmax", d)
    _check(activations.softmax(x3), "softmax_3d", d)


@pytest.mark.parametrize("d", ["f32", "f64"])
def test_keyword_variants_match_keras(d):
    x = as_tensor(REF["act.x.%s" % d])
    _check(activations.gelu(x, approximate=False), "gelu_approx_false", d)
    _check(activations.gelu(x, approximate=True), "gelu_approx_true", d)
    _check(activations.relu(x, alpha=0.1), "relu_alpha0.1", d)
    _check(activations.relu(x, max_value=6.0), "relu_max6", d)
    _check(activations.relu(x, threshold=1.0), "relu_thr1", d)
    _check(activations.relu(x, alpha=0.1, max_value=6.0, threshold=1.0),
           "relu_alpha0.1_max6_thr1", d)
    _check(activations.elu(x, alpha=0.5), "elu_alpha0.5", d)


def test_float64_gelu_and_leaky_relu_are_exact_formulas():
    x = REF["act.x.f64"]
    exact = np.array([0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in x])
    np.testing.assert_allclose(activations.gelu(as_tensor(x)).numpy(), exact, rtol=1e-12, atol=0)
    c = math.sqrt(2.0 / math.pi)
    approx = 0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(activations.gelu(as_tensor(x), approximate=True).numpy(), approx,
                               rtol=1e-14, atol=1e-300)
    np.testing.assert_array_equal(activations.get("leaky_relu")(as_tensor(x)).numpy(),
                                  np.where(x > 0, x, 0.2 * x))


def test_get_and_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("silu") is activations.swish
    fn = activations.get("relu")
    assert activations.get(fn) is fn
    for name in NAMES + ["softmax", "log_softmax"]:
        f = activations.get(name)
        assert activations.deserialize(activations.serialize(f)) is f
    with pytest.raises(ValueError, match="'foo'"):
        activations.get("foo")
    with pytest.raises(ValueError):
        activations.get(42)


def test_softmax_on_a_vector_raises():
    with pytest.raises(ValueError):
        activations.softmax(as_tensor(np.ones(3)))
