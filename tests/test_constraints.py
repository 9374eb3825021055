"""gkeras.constraints: the projections Keras applies after each update, and configs."""
import functools

import numpy as np
import pytest

import gkeras
from gkeras import backend as K
from gkeras import constraints as C
from gkeras import regularizers
from gkeras.backend import config as gk_config
from reference._refutil import load_reference

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


# ---------------------------------------------------------------- parity with tf-keras 2.21

RAW = {
    "max_norm_axis0": lambda: C.max_norm(0.5, axis=0),
    "max_norm_axis1": lambda: C.max_norm(0.5, axis=1),
    "max_norm_default": lambda: C.max_norm(),
    "non_neg": lambda: C.non_neg(),
    "unit_norm_axis0": lambda: C.unit_norm(axis=0),
    "unit_norm_axis1": lambda: C.unit_norm(axis=1),
    "min_max_norm_axis0": lambda: C.min_max_norm(0.2, 0.6, rate=0.5, axis=0),
    "min_max_norm_axis1": lambda: C.min_max_norm(0.2, 0.6, rate=0.5, axis=1),
    "min_max_norm_rate1_axis0": lambda: C.min_max_norm(0.2, 0.6, rate=1.0, axis=0),
}


ref = functools.partial(load_reference, "parity_reference")


@pytest.mark.parametrize("name", sorted(RAW))
def test_values_and_configs_match_tf_keras(name):
    z, meta = ref()
    c = RAW[name]()
    out = np.asarray(c(z["reg.fixed_w"]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, z["con." + name], rtol=1e-6, atol=1e-7)
    expected = meta["regularizers"]["constraint_configs"][name]
    assert type(c).__name__ == expected["class_name"]
    assert c.get_config() == expected["config"]


TRAINED = {
    "max_norm": lambda: dict(kernel_constraint=C.max_norm(0.5)),
    "non_neg": lambda: dict(kernel_constraint=C.non_neg()),
    "unit_norm": lambda: dict(kernel_constraint=C.unit_norm()),
    "min_max_norm": lambda: dict(kernel_constraint=C.min_max_norm(0.2, 0.6, rate=0.5)),
    "reg_max_norm": lambda: dict(kernel_constraint=C.max_norm(0.5),
                                 kernel_regularizer=regularizers.l2(0.01),
                                 bias_regularizer=regularizers.l1(0.02),
                                 activity_regularizer=regularizers.l1_l2(l1=0.001, l2=0.002)),
}


@pytest.mark.parametrize("name", sorted(TRAINED))
def test_training_with_constraints_matches_tf_keras(name):
    """Constraints project the weights after each update; 2 train_on_batch steps."""
    z, meta = ref()
    K.clear_session()
    model = gkeras.Sequential([gkeras.layers.Dense(3, input_shape=(4,), **TRAINED[name]())])
    model.set_weights([z["reg.w0.0"], z["reg.w0.1"]])
    model.compile(optimizer=gkeras.optimizers.SGD(learning_rate=0.1), loss="mse")
    losses = [model.train_on_batch(z["opt.x"], z["opt.y"]) for _ in range(2)]
    np.testing.assert_allclose(losses, meta["regularizers"]["constraint_training"][name][
        "losses"], rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, z["reg.%s.w.%d" % (name, i)], rtol=1e-5, atol=1e-7)
