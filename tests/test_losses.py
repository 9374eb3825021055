"""gkeras.losses against real tf-keras 2.21 (tests/reference/core_reference.npz).

Per-sample values of the functional losses and the reduced scalars of the Loss
classes (SUM_OVER_BATCH_SIZE, with and without sample_weight), in float32 and
float64. Two float64 references carry float32 rounding from tf-keras itself
(noted at F64_LOOSE) and are compared at that precision.
"""

import numpy as np
import pytest

from gkeras import losses
from gkeras import ops
from gkeras.autograd import as_tensor
from gkeras.autograd.gradient_check import check_gradients
from reference._refutil import load_reference

REF = load_reference("core_reference")[0]
DTYPES = {"f32": np.float32, "f64": np.float64}
TOL = {"f32": dict(rtol=1e-6, atol=1e-6), "f64": dict(rtol=1e-12, atol=1e-12)}

# tf-keras's huber casts to floatx (float32) even for float64 inputs, and logcosh subtracts
# log(2) computed in float32; gkeras stays in float64, so these agree to float32 precision.
F64_LOOSE = {"huber": 1e-6, "huber_delta0.5": 1e-6, "logcosh": 1e-8}

L = losses
CASES = [
    ("mean_squared_error", L.mean_squared_error, "reg"),
    ("mean_absolute_error", L.mean_absolute_error, "reg"),
    ("mean_absolute_percentage_error", L.mean_absolute_percentage_error, "reg"),
    ("mean_squared_logarithmic_error", L.mean_squared_logarithmic_error, "reg"),
    ("mean_squared_logarithmic_error", L.mean_squared_logarithmic_error, "pos"),
    ("logcosh", L.logcosh, "reg"),
    ("huber", L.huber, "reg"),
    ("huber_delta0.5", lambda a, b: L.huber(a, b, delta=0.5), "reg"),
    ("cosine_similarity", L.cosine_similarity, "reg"),
    ("cosine_similarity", L.cosine_similarity, "pos"),
    ("poisson", L.poisson, "pos"),
    ("kullback_leibler_divergence", L.kullback_leibler_divergence, "pos"),
    ("kullback_leibler_divergence", L.kullback_leibler_divergence, "cat"),
    ("binary_crossentropy", L.binary_crossentropy, "bin"),
    ("binary_crossentropy_from_logits",
     lambda a, b: L.binary_crossentropy(a, b, from_logits=True), "binlog"),
    ("binary_crossentropy_label_smoothing0.1",
     lambda a, b: L.binary_crossentropy(a, b, label_smoothing=0.1), "bin"),
    ("categorical_crossentropy", L.categorical_crossentropy, "cat"),
    ("categorical_crossentropy", L.categorical_crossentropy, "catun"),
    ("categorical_crossentropy_from_logits",
     lambda a, b: L.categorical_crossentropy(a, b, from_logits=True), "catlog"),
    ("sparse_categorical_crossentropy", L.sparse_categorical_crossentropy, "sparse"),
    ("sparse_categorical_crossentropy_from_logits",
     lambda a, b: L.sparse_categorical_crossentropy(a, b, from_logits=True),
     "sparse_from_logits"),
    ("hinge", L.hinge, "bin"),
    ("hinge", L.hinge, "pm1"),
    ("squared_hinge", L.squared_hinge, "bin"),
    ("squared_hinge", L.squared_hinge, "pm1"),
    ("categorical_hinge", L.categorical_hinge, "cat"),
    ("categorical_hinge", L.categorical_hinge, "catlog"),
]


def _data(setname, d):
    return (REF["loss.data.%s.y_true.%s" % (setname, d)],
            REF["loss.data.%s.y_pred.%s" % (setname, d)])


def _tol(name, d):
    if d == "f64" and name in F64_LOOSE:
        return dict(rtol=F64_LOOSE[name], atol=F64_LOOSE[name])
    return TOL[d]


def test_every_functional_loss_in_the_reference_is_covered():
    # keys are loss.<name>.<set>.<f32|f64>; <name> may itself contain a dot (huber_delta0.5)
    in_npz = {k[len("loss."):].rsplit(".", 1)[0] for k in REF
              if k.startswith("loss.") and not k.startswith(("loss.data.", "loss.sample_weight"))}
    assert in_npz == {"%s.%s" % (n, s) for n, _, s in CASES}


@pytest.mark.parametrize("d", ["f32", "f64"])
@pytest.mark.parametrize("name,fn,setname", CASES, ids=["%s-%s" % (c[0], c[2]) for c in CASES])
def test_per_sample_loss_matches_keras(name, fn, setname, d):
    y_true, y_pred = _data(setname, d)
    out = fn(y_true, y_pred)
    assert out.dtype == DTYPES[d]
    assert out.shape == (5,)
    np.testing.assert_allclose(out.numpy(), REF["loss.%s.%s.%s" % (name, setname, d)],
                               **_tol(name, d))


OBJECTS = [
    ("MeanSquaredError", lambda: L.MeanSquaredError(), "reg"),
    ("CategoricalCrossentropy", lambda: L.CategoricalCrossentropy(), "cat"),
    ("BinaryCrossentropy", lambda: L.BinaryCrossentropy(), "bin"),
    ("SparseCategoricalCrossentropy_logits",
     lambda: L.SparseCategoricalCrossentropy(from_logits=True), "sparse_from_logits"),
]


@pytest.mark.parametrize("d", ["f32", "f64"])
@pytest.mark.parametrize("name,make,setname", OBJECTS, ids=[o[0] for o in OBJECTS])
def test_loss_objects_match_keras_with_and_without_sample_weight(name, make, setname, d):
    y_true, y_pred = _data(setname, d)
    sw = REF["loss.sample_weight.%s" % d]
    obj = make()
    plain = obj(y_true, y_pred)
    weighted = obj(y_true, y_pred, sample_weight=sw)
    assert plain.shape == () and plain.dtype == DTYPES[d] and weighted.dtype == DTYPES[d]
    np.testing.assert_allclose(plain.numpy(), REF["lossobj.%s.%s.%s" % (name, setname, d)],
                               **TOL[d])
    np.testing.assert_allclose(weighted.numpy(),
                               REF["lossobj.%s.%s.sw.%s" % (name, setname, d)], **TOL[d])
    # a column of weights (N, 1) means the same thing as (N,)
    np.testing.assert_allclose(obj(y_true, y_pred, sample_weight=sw[:, None]).numpy(),
                               weighted.numpy(), rtol=1e-15)
    # float64 weights on float32 losses do not promote the result
    assert obj(y_true, y_pred, sample_weight=sw.astype(np.float64)).dtype == DTYPES[d]


def test_reduction_is_sum_over_batch_size_not_over_weights():
    y_true, y_pred = _data("reg", "f64")
    sw = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    per_sample = L.mean_squared_error(y_true, y_pred).numpy()
    np.testing.assert_allclose(L.MeanSquaredError()(y_true, y_pred, sample_weight=sw).numpy(),
                               per_sample[0] / 5)


ALIASES = {
    "mse": L.mean_squared_error, "MSE": L.mean_squared_error,
    "mae": L.mean_absolute_error, "MAE": L.mean_absolute_error,
    "mape": L.mean_absolute_percentage_error, "MAPE": L.mean_absolute_percentage_error,
    "msle": L.mean_squared_logarithmic_error, "MSLE": L.mean_squared_logarithmic_error,
    "kld": L.kl_divergence, "KLD": L.kl_divergence,
    "kullback_leibler_divergence": L.kl_divergence,
    "logcosh": L.log_cosh, "log_cosh": L.log_cosh,
    "cosine_proximity": L.cosine_similarity, "cosine_similarity": L.cosine_similarity,
    "huber_loss": L.huber, "huber": L.huber,
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_resolve_to_the_same_function(alias):
    assert L.get(alias) is ALIASES[alias]
    assert getattr(L, alias) is ALIASES[alias]


def test_get_by_name_returns_the_module_function():
    for name in ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
                 "mean_squared_logarithmic_error", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
                 "squared_hinge", "categorical_hinge", "logcosh",
                 "kullback_leibler_divergence", "poisson", "cosine_similarity", "huber"]:
        assert L.get(name) is getattr(L, name), name


def test_get_unknown_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="'foo'"):
        L.get("foo")
    with pytest.raises(ValueError):
        L.get(3)
    assert L.get(None) is None
    fn = L.mean_squared_error
    assert L.get(fn) is fn


def test_loss_classes_by_name_and_config_round_trip():
    obj = L.get("MeanSquaredError")
    assert isinstance(obj, L.MeanSquaredError) and obj.name == "mean_squared_error"
    assert L.Huber().name == "huber_loss" and L.LogCosh().name == "log_cosh"
    huber = L.Huber(delta=2.0)
    config = L.serialize(huber)
    assert config == {"class_name": "Huber", "config": {"delta": 2.0, "name": "huber_loss"}}
    again = L.get(config)
    assert isinstance(again, L.Huber) and again.kwargs == {"delta": 2.0}
    assert L.serialize(L.mean_squared_error) == "mean_squared_error"
    cce = L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    again = L.get(L.serialize(cce))
    assert again.kwargs == cce.kwargs
    with pytest.raises(TypeError, match="delta"):
        L.MeanSquaredError(delta=1.0)


LOSS_CLASSES = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
                "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
                "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge", "CategoricalHinge",
                "LogCosh", "Huber", "KLDivergence", "Poisson", "CosineSimilarity"]


@pytest.mark.parametrize("cls_name", LOSS_CLASSES)
def test_every_loss_class_serializes_under_its_keras_name(cls_name):
    cls = getattr(L, cls_name)
    assert cls.__name__ == cls_name
    config = L.serialize(cls())
    assert config["class_name"] == cls_name
    assert type(L.get(config)) is cls
    # tf.keras configs also carry the reduction
    assert type(L.get({"class_name": cls_name,
                       "config": dict(config["config"], reduction="auto")})) is cls


def test_softmax_and_sigmoid_outputs_use_their_logits():
    """As tf.keras: cross-entropy on a softmax/sigmoid output is computed from the logits."""
    logits = np.array([[40.0, 0.0, -40.0], [0.5, 1.0, -1.0]])
    y = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    from_probs = L.categorical_crossentropy(y, ops.softmax(as_tensor(logits)))
    from_logits = L.categorical_crossentropy(y, logits, from_logits=True)
    np.testing.assert_allclose(from_probs.numpy(), from_logits.numpy(), rtol=1e-15)
    assert from_probs.numpy()[0] == pytest.approx(80.0)  # no eps clipping at ~16.1
    t = np.array([[1.0, 0.0, 1.0]])
    z = np.array([[-40.0, 40.0, 2.0]])
    np.testing.assert_allclose(L.binary_crossentropy(t, ops.sigmoid(as_tensor(z))).numpy(),
                               L.binary_crossentropy(t, z, from_logits=True).numpy(),
                               rtol=1e-15)


def test_sparse_labels_with_a_trailing_axis_and_shape_errors():
    y_true, y_pred = _data("sparse_from_logits", "f64")
    a = L.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    b = L.sparse_categorical_crossentropy(y_true[:, None], y_pred, from_logits=True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        L.sparse_categorical_crossentropy(np.zeros(4), y_pred)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        L.categorical_crossentropy(np.zeros((5, 3)), y_pred)


SMOOTH = [
    ("mean_squared_error", L.mean_squared_error, "reg"),
    ("logcosh", L.logcosh, "reg"),
    ("cosine_similarity", L.cosine_similarity, "reg"),
    ("poisson", L.poisson, "pos_inner"),
    ("categorical_crossentropy_from_logits",
     lambda a, b: L.categorical_crossentropy(a, b, from_logits=True), "catlog"),
    ("binary_crossentropy_from_logits",
     lambda a, b: L.binary_crossentropy(a, b, from_logits=True), "binlog_small"),
    ("categorical_crossentropy", L.categorical_crossentropy, "cat_inner"),
]


@pytest.mark.parametrize("name,fn,setname", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_loss_gradients_wrt_predictions(name, fn, setname):
    rng = np.random.default_rng(0)
    if setname == "pos_inner":
        y_true, y_pred = rng.uniform(0, 2, (4, 3)), rng.uniform(0.5, 2, (4, 3))
    elif setname == "binlog_small":
        y_true, y_pred = _data("binlog", "f64")[0], rng.normal(size=(5, 3))
    elif setname == "cat_inner":
        y_true = np.eye(4)[[0, 2, 1]]
        y_pred = rng.uniform(0.2, 1.0, (3, 4))  # away from the eps clip
    else:
        y_true, y_pred = _data(setname, "f64")
        y_pred = y_pred + 0.01 * (y_pred == y_true)  # no exact zero residuals
    check_gradients(lambda p: fn(y_true, p), [y_pred], atol=1e-7, rtol=1e-6)
