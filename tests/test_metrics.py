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
