"""Tensor operator overloading: it records on the tape, differentiates, keeps dtypes."""
import numpy as np
import pytest

from gkeras.autograd import Tape, Tensor, Variable, as_tensor, unwrap
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import config
from gkeras.backend import xp as gk_xp

X = np.array([[0.5, -1.5, 2.0], [1.25, 0.75, -0.5]])
W = np.array([[1.0, -0.5], [0.25, 2.0], [-1.0, 0.5]])

EXPRESSIONS = [
    ("x * 2 + 1", lambda x: x * 2 + 1, lambda x: x * 2 + 1),
    ("2 - x", lambda x: 2 - x, lambda x: 2 - x),
    ("x - 2.5", lambda x: x - 2.5, lambda x: x - 2.5),
    ("x ** 2", lambda x: x ** 2, lambda x: x ** 2),
    ("x ** 3.0", lambda x: x ** 3.0, lambda x: x ** 3.0),
    ("2 ** x", lambda x: 2 ** x, lambda x: 2 ** x),
    ("-x", lambda x: -x, lambda x: -x),
    ("+x", lambda x: +x, lambda x: +x),
    ("abs(x)", lambda x: abs(x), np.abs),
    ("x / 4", lambda x: x / 4, lambda x: x / 4),
    ("3 / x", lambda x: 3 / x, lambda x: 3 / x),
    ("x[0]", lambda x: x[0], lambda x: x[0]),
    ("x[:, 1:]", lambda x: x[:, 1:], lambda x: x[:, 1:]),
    ("x[[1, 1, 0]]", lambda x: x[[1, 1, 0]], lambda x: x[[1, 1, 0]]),
    ("x @ w", lambda x: x @ W, lambda x: x @ W),
    ("w.T @ transpose(x)", lambda x: W.T @ _t(x), lambda x: W.T @ x.T),
    ("x * x - x / 2", lambda x: x * x - x / 2, lambda x: x * x - x / 2),
    ("np.float32(2) * x", lambda x: np.float32(2) * x, lambda x: 2 * x),
]


def _t(x):
    from gkeras import ops
    return ops.transpose(x)


@pytest.mark.parametrize("name,expr,ref", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_operators_compute_record_and_differentiate(name, expr, ref):
    y = expr(as_tensor(X))
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.numpy(), ref(X), rtol=1e-14)
    v = Variable(X)
    with Tape() as tape:
        out = expr(v)
    assert tape.records or name == "+x", "the operator was not recorded"
    (g,) = tape.gradient(out, [v])
    assert np.any(gk_xp.asnumpy(g) != 0)
    check_gradients(expr, [X])


def test_matmul_operator_with_two_tensors():
    check_gradients(lambda a, b: a @ b, [X, W])
    check_gradients(lambda a, b: b.__rmatmul__(a), [X, W])


@pytest.mark.parametrize("expr", [lambda x: x * 2.0, lambda x: 2.0 * x, lambda x: x + 1.0,
                                  lambda x: 1.0 - x, lambda x: x / 3.0, lambda x: 3.0 / x,
                                  lambda x: x ** 2, lambda x: x ** 0.5, lambda x: 2.0 ** x,
                                  lambda x: x * np.float64(2.0), lambda x: np.float64(2) * x,
                                  lambda x: x * 2 + 1])
def test_python_scalars_keep_float32(expr):
    x = as_tensor(np.abs(X).astype(np.float32) + 0.1)
    assert expr(x).dtype == np.float32


def test_float64_stays_float64():
    assert (as_tensor(X) * 2.0).dtype == np.float64


def test_numpy_arrays_on_the_left_defer_to_the_tensor():
    y = np.ones((2, 3)) + as_tensor(X)
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.numpy(), 1 + X)


def test_comparisons_give_unrecorded_boolean_tensors():
    x = Variable(X)
    with Tape() as tape:
        masks = [x > 0, x >= 0.5, x < 0, x <= -0.5]
    assert tape.records == []
    for m, expected in zip(masks, [X > 0, X >= 0.5, X < 0, X <= -0.5]):
        assert m.dtype == bool
        np.testing.assert_array_equal(m.numpy(), expected)


def test_properties_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and len(t) == 2 and t.dtype == np.float64
    assert float(Tensor(np.array(2.5))) == 2.5
    np.testing.assert_array_equal(np.asarray(t), np.arange(6.0).reshape(2, 3))
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert "shape=(2, 3)" in repr(t)
    assert unwrap(t) is t.data and unwrap(3) == 3
    assert {t: 1}[t] == 1  # hashable by identity


def test_as_tensor_dtypes():
    assert as_tensor(1.5).dtype == np.dtype(config.floatx())
    assert as_tensor([1.0, 2.0]).dtype == np.dtype(config.floatx())
    assert as_tensor([1, 2]).dtype.kind == "i"
    assert as_tensor(np.ones(2, np.float64)).dtype == np.float64
    assert as_tensor(np.float64(1.5)).dtype == np.float64  # numpy scalars keep their dtype
    assert as_tensor(np.float32(1.5)).dtype == np.float32
    t = Tensor(np.ones(2))
    assert as_tensor(t) is t
    assert as_tensor([1, 2], dtype="float32").dtype == np.float32
