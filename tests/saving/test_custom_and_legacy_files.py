"""custom_objects / custom_object_scope / get_custom_objects with whole-model files, and
files in Keras 2.2's form (class 'Model', bytes attributes, Keras 2.2 optimizer state)."""
import json

import h5py
import numpy
import pytest

import gkeras as keras
from gkeras import backend as K
from gkeras import layers as L
from gkeras.utils import custom_object_scope, get_custom_objects


class Scale(L.Layer):
    """A user layer with a weight and a config entry."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        cfg = super().get_config()
        cfg["factor"] = self.factor
        return cfg


def my_loss(y_true, y_pred):
    return K.mean(K.square(y_true - y_pred), axis=-1)


def my_metric(y_true, y_pred):
    return K.mean(K.abs(y_true - y_pred), axis=-1)


def double(x):
    return x * 2.0


CUSTOM = {"Scale": Scale, "my_loss": my_loss, "my_metric": my_metric, "double": double}


def _custom_model():
    inp = keras.Input((3,))
    out = L.Dense(2)(L.Lambda(double)(Scale(0.5, name="scale")(inp)))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.01), my_loss, metrics=[my_metric])
    return model


def _xy():
    rng = numpy.random.default_rng(5)
    return rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_custom_objects_argument_scope_and_registry(tmp_path, suffix):
    x, y = _xy()
    model = _custom_model()
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    path = str(tmp_path / ("custom" + suffix))
    model.save(path)
    with pytest.raises(ValueError, match=r"Scale.*custom_objects"):
        keras.models.load_model(path)

    def check(loaded):
        assert loaded.metrics_names == model.metrics_names == ["loss", "my_metric"]
        numpy.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        assert loaded.get_layer("scale").factor == 0.5

    check(keras.models.load_model(path, custom_objects=CUSTOM))
    with custom_object_scope(CUSTOM):
        check(keras.models.load_model(path))
    registry = get_custom_objects()
    registry.update(CUSTOM)
    try:
        loaded = keras.models.load_model(path)
    finally:
        for name in CUSTOM:
            registry.pop(name)
    check(loaded)
    loaded.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_loss_and_metric_objects_round_trip(tmp_path):
    x, y = _xy()
    inp = keras.Input((3,))
    model = keras.Model(inp, L.Dense(2)(inp))
    model.compile("sgd", keras.losses.Huber(delta=0.5),
                  metrics=[keras.metrics.MeanAbsoluteError(), "mse"])
    first = model.fit(x, y, epochs=1, verbose=0)
    for suffix in (".h5", ".keras"):
        model.save(tmp_path / ("obj" + suffix))
        loaded = keras.models.load_model(tmp_path / ("obj" + suffix))
        assert isinstance(loaded._losses.fns[0], keras.losses.Huber)
        assert loaded._losses.fns[0].kwargs["delta"] == 0.5
        assert list(loaded.fit(x, y, epochs=1, verbose=0).history) == list(first.history)


# ------------------------------------------------------------------ Keras 2.2 files
def _initializer():
    return {"class_name": "VarianceScaling", "config": {
        "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def _dense22(name, units, activation, **extra):
    config = {"name": name, "trainable": True, "units": units, "activation": activation,
              "use_bias": True, "kernel_initializer": _initializer(),
              "bias_initializer": {"class_name": "Zeros", "config": {}},
              "kernel_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}
    config.update(extra)
    return config


def _write_keras22_file(path, model_config, weights, optimizer_names, optimizer_values):
    """A file as Keras 2.2.4 + h5py 2 wrote it: fixed-length bytes attributes."""
    training = {"optimizer_config": {"class_name": "Adam", "config": {
        "lr": 0.0010000000474974513, "beta_1": 0.8999999761581421,
        "beta_2": 0.9990000128746033, "decay": 0.0, "epsilon": 1e-07, "amsgrad": False}},
        "loss": "categorical_crossentropy", "metrics": ["accuracy"],
        "sample_weight_mode": None, "loss_weights": None}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = numpy.bytes_(b"2.2.4")
        f.attrs["backend"] = numpy.bytes_(b"tensorflow")
        f.attrs["model_config"] = numpy.bytes_(json.dumps(model_config).encode())
        f.attrs["training_config"] = numpy.bytes_(json.dumps(training).encode())
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = numpy.array([name.encode() for name, _ in weights])
        g.attrs["backend"] = numpy.bytes_(b"tensorflow")
        g.attrs["keras_version"] = numpy.bytes_(b"2.2.4")
        for name, values in weights:
            lg = g.create_group(name)
            names = ["%s/%s:0" % (name, w) for w in ("kernel", "bias")][:len(values)]
            lg.attrs["weight_names"] = numpy.array([n.encode() for n in names])
            for n, v in zip(names, values):
                lg[n] = v
        og = f.create_group("optimizer_weights")
        og.attrs["weight_names"] = numpy.array([n.encode() for n in optimizer_names])
        for n, v in zip(optimizer_names, optimizer_values):
            og[n] = v


def test_keras22_functional_file(tmp_path):
    rng = numpy.random.default_rng(9)
    k1, b1 = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=4).astype("float32")
    k2, b2 = rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=2).astype("float32")
    model_config = {"class_name": "Model", "config": {"name": "model_1", "layers": [
        {"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [], "config": {
            "batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
            "name": "input_1"}},
        {"name": "dense_1", "class_name": "Dense", "config": _dense22("dense_1", 4, "relu"),
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"name": "dense_2", "class_name": "Dense", "config": _dense22("dense_2", 2, "softmax"),
         "inbound_nodes": [[["dense_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_2", 0, 0]]}}
    params = [k1, b1, k2, b2]
    ms = [numpy.full(p.shape, 0.1 * (i + 1), "float32") for i, p in enumerate(params)]
    vs = [numpy.full(p.shape, 0.01 * (i + 1), "float32") for i, p in enumerate(params)]
    vhats = [numpy.zeros((1,), "float32") for _ in params]  # Keras 2.2 Adam without amsgrad
    names = ["Adam/iterations:0"] + ["training/Adam/Variable_%d:0" % i for i in range(12)]
    path = tmp_path / "keras22.h5"
    _write_keras22_file(path, model_config,
                        [("input_1", []), ("dense_1", [k1, b1]), ("dense_2", [k2, b2])],
                        names, [numpy.int64(7)] + ms + vs + vhats)
    model = keras.models.load_model(str(path))
    assert isinstance(model, keras.Model) and [lyr.name for lyr in model.layers] == [
        "input_1", "dense_1", "dense_2"]
    x = rng.normal(size=(5, 3)).astype("float32")
    h = numpy.maximum(x @ k1 + b1, 0) @ k2 + b2
    expected = numpy.exp(h - h.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    numpy.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    opt = model.optimizer
    assert isinstance(opt, keras.optimizers.Adam)
    assert opt.learning_rate.numpy() == pytest.approx(0.001)
    assert int(opt.iterations.numpy()) == 7
    state = opt.get_weights()  # gkeras/tf-keras order: iterations, then m, v per weight
    for i in range(4):
        numpy.testing.assert_array_equal(state[1 + 2 * i], ms[i])
        numpy.testing.assert_array_equal(state[2 + 2 * i], vs[i])
    model.fit(x, numpy.eye(2, dtype="float32")[[0, 1, 0, 1, 0]], verbose=0)


def test_keras22_sequential_and_keras20_list_configs(tmp_path):
    rng = numpy.random.default_rng(3)
    k, b = rng.normal(size=(3, 2)).astype("float32"), numpy.zeros(2, "float32")
    dense = {"class_name": "Dense", "config": _dense22("dense_1", 2, "softmax",
                                                       batch_input_shape=[None, 3],
                                                       dtype="float32")}
    for n, config in enumerate(({"name": "sequential_1", "layers": [dense]}, [dense])):
        path = tmp_path / ("seq%d.h5" % n)
        _write_keras22_file(path, {"class_name": "Sequential", "config": config},
                            [("dense_1", [k, b])], ["Adam/iterations:0"], [numpy.int64(0)])
        model = keras.models.load_model(str(path))
        assert isinstance(model, keras.Sequential)
        numpy.testing.assert_array_equal(model.layers[0].get_weights()[0], k)


def test_unrestorable_optimizer_state_warns_and_starts_fresh(tmp_path):
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    model.compile("adam", "mse")
    model.fit(numpy.ones((2, 3), "float32"), numpy.ones((2, 2), "float32"), verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        g = f["optimizer_weights"]
        g.attrs["weight_names"] = [b"iteration:0", b"mystery:0"]
        g["mystery:0"] = numpy.zeros(5, "float32")
    with pytest.warns(UserWarning, match="freshly initialised optimizer"):
        loaded = keras.models.load_model(str(tmp_path / "m.h5"))
    assert int(loaded.optimizer.iterations.numpy()) == 0
