"""BatchNormalization parity with tf-keras 2.21: layer outputs and statistics, training runs.

Ground truth: tests/reference/parity_reference.npz ('bn.*', 'bntrain.*', 'bn4d.*') and
parity_reference.json (["batchnorm"]), made by tests/reference/make_reference_parity.py.
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


ref = functools.partial(load_reference, "parity_reference")


class BatchLogs(callbacks.Callback):
    """Records what make_reference_parity.py's BatchLogs records."""

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


def assert_history_close(history, expected, order):
    assert list(history) == order
    for k, values in expected.items():
        numpy.testing.assert_allclose(history[k], values, rtol=RTOL, atol=ATOL, err_msg=k)


# ---------------------------------------------------------------- a. the layer alone
CASES = {"2d": (-1, {}), "4d_last": (-1, {}), "4d_axis1": (1, {}), "3d_axis1": (1, {}),
         "3d_axes12": ([1, 2], {}), "2d_nocenter": (-1, {"center": False}),
         "2d_noscale": (-1, {"scale": False})}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_outputs_and_moving_statistics(case):
    """Inference output with the moving statistics, training output with the (biased)
    batch statistics, and the moving statistics after one training call (momentum 0.5;
    the unbiased variance for 4-D inputs on axis 1 / 3, as tf's fused kernel)."""
    z, meta = ref()
    info = meta["batchnorm"][case]
    axis, kw = CASES[case]
    x, w, y = z["bn.%s.x" % case], z["bn.%s.w" % case], z["bn.%s.y" % case]
    bn = layers.BatchNormalization(axis=axis, momentum=0.5, epsilon=1e-3, **kw)
    bn.build((None,) + x.shape[1:])
    assert [v.name.split("/")[-1][:-2] for v in bn.weights] == info["weight_names"]
    assert [list(v.shape) for v in bn.weights] == [info["param_shape"]] * len(bn.weights)
    bn.set_weights(list(w[0]))
    y_infer = bn(x, training=False).numpy()
    numpy.testing.assert_array_equal(numpy.stack(bn.get_weights()), w[0])  # no update
    y_train = bn(x, training=True).numpy()  # a direct training call updates, as in tf.keras
    numpy.testing.assert_allclose(y_infer, y[0], rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(y_train, y[1], rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(numpy.stack(bn.get_weights()), w[1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_matches_tf_keras(case):
    """Scalar config entries, including the axis normalised to a list of positive axes."""
    _, meta = ref()
    expected = dict(meta["batchnorm"]["config_2d"])
    expected.update(meta["batchnorm"][case]["config_diff_vs_2d"])
    axis, kw = CASES[case]
    bn = layers.BatchNormalization(axis=axis, momentum=0.5, epsilon=1e-3, **kw)
    bn.build(tuple([None] + meta["batchnorm"][case]["x_shape"][1:]))
    cfg = bn.get_config()
    for key in ("axis", "momentum", "epsilon", "center", "scale", "name", "trainable",
                "dtype"):
        assert cfg[key] == expected[key], key
    assert set(expected) <= set(cfg)
    clone = layers.BatchNormalization.from_config(cfg)
    clone.build(tuple([None] + meta["batchnorm"][case]["x_shape"][1:]))
    assert [v.shape for v in clone.weights] == [v.shape for v in bn.weights]


# ---------------------------------------------------------------- b./c. training an MLP
def bn_mlp(frozen):
    K.clear_session()
    z, _ = ref()
    model = gkeras.Sequential([layers.Dense(6, input_shape=(4,)), layers.BatchNormalization(),
                               layers.Activation("relu"), layers.Dense(3, activation="softmax")])
    model.set_weights([z["bntrain.w0.%d" % i] for i in range(8)])
    if frozen:
        model.layers[1].trainable = False
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _cce(y, p):
    p = numpy.clip(p, 1e-7, 1 - 1e-7)
    return float(numpy.mean(-numpy.sum(y * numpy.log(p), axis=-1)))


@pytest.mark.parametrize("name", ["fit", "frozen"])
def test_bn_mlp_fit_matches_tf_keras(name):
    """3 epochs with validation_split: History, per-batch logs, weights and names.

    As the generator does, the model is first called on x[:5] in inference and in
    training mode: in tf.keras (and gkeras) the training-mode call updates the moving
    statistics of a trainable BN layer once, and the final weights reflect it.
    """
    z, meta = ref()
    expected = meta["batchnorm"]["train_" + name]
    x, y = z["bntrain.x"], z["bntrain.y"]
    model = bn_mlp(frozen=name == "frozen")
    first = {t: _cce(y[:5], model(x[:5], training=t).numpy()) for t in (False, True)}
    assert first[False] == pytest.approx(expected["first_batch_loss_at_w0_inference_mode"],
                                         rel=RTOL)
    assert first[True] == pytest.approx(expected["first_batch_loss_at_w0_training_mode"],
                                        rel=RTOL)
    cb = BatchLogs()
    hist = model.fit(x, y, batch_size=5, epochs=3, shuffle=False, validation_split=0.2,
                     verbose=0, callbacks=[cb])
    assert_history_close(hist.history, expected["history"], expected["history_keys_order"])
    assert_logs_close(cb.logs, expected["batch_logs"])
    weights = model.get_weights()
    for i, w in enumerate(weights):
        numpy.testing.assert_allclose(w, z["bntrain.%s.w.%d" % (name, i)], rtol=1e-4,
                                      atol=1e-6, err_msg="weight %d" % i)
    w0 = [z["bntrain.w0.%d" % i] for i in range(8)]
    assert [numpy.array_equal(a, b) for a, b in zip(w0[2:6], weights[2:6])] == \
        expected["bn_weights_unchanged"]
    assert [v.name for v in model.weights] == expected["weight_names"]
    assert [v.name for v in model.trainable_weights] == expected["trainable_weight_names"]
    assert [v.name for v in model.non_trainable_weights] == \
        expected["non_trainable_weight_names"]
    assert model.metrics_names == expected["metrics_names"]


def test_frozen_bn_fit_uses_inference_mode():
    """The first logged batch loss of the frozen model is the inference-mode loss."""
    _, meta = ref()
    frozen, live = meta["batchnorm"]["train_frozen"], meta["batchnorm"]["train_fit"]
    z, _ = ref()
    for model, expected in ((bn_mlp(True), frozen), (bn_mlp(False), live)):
        x, y = z["bntrain.x"], z["bntrain.y"]
        loss = model.train_on_batch(x[:5], y[:5])[0]
        assert loss == pytest.approx(expected["batch_logs"][1]["loss"], rel=RTOL)


def test_bn_4d_fit_uses_unbiased_moving_variance():
    z, meta = ref()
    expected = meta["batchnorm"]["bn4d_fit"]
    model = gkeras.Sequential([layers.Reshape((2, 2, 2), input_shape=(8,)),
                               layers.BatchNormalization(axis=-1), layers.Flatten(),
                               layers.Dense(3, activation="softmax")])
    model.set_weights([z["bn4d.w0.%d" % i] for i in range(6)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy")
    cb = BatchLogs()
    hist = model.fit(z["bn4d.x"], z["bn4d.y"], batch_size=5, epochs=1, shuffle=False,
                     verbose=0, callbacks=[cb])
    assert_history_close(hist.history, expected["history"], ["loss"])
    assert_logs_close(cb.logs, expected["batch_logs"])
    for i, w in enumerate(model.get_weights()):
        numpy.testing.assert_allclose(w, z["bn4d.fit.w.%d" % i], rtol=1e-4, atol=1e-6,
                                      err_msg="weight %d" % i)
