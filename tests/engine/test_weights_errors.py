"""Misused sample and class weights fail early with messages that say what is wrong."""
import numpy
import pytest

import gkeras
from gkeras import layers

X = numpy.random.default_rng(0).normal(size=(6, 4)).astype("float32")
LABELS = numpy.array([0, 1, 2, 0, 1, 2])
Y = numpy.eye(3, dtype="float32")[LABELS]


@pytest.fixture
def model():
    m = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile("sgd", "categorical_crossentropy")
    return m


@pytest.fixture
def two_outputs():
    inp = gkeras.Input((4,))
    m = gkeras.Model(inp, [layers.Dense(3, activation="softmax", name="cls")(inp),
                           layers.Dense(2, activation="softmax", name="aux")(inp)])
    m.compile("sgd", "categorical_crossentropy")
    return m


# ---------------------------------------------------------------- class_weight
def test_class_missing_from_class_weight(model):
    with pytest.raises(ValueError, match=r"must contain all classes in the data\. The classes "
                                         r"\[2\] exist in the data but not in `class_weight`"):
        model.fit(X, Y, class_weight={0: 1.0, 1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match=r"The classes \[1, 2\] exist"):
        model.train_on_batch(X, Y, class_weight={0: 1.0})


@pytest.mark.parametrize("class_weight, bad", [
    ({0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, r"\[3\]"),  # 3 classes: 0..2
    ({0: 1.0, 1: 1.0, 2: 1.0, -1: 1.0}, r"\[-1\]"),
    ({0: 1.0, 1: 1.0, 2: 1.0, "2": 1.0}, r"\['2'\]"),
    ({0: 1.0, 1: 1.0, 2.0: 1.0}, r"\[2\.0\]"),
    ({False: 1.0, 1: 1.0, 2: 1.0}, r"\[False\]"),
])
def test_class_weight_keys_must_be_class_indices(model, class_weight, bad):
    with pytest.raises(ValueError, match=r"keys from 0 to one less than the number of classes"
                                         r".*from 0 to 2 \(the output 'dense' has 3 "
                                         r"classes\)\. Invalid keys: " + bad):
        model.fit(X, Y, class_weight=class_weight, verbose=0)


def test_class_weight_sparse_labels_and_values(rng):
    m = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile(gkeras.optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"Invalid keys: \[-2\]"):
        m.fit(X, LABELS, class_weight={0: 1, 1: 1, 2: 1, -2: 1}, verbose=0)
    with pytest.raises(ValueError, match=r"values must be numbers; class 1 has weight 'x'"):
        m.fit(X, LABELS, class_weight={0: 1, 1: "x", 2: 1}, verbose=0)
    with pytest.raises(ValueError, match="must be a dict mapping class indices"):
        m.fit(X, LABELS, class_weight=[1.0, 2.0, 3.0], verbose=0)
    # numpy integer keys are class indices too; the weighted loss is the weighted mean
    cw = {numpy.int64(0): 1.0, numpy.int64(1): 3.0, numpy.int64(2): 0.5}
    loss = m.train_on_batch(X, LABELS, class_weight=cw)
    p = m.predict(X, verbose=0)
    per_sample = -numpy.log(p[numpy.arange(6), LABELS])
    w = numpy.array([1.0, 3.0, 0.5])[LABELS]
    assert loss == pytest.approx((per_sample * w).mean(), rel=1e-5)


def test_flat_class_weight_on_multi_output_model(two_outputs):
    ys = [Y, numpy.eye(2, dtype="float32")[LABELS % 2]]
    with pytest.raises(ValueError, match=r"`class_weight` for a model with 2 outputs "
                                         r"\['cls', 'aux'\] must be a dict mapping output "
                                         r"names to per-output class-weight dicts"):
        two_outputs.fit(X, ys, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"Unknown entries in class_weight dictionary: "
                                         r"\['nope'\]"):
        two_outputs.fit(X, ys, class_weight={"cls": {0: 1, 1: 1, 2: 1}, "nope": {}},
                        verbose=0)
    with pytest.raises(ValueError, match="one entry per model output"):
        two_outputs.fit(X, ys, class_weight=[{0: 1, 1: 1, 2: 1}], verbose=0)
    # the Keras 2 forms: a dict by output name (missing outputs unweighted), or a list
    two_outputs.fit(X, ys, class_weight={"cls": {0: 1.0, 1: 2.0, 2: 1.0}}, verbose=0)
    two_outputs.fit(X, ys, class_weight=[None, {0: 1.0, 1: 5.0}], verbose=0)
    with pytest.raises(ValueError, match=r"output 'aux'\)"):
        two_outputs.fit(X, ys, class_weight={"aux": {0: 1.0}}, verbose=0)


def test_per_output_class_weight_values(two_outputs):
    two_outputs.compile(gkeras.optimizers.SGD(0.0), "categorical_crossentropy")
    ys = [Y, numpy.eye(2, dtype="float32")[LABELS % 2]]
    cw = {"aux": {0: 2.0, 1: 0.0}}
    logs = two_outputs.train_on_batch(X, ys, class_weight=cw, return_dict=True)
    p_cls, p_aux = two_outputs.predict(X, verbose=0)
    ce_cls = -numpy.log(p_cls[numpy.arange(6), LABELS]).mean()
    w = numpy.array([2.0, 0.0])[LABELS % 2]
    ce_aux = (-numpy.log(p_aux[numpy.arange(6), LABELS % 2]) * w).mean()
    assert logs["cls_loss"] == pytest.approx(ce_cls, rel=1e-5)
    assert logs["aux_loss"] == pytest.approx(ce_aux, rel=1e-5)


# ---------------------------------------------------------------- sample_weight
def test_sample_weight_length_mismatch(model):
    sw = numpy.ones(5)
    pattern = r"Data cardinality is ambiguous:\n  x sizes: 6\n  y sizes: 6\n  sample_weight " \
              r"sizes: 5\nMake sure all arrays contain the same number of samples"
    with pytest.raises(ValueError, match=pattern):
        model.fit(X, Y, sample_weight=sw, verbose=0)
    with pytest.raises(ValueError, match=pattern):
        model.train_on_batch(X, Y, sample_weight=sw)
    with pytest.raises(ValueError, match=pattern):
        model.evaluate(X, Y, sample_weight=sw, verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight sizes: 2"):
        model.fit(X, Y, validation_data=(X[:3], Y[:3], numpy.ones(2)), verbose=0)


@pytest.mark.parametrize("sw, pattern", [
    (numpy.ones((6, 3)), r"Found a sample_weight array with shape \(6, 3\) for the output "
                         r"'dense' with target shape \(6, 3\)\. Per-timestep weights need "
                         r"an output with a time axis .* make sure your sample_weight array "
                         r"is 1D"),
    (numpy.ones((6, 1, 1)), r"shape \(6, 1, 1\) .* Expected sample_weight with rank less "
                            r"than or equal to 2"),
    (numpy.ones(()), r"sample_weight must be an array with one weight per sample, got a "
                     r"scalar"),
    ([["a"]] * 6, r"sample_weight must be a numeric array"),
])
def test_sample_weight_with_wrong_rank(model, sw, pattern):
    with pytest.raises(ValueError, match=pattern):
        model.fit(X, Y, sample_weight=sw, verbose=0)


def test_sample_weight_accepted_shapes(model, rng):
    """(N,) and (N, 1) per-sample weights give the same loss; (N, T) per-timestep weights
    for a sequence output."""
    sw = rng.uniform(0.1, 2.0, size=6).astype("float32")
    a = model.test_on_batch(X, Y, sample_weight=sw)
    b = model.test_on_batch(X, Y, sample_weight=sw[:, None])
    assert a == pytest.approx(b, rel=1e-6)
    p = model.predict(X, verbose=0)
    assert a == pytest.approx((-numpy.log(p[numpy.arange(6), LABELS]) * sw).mean(), rel=1e-5)

    inp = gkeras.Input((5, 2))
    seq = gkeras.Model(inp, layers.Dense(1)(inp))
    seq.compile("sgd", "mse")
    xs = rng.normal(size=(6, 5, 2)).astype("float32")
    ys = rng.normal(size=(6, 5, 1)).astype("float32")
    tw = rng.uniform(0.1, 2.0, size=(6, 5)).astype("float32")
    loss = seq.test_on_batch(xs, ys, sample_weight=tw)
    err = ((seq.predict(xs, verbose=0) - ys) ** 2)[..., 0]
    assert loss == pytest.approx((err * tw).mean(), rel=1e-5)
    with pytest.raises(ValueError, match=r"shape \(6, 4\) for the output .* target shape "
                                         r"\(6, 5, 1\)\. sample_weight cannot be broadcast"):
        seq.test_on_batch(xs, ys, sample_weight=tw[:, :4])
    # sparse sequence labels (N, T) for a (N, T, C) output take (N, T) weights too
    cls = gkeras.Model(inp, layers.Dense(3, activation="softmax")(inp))
    cls.compile("sgd", "sparse_categorical_crossentropy")
    labels = rng.integers(0, 3, size=(6, 5))
    loss = cls.test_on_batch(xs, labels, sample_weight=tw)
    p = cls.predict(xs, verbose=0)
    ce = -numpy.log(numpy.take_along_axis(p, labels[..., None], -1)[..., 0])
    assert loss == pytest.approx((ce * tw).mean(), rel=1e-5)


def test_sample_weight_dict_with_unknown_output(two_outputs):
    ys = [Y, numpy.eye(2, dtype="float32")[LABELS % 2]]
    with pytest.raises(ValueError, match=r"Unknown entries in sample_weight dictionary: "
                                         r"\['main'\]"):
        two_outputs.fit(X, ys, sample_weight={"main": numpy.ones(6)}, verbose=0)


def test_sample_weight_one_entry_list_for_one_output(model):
    sw = numpy.linspace(0.5, 1.5, 6).astype("float32")
    assert model.test_on_batch(X, Y, sample_weight=[sw]) == pytest.approx(
        model.test_on_batch(X, Y, sample_weight=sw), rel=1e-6)


def test_class_weight_rejects_3d_targets(rng):
    inp = gkeras.Input((5, 2))
    model = gkeras.Model(inp, layers.Dense(3, activation="softmax", name="seq")(inp))
    model.compile("sgd", "categorical_crossentropy")
    y = numpy.eye(3, dtype="float32")[rng.integers(0, 3, size=(4, 5))]
    with pytest.raises(ValueError, match=r"`class_weight` not supported for 3\+ dimensional "
                                         r"targets \(output 'seq'"):
        model.fit(rng.normal(size=(4, 5, 2)).astype("float32"), y,
                  class_weight={0: 1, 1: 1, 2: 1}, verbose=0)
