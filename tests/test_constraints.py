"""gkeras.constraints: the projections Keras applies after each update, and configs."""
import numpy as np
import pytest

from gkeras import constraints as C
from gkeras.backend import config as gk_config

EPS = gk_config.epsilon()
W = np.array([[3.0, 0.1, -1.0], [4.0, 0.2, 1.0]])  # column norms 5, ~0.224, ~1.414


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])  # Keras documents list axes for conv kernels
def test_max_norm(axis):
    out = C.MaxNorm(max_value=1.2, axis=axis)(W)
    n = _norms(W, axis)
    np.testing.assert_allclose(out, W * np.clip(n, 0, 1.2) / (EPS + n), rtol=1e-12)
    assert np.all(_norms(out, axis) <= 1.2 + 1e-6)


def test_max_norm_leaves_small_columns_alone_and_defaults():
    out = C.MaxNorm()(W)  # max_value 2, axis 0
    np.testing.assert_allclose(out[:, 1:], W[:, 1:], rtol=1e-6)
    np.testing.assert_allclose(_norms(out, 0)[0, 0], 2.0, rtol=1e-6)
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}


def test_non_neg():
    np.testing.assert_array_equal(C.NonNeg()(W), np.maximum(W, 0))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unit_norm(axis):
    out = C.UnitNorm(axis=axis)(W)
    np.testing.assert_allclose(out, W / (EPS + _norms(W, axis)), rtol=1e-12)
    np.testing.assert_allclose(_norms(out, axis), 1.0, rtol=1e-6)


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_min_max_norm(rate):
    out = C.MinMaxNorm(min_value=0.5, max_value=2.0, rate=rate)(W)
    n = _norms(W, 0)
    desired = rate * np.clip(n, 0.5, 2.0) + (1 - rate) * n
    np.testing.assert_allclose(out, W * desired / (EPS + n), rtol=1e-12)
    if rate == 1.0:
        got = _norms(out, 0)
        assert np.all(got >= 0.5 - 1e-6) and np.all(got <= 2.0 + 1e-6)


@pytest.mark.parametrize("constraint", [C.MaxNorm(1.5, 1), C.NonNeg(), C.UnitNorm(1),
                                        C.MinMaxNorm(0.1, 3.0, 0.5, 1)],
                         ids=["MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"])
def test_float32_stays_float32_and_config_round_trip(constraint):
    w = W.astype(np.float32)
    assert constraint(w).dtype == np.float32
    config = C.serialize(constraint)
    assert config["class_name"] == type(constraint).__name__
    again = C.get(config)
    assert type(again) is type(constraint) and again.get_config() == constraint.get_config()
    np.testing.assert_array_equal(again(W), constraint(W))


@pytest.mark.parametrize("name,cls", [
    ("max_norm", C.MaxNorm), ("maxnorm", C.MaxNorm), ("MaxNorm", C.MaxNorm),
    ("non_neg", C.NonNeg), ("nonneg", C.NonNeg), ("NonNeg", C.NonNeg),
    ("unit_norm", C.UnitNorm), ("unitnorm", C.UnitNorm), ("UnitNorm", C.UnitNorm),
    ("min_max_norm", C.MinMaxNorm), ("MinMaxNorm", C.MinMaxNorm),
])
def test_get_by_name(name, cls):
    assert type(C.get(name)) is cls


def test_get_other_identifiers():
    assert C.get(None) is None
    fn = lambda w: w  # noqa: E731
    assert C.get(fn) is fn
    np.testing.assert_array_equal(C.Constraint()(W), W)
    with pytest.raises(ValueError, match="'foo'"):
        C.get("foo")
    with pytest.raises(ValueError):
        C.get(3)
