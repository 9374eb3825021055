"""Training parity with tf-keras 2.21: weights, History, batch logs and return values.

Ground truth: tests/reference/core_reference.npz ('train.*') and core_reference.json
(["training"]), made by tests/reference/make_reference.py with SGD(learning_rate=0.1).
"""
import functools

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import callbacks, layers, optimizers
from reference._refutil import load_reference

RTOL = 1e-5
ATOL = 1e-6


ref = functools.partial(load_reference, "core_reference")


def mlp_data():
    z, _ = ref()
    return z["train.mlp.x"], z["train.mlp.y"], [z["train.mlp.w0.%d" % i] for i in range(4)]


def build_mlp(**compile_kw):
    """make_reference.py's build_mlp: Dense(5, relu) -> Dense(3, softmax), SGD(0.1)."""
    K.clear_session()
    _, _, w0 = mlp_data()
    model = gkeras.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                               layers.Dense(3, activation="softmax")])
    model.set_weights(w0)
    kw = dict(metrics=["accuracy"])
    kw.update(compile_kw)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy", **kw)
    return model


class BatchLogs(callbacks.Callback):
    """Records what make_reference.py's BatchLogs records."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({"batch": batch, **{k: float(v) for k, v in (logs or {}).items()}})

    def on_epoch_begin(self, epoch, logs=None):
        self.logs.append({"epoch_begin": epoch})


def assert_logs_close(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert sorted(a) == sorted(b), (a, b)
        for k in b:
            assert a[k] == pytest.approx(b[k], rel=RTOL, abs=ATOL), (k, a, b)


def assert_history_close(history, expected, order=None):
    assert sorted(history) == sorted(expected)
    if order is not None:
        assert list(history) == order
    for k, values in expected.items():
        numpy.testing.assert_allclose(history[k], values, rtol=RTOL, atol=ATOL, err_msg=k)


def assert_weights_close(model, prefix, n):
    z, _ = ref()
    for i, w in enumerate(model.get_weights()):
        numpy.testing.assert_allclose(w, z["%s.%d" % (prefix, i)], rtol=RTOL, atol=ATOL,
                                      err_msg="%s.%d" % (prefix, i))
    assert len(model.get_weights()) == n


def test_mlp_fit_with_validation_split():
    x, y, _ = mlp_data()
    expected = ref()[1]["training"]["mlp_fit"]
    model = build_mlp()
    cb = BatchLogs()
    hist = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, validation_split=0.2,
                     verbose=0, callbacks=[cb])
    assert_history_close(hist.history, expected["history"], order=expected["history_keys_order"])
    assert_logs_close(cb.logs, expected["batch_logs"])
    assert hist.params == expected["history_params"]
    assert hist.epoch == [0, 1, 2]
    assert model.metrics_names == expected["metrics_names"]
    assert_weights_close(model, "train.mlp.fit.w", 4)
    assert model.history is hist


def test_mlp_test_then_train_on_batch():
    x, y, _ = mlp_data()
    expected = ref()[1]["training"]["mlp_initial"]
    model = build_mlp()
    tob = model.test_on_batch(x[:4], y[:4])
    trb = model.train_on_batch(x[:4], y[:4])
    numpy.testing.assert_allclose(tob, expected["test_on_batch_x[:4]"], rtol=RTOL)
    # train_on_batch reports the forward pass BEFORE its update
    numpy.testing.assert_allclose(trb, expected["train_on_batch_x[:4]"], rtol=RTOL)
    assert_weights_close(model, "train.mlp.tob.w", 4)
    assert isinstance(trb, list) and all(isinstance(v, float) for v in trb)
    d = model.test_on_batch(x[:4], y[:4], return_dict=True)
    assert list(d) == ["loss", "accuracy"]


def test_mlp_evaluate_predict():
    x, y, _ = mlp_data()
    z, meta = ref()
    expected = meta["training"]["mlp_initial"]
    model = build_mlp()
    result = model.evaluate(x, y, batch_size=4, verbose=0)
    numpy.testing.assert_allclose(result, expected["evaluate_bs4"], rtol=RTOL)
    # batch-size-weighted, i.e. the mean over all samples, not the mean of batch means
    assert result[0] == pytest.approx(expected["numpy_mean_per_sample_loss"], rel=RTOL)
    assert result[0] != pytest.approx(expected["numpy_mean_of_batch_means"], rel=1e-3)
    d = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert sorted(d) == sorted(expected["evaluate_bs4_return_dict"])
    for k, v in expected["evaluate_bs4_return_dict"].items():
        assert d[k] == pytest.approx(v, rel=RTOL)
    assert model.metrics_names == expected["metrics_names_after_evaluate"]
    pred = model.predict(x, verbose=0)
    assert pred.dtype == numpy.float32 and pred.shape == (10, 3)
    numpy.testing.assert_allclose(pred, z["train.mlp.predict"], rtol=RTOL, atol=ATOL)
    per_sample = gkeras.losses.categorical_crossentropy(y, pred)
    numpy.testing.assert_allclose(numpy.asarray(per_sample), z["train.mlp.per_sample_loss"],
                                  rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("variant", ["sw", "swwm", "cw"])
def test_mlp_sample_and_class_weights(variant):
    x, y, _ = mlp_data()
    z, meta = ref()
    sw = z["train.mlp.sample_weight"]
    if variant == "sw":
        model, fit_kw, key = build_mlp(), dict(sample_weight=sw), "mlp_sample_weight"
    elif variant == "swwm":
        model = build_mlp(weighted_metrics=["accuracy"])
        fit_kw, key = dict(sample_weight=sw), "mlp_sample_weight_weighted_metrics"
    else:
        model = build_mlp()
        fit_kw, key = dict(class_weight={0: 1.0, 1: 2.0, 2: 0.5}), "mlp_class_weight"
    expected = meta["training"][key]
    cb = BatchLogs()
    hist = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[cb],
                     **fit_kw)
    assert_history_close(hist.history, expected["history"],
                         order=expected.get("history_keys_order"))
    assert_logs_close(cb.logs, expected["batch_logs"])
    assert_weights_close(model, "train.mlp.%s.w" % variant, 4)
    if "metrics_names" in expected:
        assert model.metrics_names == expected["metrics_names"]


def test_sample_weight_reduction_is_sum_over_batch_size():
    x, y, _ = mlp_data()
    z, meta = ref()
    sw = z["train.mlp.sample_weight"]
    expected = meta["training"]["mlp_sample_weight"]
    model = build_mlp()
    loss, _ = model.test_on_batch(x[:4], y[:4], sample_weight=sw[:4])
    assert loss == pytest.approx(expected["first_batch_numpy_sum_l_sw_over_4"], rel=RTOL)
    assert loss != pytest.approx(expected["first_batch_numpy_sum_l_sw_over_sum_sw"], rel=1e-3)


def build_two_io():
    K.clear_session()
    in_a = gkeras.Input(shape=(3,), name="in_a")
    in_b = gkeras.Input(shape=(2,), name="in_b")
    ha = layers.Dense(4, activation="relu", name="branch_a")(in_a)
    hb = layers.Dense(4, activation="tanh", name="branch_b")(in_b)
    hcat = layers.Concatenate(name="concat")([ha, hb])
    out_a = layers.Dense(1, name="out_a")(hcat)
    out_b = layers.Dense(1, activation="sigmoid", name="out_b")(hcat)
    return gkeras.Model([in_a, in_b], [out_a, out_b], name="two_io")


def two_io_data():
    z, _ = ref()
    return ([z["train.twoio.xa"], z["train.twoio.xb"]],
            [z["train.twoio.ya"], z["train.twoio.yb"]],
            [z["train.twoio.w0.%d" % i] for i in range(8)])


def test_two_io_weight_names_and_predict():
    z, meta = ref()
    xs, _, w0 = two_io_data()
    model = build_two_io()
    assert [w.name for w in model.weights] == meta["training"]["twoio_weight_names"]
    model.set_weights(w0)
    pa, pb = model.predict(xs, verbose=0)
    numpy.testing.assert_allclose(pa, z["train.twoio.predict_a"], rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(pb, z["train.twoio.predict_b"], rtol=RTOL, atol=ATOL)
    # dict inputs by Input name give the same
    pa2, _ = model.predict({"in_a": xs[0], "in_b": xs[1]}, verbose=0)
    numpy.testing.assert_array_equal(pa, pa2)


def test_two_io_evaluate_and_fit_with_loss_weights():
    xs, ys, w0 = two_io_data()
    expected = ref()[1]["training"]["twoio_fit"]
    model = build_two_io()
    model.set_weights(w0)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss=["mse", "binary_crossentropy"], loss_weights=[1.0, 0.5],
                  metrics={"out_b": ["accuracy"]})
    ev = model.evaluate(xs, ys, batch_size=4, verbose=0, return_dict=True)
    assert sorted(ev) == sorted(expected["evaluate_at_w0_return_dict"])
    for k, v in expected["evaluate_at_w0_return_dict"].items():
        assert ev[k] == pytest.approx(v, rel=RTOL), k
    assert ev["loss"] == pytest.approx(ev["out_a_loss"] + 0.5 * ev["out_b_loss"], rel=1e-6)
    cb = BatchLogs()
    hist = model.fit(xs, ys, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[cb])
    assert_history_close(hist.history, expected["history"], order=expected["history_keys_order"])
    assert_logs_close(cb.logs, expected["batch_logs"])
    assert model.metrics_names == expected["metrics_names"]
    assert_weights_close(model, "train.twoio.fit.w", 8)


def test_two_io_dict_losses_and_targets_match_lists():
    xs, ys, w0 = two_io_data()
    expected = ref()[1]["training"]["twoio_fit"]
    model = build_two_io()
    model.set_weights(w0)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss={"out_a": "mse", "out_b": "binary_crossentropy"},
                  loss_weights={"out_a": 1.0, "out_b": 0.5}, metrics={"out_b": "accuracy"})
    hist = model.fit({"in_a": xs[0], "in_b": xs[1]}, {"out_a": ys[0], "out_b": ys[1]},
                     batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_history_close(hist.history, expected["history"])
    assert_weights_close(model, "train.twoio.fit.w", 8)
