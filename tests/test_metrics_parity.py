"""Metrics parity with tf-keras 2.21: per-sample values, History keys and epoch values.

Ground truth: tests/reference/parity_reference.npz ('met.*') and parity_reference.json
(["metrics"]), made by tests/reference/make_reference_parity.py.
"""
import functools

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers, metrics, optimizers
from reference._refutil import load_reference



ref = functools.partial(load_reference, "parity_reference")


def check(values, key):
    z, _ = ref()
    values = numpy.asarray(values)
    assert values.shape == z[key].shape, key
    numpy.testing.assert_array_equal(values, z[key])


@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_binary_accuracy_strict_threshold(threshold):
    """y_pred > threshold: exact 0.5 / 0.7 predictions count as 0."""
    z, _ = ref()
    check(metrics.binary_accuracy(z["met.bin.y_true"], z["met.bin.y_pred"],
                                  threshold=threshold), "met.binary_accuracy.t%s" % threshold)


def test_categorical_and_sparse_accuracy_with_ties():
    z, _ = ref()
    ct, cp = z["met.cat.y_true"], z["met.cat.y_pred"]
    check(metrics.categorical_accuracy(ct, cp), "met.categorical_accuracy")
    check(metrics.sparse_categorical_accuracy(z["met.cat.labels_int32"], cp),
          "met.sparse_categorical_accuracy.n")
    check(metrics.sparse_categorical_accuracy(z["met.cat.labels_col_f32"], cp),
          "met.sparse_categorical_accuracy.n1")


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_counts_ties_as_inside(k):
    z, _ = ref()
    check(metrics.top_k_categorical_accuracy(z["met.cat.y_true"], z["met.cat.y_pred"], k=k),
          "met.top_k_categorical_accuracy.k%d" % k)


def test_sparse_top_k():
    z, _ = ref()
    check(metrics.sparse_top_k_categorical_accuracy(z["met.cat.labels_int32"],
                                                    z["met.cat.y_pred"], k=2),
          "met.sparse_top_k_categorical_accuracy.k2")


def test_metric_objects_on_reference_arrays():
    z, _ = ref()
    m = metrics.TopKCategoricalAccuracy(k=2)
    m.update_state(z["met.cat.y_true"], z["met.cat.y_pred"])
    assert m.result() == pytest.approx(z["met.top_k_categorical_accuracy.k2"].mean())
    b = metrics.BinaryAccuracy(threshold=0.7)
    assert b(z["met.bin.y_true"], z["met.bin.y_pred"]) == pytest.approx(
        z["met.binary_accuracy.t0.7"].mean())


# ---------------------------------------------------------------- History keys and values
def _history_data():
    """The generator's metrics-section data: its rng stream replayed up to that section.

    Every earlier draw is repeated with the same sizes and distributions; the arrays the
    generator stored along the way check the replay (numpy's Generator streams are
    stable, but a change would show here rather than as a wrong value later).
    """
    z, meta = ref()
    rng = numpy.random.default_rng(meta["meta"]["seed"])

    def f32(a):
        return numpy.asarray(a, numpy.float32)

    numpy.testing.assert_array_equal(f32(rng.normal(size=(8, 4))), z["opt.x"])
    numpy.testing.assert_array_equal(f32(rng.normal(size=(8, 3))), z["opt.y"])
    for shape in ((4, 5), (5,), (5, 3), (3,)):
        rng.normal(size=shape)
    for case, shape in (("2d", (6, 3)), ("4d_last", (4, 2, 2, 3)), ("4d_axis1", (4, 3, 2, 2)),
                        ("3d_axis1", (5, 4, 3)), ("3d_axes12", (5, 4, 3)),
                        ("2d_nocenter", None), ("2d_noscale", None)):
        if shape is not None:
            numpy.testing.assert_array_equal(f32(rng.normal(size=shape) * 2 + 1),
                                             z["bn.%s.x" % case])
        info = meta["batchnorm"][case]
        for name in info["weight_names"]:
            size = tuple(info["param_shape"])
            if name == "moving_variance":
                rng.uniform(0.5, 2.0, size=size)
            else:
                rng.normal(size=size)
    numpy.testing.assert_array_equal(f32(rng.normal(size=(20, 4))), z["bntrain.x"])
    rng.integers(0, 3, size=20)
    for shape in ((4, 6), (6,), (6,), (6,), (6,)):
        rng.normal(size=shape)
    rng.uniform(0.5, 1.5, size=(6,))
    rng.normal(size=(6, 3))
    rng.normal(size=(3,))
    numpy.testing.assert_array_equal(f32(rng.normal(size=(20, 8)) * 1.5 + 0.5), z["bn4d.x"])
    rng.integers(0, 3, size=20)
    for shape in ((2,), (2,), (2,)):
        rng.normal(size=shape)
    rng.uniform(0.5, 1.5, size=(2,))
    rng.normal(size=(8, 3))
    rng.normal(size=(3,))
    numpy.testing.assert_array_equal(f32(rng.normal(size=(4, 3)) * 0.6), z["reg.w0.0"])
    numpy.testing.assert_array_equal(f32(rng.normal(size=(3,)) * 0.3), z["reg.w0.1"])
    fw = f32(rng.normal(size=(4, 3)) * numpy.array([0.05, 0.2, 0.8]))
    fw[0, 1] = -abs(fw[0, 1]) - 0.05
    numpy.testing.assert_array_equal(fw, z["reg.fixed_w"])
    x = f32(rng.normal(size=(10, 4)))
    y = f32(numpy.eye(3)[rng.integers(0, 3, size=10)])
    w0 = [f32(rng.normal(size=(4, 3)) * 0.5), f32(numpy.zeros(3))]
    return x, y, w0


HISTORY_METRICS = {
    "five": lambda: ["accuracy", "top_k_categorical_accuracy", "mse", "mae",
                     "binary_crossentropy"],
    "acc": lambda: ["acc"],
    "objects": lambda: [metrics.CategoricalAccuracy(), metrics.TopKCategoricalAccuracy(k=2),
                        metrics.MeanSquaredError()],
}


@pytest.mark.parametrize("tag", sorted(HISTORY_METRICS))
def test_history_keys_and_values(tag):
    """Keys as given ('acc' stays 'acc'), objects by their default names; values include
    tf.keras's binary_crossentropy of a softmax output computed from its logits."""
    _, meta = ref()
    expected = meta["metrics"]["history_" + tag]
    x, y, w0 = _history_data()
    K.clear_session()
    model = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.set_weights(w0)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy", metrics=HISTORY_METRICS[tag]())
    hist = model.fit(x, y, batch_size=5, epochs=1, shuffle=False, validation_split=0.2,
                     verbose=0)
    assert list(hist.history) == expected["history_keys"]
    for k, v in expected["history"].items():
        numpy.testing.assert_allclose(hist.history[k], v, rtol=1e-5, err_msg=k)
    assert model.metrics_names == expected["metrics_names_after_fit"]
