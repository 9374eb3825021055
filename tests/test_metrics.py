"""Metrics: the functions against numpy, lookup by name, and how compile/fit uses them."""
import numpy
import pytest

import gkeras
from gkeras import layers, metrics


def test_binary_accuracy():
    y_true = numpy.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    y_pred = numpy.array([[0.7], [0.2], [0.4], [0.6]], "float32")
    numpy.testing.assert_array_equal(metrics.binary_accuracy(y_true, y_pred), [1, 1, 0, 0])
    numpy.testing.assert_array_equal(metrics.binary_accuracy(y_true, y_pred, threshold=0.3),
                                     [1, 1, 1, 0])


def test_categorical_and_sparse_accuracy():
    y_pred = numpy.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]], "float32")
    onehot = numpy.eye(3, dtype="float32")[[1, 1, 2]]
    numpy.testing.assert_array_equal(metrics.categorical_accuracy(onehot, y_pred), [1, 0, 1])
    numpy.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(numpy.array([1, 1, 2]), y_pred), [1, 0, 1])
    numpy.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(numpy.array([[1], [1], [2]]), y_pred), [1, 0, 1])


def test_top_k_accuracy():
    y_pred = numpy.array([[0.1, 0.5, 0.3, 0.1], [0.6, 0.1, 0.2, 0.1]], "float32")
    labels = numpy.array([2, 3])
    onehot = numpy.eye(4, dtype="float32")[labels]
    numpy.testing.assert_array_equal(metrics.top_k_categorical_accuracy(onehot, y_pred, k=2),
                                     [1, 0])
    numpy.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(labels, y_pred, k=3), [1, 1])


def test_losses_as_metrics():
    rng = numpy.random.default_rng(0)
    a = rng.normal(size=(4, 3)).astype("float32")
    b = rng.normal(size=(4, 3)).astype("float32")
    numpy.testing.assert_allclose(metrics.mae(a, b), numpy.abs(a - b).mean(-1), rtol=1e-6)
    numpy.testing.assert_allclose(metrics.mse(a, b), ((a - b) ** 2).mean(-1), rtol=1e-6)
    assert metrics.get("mae") is metrics.mean_absolute_error
    assert metrics.get("categorical_accuracy") is metrics.categorical_accuracy
    fn = lambda y_true, y_pred: y_pred  # noqa: E731
    assert metrics.get(fn) is fn


def test_unknown_metric():
    with pytest.raises(ValueError, match="Unknown metric function: 'foo'"):
        metrics.get("foo")
    with pytest.raises(ValueError, match="Could not interpret metric"):
        metrics.get(3)


@pytest.mark.parametrize("loss,targets,expected", [
    ("categorical_crossentropy", "onehot", metrics.categorical_accuracy),
    ("sparse_categorical_crossentropy", "sparse", metrics.sparse_categorical_accuracy),
    ("binary_crossentropy", "binary", metrics.binary_accuracy),
])
def test_accuracy_resolution_by_shapes(loss, targets, expected):
    units = 1 if targets == "binary" else 3
    shape = (None, units)
    if targets == "onehot":
        fn = metrics.accuracy_for(shape, 2, 3)
    elif targets == "sparse":
        fn = metrics.accuracy_for(shape, 1, 10)
        assert metrics.accuracy_for(shape, 2, 1) is expected
    else:
        fn = metrics.accuracy_for(shape, 2, 1)
    assert fn is expected


def test_epoch_metric_is_mean_over_samples(rng):
    x = rng.normal(size=(10, 4)).astype("float32")
    y = rng.normal(size=(10, 2)).astype("float32")
    model = gkeras.Sequential([layers.Dense(2, input_shape=(4,))])
    model.compile("sgd", "mse", metrics=["mae", metrics.mean_squared_error])
    assert model.metrics_names == ["loss", "mae", "mean_squared_error"]
    loss, mae, mse = model.evaluate(x, y, batch_size=3, verbose=0)
    pred = model.predict(x, verbose=0)
    assert mae == pytest.approx(numpy.abs(pred - y).mean(), rel=1e-5)
    assert mse == pytest.approx(((pred - y) ** 2).mean(), rel=1e-5)
    assert loss == pytest.approx(mse, rel=1e-5)


def test_weighted_metrics(rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    labels = numpy.array([0, 1, 2, 0, 1, 2, 0, 1])
    y = numpy.eye(3, dtype="float32")[labels]
    sw = numpy.array([1, 2, 0, 1, 3, 1, 0.5, 1], "float32")
    model = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    result = model.evaluate(x, y, sample_weight=sw, batch_size=3, verbose=0, return_dict=True)
    assert list(result) == ["loss", "accuracy", "weighted_accuracy"]
    correct = (model.predict(x, verbose=0).argmax(1) == labels).astype("float64")
    assert result["accuracy"] == pytest.approx(correct.mean())
    assert result["weighted_accuracy"] == pytest.approx((correct * sw).sum() / sw.sum())


def test_multi_output_metric_names(rng):
    x = rng.normal(size=(10, 4)).astype("float32")
    y = (rng.uniform(size=(10, 2)) > 0.5).astype("float32")
    inp = gkeras.Input((4,))
    h = layers.Dense(4)(inp)
    model = gkeras.Model(inp, [layers.Dense(1, name="out_a")(h),
                               layers.Dense(1, activation="sigmoid", name="out_b")(h)])
    model.compile("sgd", ["mse", "binary_crossentropy"], metrics=["accuracy"])
    hist = model.fit(x, [y[:, :1], y[:, 1:]], epochs=1, validation_split=0.2, verbose=0)
    assert list(hist.history) == [  # docs/keras_reference.md section 6
        "loss", "out_a_loss", "out_b_loss", "out_a_accuracy", "out_b_accuracy", "val_loss",
        "val_out_a_loss", "val_out_b_loss", "val_out_a_accuracy", "val_out_b_accuracy"]
    model.compile("sgd", ["mse", "binary_crossentropy"],
                  metrics={"out_a": ["mae"], "out_b": ["mse", "mae"]})
    hist = model.fit(x, [y[:, :1], y[:, 1:]], epochs=1, verbose=0)
    assert list(hist.history) == ["loss", "out_a_loss", "out_b_loss", "out_a_mae", "out_b_mse",
                                  "out_b_mae"]


def test_auto_named_multi_output_keys(rng):
    x = rng.normal(size=(10, 4)).astype("float32")
    inp = gkeras.Input((4,))
    h = layers.Dense(4)(inp)
    model = gkeras.Model(inp, [layers.Dense(1)(h), layers.Dense(1, activation="sigmoid")(h)])
    model.compile("sgd", ["mse", "binary_crossentropy"], metrics=["accuracy"])
    hist = model.fit(x, [x[:, :1], (x[:, 1:2] > 0).astype("float32")], epochs=1, verbose=0)
    assert list(hist.history) == ["loss", "dense_1_loss", "dense_2_loss", "dense_1_accuracy",
                                  "dense_2_accuracy"]


@pytest.mark.parametrize("units, loss, make_y, expected", [
    (1, "binary_crossentropy", lambda lab: (lab > 0).astype("float32"), "binary_accuracy"),
    (1, "binary_crossentropy", lambda lab: (lab > 0).astype("float32")[:, None],
     "binary_accuracy"),
    (3, "sparse_categorical_crossentropy", lambda lab: lab, "sparse_categorical_accuracy"),
    (3, "sparse_categorical_crossentropy", lambda lab: lab[:, None].astype("float32"),
     "sparse_categorical_accuracy"),
    (3, "categorical_crossentropy", lambda lab: numpy.eye(3, dtype="float32")[lab],
     "categorical_accuracy"),
])
def test_accuracy_choice_in_fit(rng, units, loss, make_y, expected):
    """'acc' picks binary / sparse / categorical accuracy from the shapes (tf.keras rule);
    (N,) binary labels for a (N, 1) output are compared sample by sample."""
    x = rng.normal(size=(12, 4)).astype("float32")
    labels = rng.integers(0, 3, size=12)
    act = "sigmoid" if units == 1 else "softmax"
    model = gkeras.Sequential([layers.Dense(units, activation=act, input_shape=(4,))])
    model.compile("sgd", loss, metrics=["acc"])
    _, acc = model.evaluate(x, make_y(labels), batch_size=5, verbose=0)
    pred = model.predict(x, verbose=0)
    hits = (pred[:, 0] > 0.5) == (labels > 0) if units == 1 else pred.argmax(1) == labels
    assert acc == pytest.approx(hits.mean())
    assert model._metrics.entries[0][2].__name__ == expected
    assert model.metrics_names == ["loss", "acc"]


def test_metric_objects():
    y_true = numpy.eye(3, dtype="float32")[[0, 1, 2, 1]]
    y_pred = numpy.array([[0.8, 0.1, 0.1], [0.5, 0.3, 0.2], [0.1, 0.2, 0.7],
                          [0.2, 0.7, 0.1]], "float32")
    m = metrics.CategoricalAccuracy()
    assert m.name == "categorical_accuracy"
    assert m(y_true, y_pred) == pytest.approx(0.75)
    m.update_state(y_true[:2], y_pred[:2], sample_weight=[0.0, 2.0])
    assert m.result() == pytest.approx(3 / 6)
    m.reset_state()
    assert m.result() == 0.0
    top = metrics.TopKCategoricalAccuracy(k=2, name="top2")
    assert top.get_config() == {"name": "top2", "dtype": "float32", "k": 2}
    again = metrics.get({"class_name": "TopKCategoricalAccuracy", "config": top.get_config()})
    assert isinstance(again, metrics.TopKCategoricalAccuracy) and again.name == "top2"
    assert isinstance(metrics.get("BinaryAccuracy"), metrics.BinaryAccuracy)
    assert metrics.KLDivergence().name == "kullback_leibler_divergence"
    with pytest.raises(TypeError, match="unexpected keyword"):
        metrics.CategoricalAccuracy(k=3)


def test_metric_objects_in_compile_and_custom_stateful_metric(rng):
    class MaxAbsError(metrics.Metric):
        """Not a mean: its batch results are averaged by batch size."""

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total = float(numpy.abs(y_pred.numpy() - y_true.numpy()).max())
            self.count = 1.0

    x = rng.normal(size=(6, 4)).astype("float32")
    y = rng.normal(size=(6, 2)).astype("float32")
    model = gkeras.Sequential([layers.Dense(2, input_shape=(4,))])
    model.compile("sgd", "mse", metrics=[metrics.MeanAbsoluteError(name="m"), MaxAbsError()])
    assert model.metrics_names == ["loss", "m", "max_abs_error"]
    result = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    err = numpy.abs(model.predict(x, verbose=0) - y)
    assert result["m"] == pytest.approx(err.mean(), rel=1e-5)
    assert result["max_abs_error"] == pytest.approx(err.max(), rel=1e-5)


def test_metric_functions_receive_tensors(rng):
    """Custom metrics written with K ops work; cross-entropy metrics on a softmax output
    use its logits, as tf.keras's (binary_crossentropy then differs from the numpy value
    on the clipped probabilities)."""
    from gkeras import backend as K

    def mean_pred(y_true, y_pred):
        return K.mean(y_pred, axis=-1)

    x = rng.normal(size=(6, 4)).astype("float32")
    y = numpy.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]]
    model = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy",
                  metrics=[mean_pred, "binary_crossentropy"])
    _, mp, bce = model.evaluate(x, y, batch_size=6, verbose=0)
    assert mp == pytest.approx(1 / 3, rel=1e-5)
    w, b = model.get_weights()
    logits = x @ w + b
    expected = numpy.maximum(logits, 0) - logits * y + numpy.log1p(numpy.exp(-abs(logits)))
    assert bce == pytest.approx(expected.mean(), rel=1e-5)


def test_weighted_metric_names_follow_tf_keras(rng):
    """'weighted_' only when the plain metric has the name already; per output, its
    metrics then its weighted metrics."""
    x = rng.normal(size=(8, 4)).astype("float32")
    y = numpy.eye(3, dtype="float32")[rng.integers(0, 3, size=8)]
    sw = rng.uniform(0.1, 2, size=8).astype("float32")
    model = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy", weighted_metrics=["accuracy", "mae"])
    assert model.metrics_names == ["loss", "accuracy", "mae"]
    res = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    hit = (pred.argmax(1) == y.argmax(1)).astype("float64")
    assert res["accuracy"] == pytest.approx((hit * sw).sum() / sw.sum(), rel=1e-6)
    mae = numpy.abs(pred - y).mean(1)
    assert res["mae"] == pytest.approx((mae * sw).sum() / sw.sum(), rel=1e-5)
    # without sample weights a weighted metric equals the plain one
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert res["accuracy"] == pytest.approx(hit.mean())

    inp = gkeras.Input((4,))
    model = gkeras.Model(inp, [layers.Dense(1, name="a")(inp), layers.Dense(1, name="b")(inp)])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    assert model.metrics_names == ["loss", "a_loss", "b_loss", "a_mae", "a_weighted_mae",
                                   "a_mse", "b_mae", "b_weighted_mae", "b_mse"]
    with pytest.raises(ValueError, match="Found two metrics with the same name: mae"):
        gkeras.Sequential([layers.Dense(1, input_shape=(2,))]).compile(
            "sgd", "mse", metrics=["mae", "mae"])


def test_class_weight_feeds_weighted_metrics(rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    labels = numpy.array([0, 1, 2, 0, 1, 2, 0, 1])
    y = numpy.eye(3, dtype="float32")[labels]
    model = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(gkeras.optimizers.SGD(0.0), "categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    logs = model.train_on_batch(x, y, class_weight=cw, return_dict=True)
    pred = model.predict(x, verbose=0)
    hit = (pred.argmax(1) == labels).astype("float64")
    w = numpy.array([cw[c] for c in labels])
    assert logs["accuracy"] == pytest.approx(hit.mean())
    assert logs["weighted_accuracy"] == pytest.approx((hit * w).sum() / w.sum())
