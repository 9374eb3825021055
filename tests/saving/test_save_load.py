"""model.save / load_model: one file, Keras's layout, resuming exactly where training stopped."""
import json
import os

import h5py
import numpy
import pytest

import gkeras as keras
from gkeras import layers as L
from gkeras import optimizers
from gkeras.saving import hdf5_format


def _sequential():
    return keras.Sequential([L.Dense(6, activation="relu", input_shape=(4,)),
                             L.BatchNormalization(), L.Dropout(0.0),
                             L.Dense(3, activation="softmax")])


def _functional():
    inp = keras.Input((4,))
    h = L.Dense(6, activation="relu")(inp)
    h = L.BatchNormalization()(h)
    h = L.Dropout(0.0)(h)
    skip = L.Dense(6)(inp)
    out = L.Dense(3, activation="softmax")(L.Add()([h, skip]))
    return keras.Model(inp, out)


OPTIMIZERS = {
    "sgd_momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "adam": lambda: optimizers.Adam(0.01),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
}


def _data(n=24):
    rng = numpy.random.default_rng(7)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = numpy.eye(3, dtype="float32")[rng.integers(0, 3, size=n)]
    return x, y


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_fit_save_load_fit_equals_fit_straight(tmp_path, kind, opt, suffix):
    """fit 2 epochs, save, load, fit 2 more == fit 4 epochs (shuffle off), bit for bit."""
    build = _sequential if kind == "sequential" else _functional
    x, y = _data()
    keras.utils.set_random_seed(3)
    model = build()
    initial = model.get_weights()
    model.compile(OPTIMIZERS[opt](), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / ("m" + suffix))
    model.save(path)
    del model
    resumed = keras.models.load_model(path)
    history = resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    straight = build()
    straight.set_weights(initial)
    straight.compile(OPTIMIZERS[opt](), "categorical_crossentropy", metrics=["accuracy"])
    reference = straight.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    for a, b in zip(resumed.optimizer.get_weights(), straight.optimizer.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    assert history.history["loss"] == reference.history["loss"][2:]
    assert history.history["accuracy"] == reference.history["accuracy"][2:]


def test_h5_layout_is_keras(tmp_path):
    """Root attributes, model_weights and optimizer_weights as tf-keras writes them."""
    x, y = _data()
    model = _sequential()
    model.compile(optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        assert sorted(f.attrs) == ["backend", "keras_version", "model_config",
                                   "training_config"]
        assert f.attrs["backend"] == "gkeras"
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [lyr["class_name"] for lyr in config["config"]["layers"]] == [
            "InputLayer", "Dense", "BatchNormalization", "Dropout", "Dense"]
        training = json.loads(f.attrs["training_config"])
        assert list(training) == ["loss", "metrics", "weighted_metrics", "loss_weights",
                                  "optimizer_config"]
        assert training["loss"] == "categorical_crossentropy"
        assert training["optimizer_config"]["class_name"] == "Custom>Adam"
        assert training["optimizer_config"]["config"]["learning_rate"] == pytest.approx(0.01)
        assert training["metrics"] == [[{"class_name": "MeanMetricWrapper", "config": {
            "name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]]
        weights = f["model_weights"]
        assert list(weights.attrs["layer_names"]) == ["dense", "batch_normalization",
                                                      "dropout", "dense_1"]
        assert list(weights["batch_normalization"].attrs["weight_names"]) == [
            "batch_normalization/gamma:0", "batch_normalization/beta:0",
            "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
        assert weights["dense/dense/kernel:0"].shape == (4, 6)
        assert weights["dropout"].attrs["weight_names"].dtype == numpy.float64  # empty list
        assert "top_level_model_weights" in weights
        opt = f["optimizer_weights"]
        names = list(opt.attrs["weight_names"])
        assert names[:3] == ["iteration:0", "Adam/m/dense/kernel:0", "Adam/v/dense/kernel:0"]
        assert opt["iteration:0"][()] == 3 and opt["iteration:0"].dtype == numpy.int64
        assert opt["Adam/m/dense/kernel:0"].shape == (4, 6)
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_multi_output_training_config_round_trip(tmp_path):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = L.Concatenate()([L.Dense(4)(a), b])
    reg = L.Dense(1, name="reg")(h)
    cls = L.Dense(3, activation="softmax", name="cls")(h)
    model = keras.Model([a, b], [reg, cls])
    model.compile("adam", {"reg": "mse", "cls": "categorical_crossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.25},
                  metrics={"cls": ["accuracy", "mae"]}, weighted_metrics={"reg": ["mae"]})
    rng = numpy.random.default_rng(0)
    xs = [rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")]
    ys = [rng.normal(size=(8, 1)).astype("float32"),
          numpy.eye(3, dtype="float32")[rng.integers(0, 3, 8)]]
    first = model.fit(xs, ys, epochs=1, verbose=0)
    for suffix in (".h5", ".keras"):
        model.save(tmp_path / ("m" + suffix))
        clone = keras.models.load_model(tmp_path / ("m" + suffix))
        assert clone.metrics_names == model.metrics_names
        assert clone._losses.weights == [1.0, 0.25]
        again = clone.fit(xs, ys, epochs=1, verbose=0)
        assert list(again.history) == list(first.history)


def test_nested_and_shared_models_round_trip(tmp_path):
    inner_seq = keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,)),
                                  L.BatchNormalization()], name="inner_seq")
    i2 = keras.Input((4,))
    inner_fn = keras.Model(i2, L.Dense(3)(i2), name="inner_fn")
    a, b = keras.Input((3,)), keras.Input((3,))
    shared = L.Dense(3, name="shared")
    out = L.Add()([inner_fn(inner_seq(shared(a))), inner_fn(inner_seq(shared(b)))])
    model = keras.Model([a, b], L.Dense(2)(out))
    model.compile(optimizers.SGD(0.1, momentum=0.9), "mse")
    rng = numpy.random.default_rng(1)
    xs = [rng.normal(size=(6, 3)).astype("float32") for _ in range(2)]
    y = rng.normal(size=(6, 2)).astype("float32")
    model.fit(xs, y, epochs=2, verbose=0)
    for suffix in (".h5", ".keras"):
        path = tmp_path / ("nested" + suffix)
        model.save(path)
        clone = keras.models.load_model(path)
        numpy.testing.assert_array_equal(clone.predict(xs, verbose=0),
                                         model.predict(xs, verbose=0))
        assert int(clone.optimizer.iterations.numpy()) == 2
        for p, q in zip(clone.optimizer.get_weights(), model.optimizer.get_weights()):
            numpy.testing.assert_array_equal(p, q)
    with h5py.File(tmp_path / "nested.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
        by_name = {lyr["name"]: lyr for lyr in config["config"]["layers"]}
        # Keras numbers a nested model's calls from 1 (its node 0 links its own graph)
        assert by_name["inner_fn"]["inbound_nodes"] == [[["inner_seq", 1, 0, {}]],
                                                        [["inner_seq", 2, 0, {}]]]
        assert list(f["model_weights/inner_seq"].attrs["weight_names"])[0] == "dense/kernel:0"


def test_include_optimizer_false_and_compile_false(tmp_path):
    x, y = _data()
    model = _sequential()
    model.compile("adam", "categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "bare.h5", include_optimizer=False)
    with h5py.File(tmp_path / "bare.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.warns(UserWarning, match="No training configuration"):
        bare = keras.models.load_model(tmp_path / "bare.h5")
    assert not bare._compiled
    numpy.testing.assert_array_equal(bare.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save(tmp_path / "full.h5")
    uncompiled = keras.models.load_model(tmp_path / "full.h5", compile=False)
    assert not uncompiled._compiled and uncompiled.optimizer is None


def test_unbuilt_and_unfitted_models(tmp_path):
    deferred = keras.Sequential([L.Dense(2)])
    with pytest.raises(NotImplementedError, match="input shape"):
        deferred.save(tmp_path / "x.h5")
    assert not os.path.exists(tmp_path / "x.h5")
    model = _functional()
    model.compile("adam", "mse")  # compiled, never trained: no slots yet
    model.save(tmp_path / "fresh.h5")
    clone = keras.models.load_model(tmp_path / "fresh.h5")
    assert int(clone.optimizer.iterations.numpy()) == 0
    x, y = _data()
    clone.fit(x, y, epochs=1, verbose=0)


def test_save_format_and_overwrite(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match="save_format"):
        model.save(tmp_path / "m", save_format="tf")
    model.save(tmp_path / "m.hdf5")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.hdf5", overwrite=False)
    model.save(tmp_path / "archive", save_format="keras")
    assert keras.models.load_model(tmp_path / "archive").count_params() == model.count_params()
    keras.models.save_model(model, str(tmp_path / "api.keras"))
    with open(tmp_path / "api.keras", "rb") as f:
        assert f.read(2) == b"PK"


def test_keras_archive_layout(tmp_path):
    import zipfile
    model = _functional()
    model.compile(optimizers.Adam(0.01), "mse", metrics=["mae"])
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        with zf.open("model.weights.h5") as member, h5py.File(member, "r") as h5:
            groups = []
            h5.visit(groups.append)
            assert "layers/dense/vars/0" in groups and "layers/dense_2/vars/1" in groups
            assert "layers/input_layer/vars" in groups
            assert "layers/batch_normalization/vars/3" in groups
            assert h5["optimizer/vars/0"].dtype == numpy.int64
    assert config["class_name"] == "Functional" and config["registered_name"] == "Functional"
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["metrics"] == ["mae"]
    dense = [e for e in config["config"]["layers"] if e["class_name"] == "Dense"][0]
    assert dense["module"] == "keras.layers" and dense["build_config"] == {
        "input_shape": [None, 4]}


def test_weights_h5_and_keras_archives_for_load_weights(tmp_path):
    model = _functional()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert "layers/dense/vars/0" in f and "layer_names" not in f.attrs
    other = _functional()
    other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    model.save(tmp_path / "whole.keras")
    model.save(tmp_path / "whole.h5")
    for name in ("whole.keras", "whole.h5"):
        third = _functional()
        third.load_weights(tmp_path / name)
        for a, b in zip(model.get_weights(), third.get_weights()):
            numpy.testing.assert_array_equal(a, b)


def test_model_checkpoint_writes_whole_models(tmp_path):
    x, y = _data()
    model = _sequential()
    model.compile(optimizers.SGD(0.1, momentum=0.9), "categorical_crossentropy")
    path = str(tmp_path / "ckpt-{epoch}.h5")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(path)])
    restored = keras.models.load_model(str(tmp_path / "ckpt-2.h5"))
    assert int(restored.optimizer.iterations.numpy()) == 2
    numpy.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_failed_save_over_a_good_file_leaves_it_intact(tmp_path, monkeypatch):
    for suffix in (".h5", ".keras"):
        model = _sequential()
        path = tmp_path / ("good" + suffix)
        model.save(path)
        good = path.read_bytes()

        def explode(*args, **kwargs):
            raise OSError("No space left on device")
        if suffix == ".h5":
            monkeypatch.setattr(hdf5_format, "save_optimizer_weights_to_group", explode)
            monkeypatch.setattr(hdf5_format, "save_weights_to_group", explode)
        else:
            from gkeras.saving import keras_zip
            monkeypatch.setattr(keras_zip, "_zip_entry", explode)
        with pytest.raises(OSError, match="No space"):
            _sequential().save(path)
        monkeypatch.undo()
        assert path.read_bytes() == good
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        keras.models.load_model(path, compile=False)


def test_interrupt_during_save_leaves_no_partial_file(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(hdf5_format, "save_weights_to_group", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _sequential().save(tmp_path / "new.h5")
    assert list(tmp_path.iterdir()) == []


SEED_SNIPPET = """\
from keras.models import load_model
model.save('my_model.h5') # creates a HDF5 file 'my_model.h5'
del model # deletes the existing model
# returns a compiled model
# identical to the previous one
model = load_model('my_model.h5')
"""


def test_seed_save_load_snippet_verbatim(tmp_path, monkeypatch):
    """The seed notes' save/load snippet, run as written (keras -> gkeras)."""
    monkeypatch.chdir(tmp_path)
    x, y = _data()
    model = _sequential()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    before = model.predict(x, verbose=0)
    namespace = {"model": model}
    exec(compile(SEED_SNIPPET.replace("keras", "gkeras"), "<seed snippet>", "exec"), namespace)
    loaded = namespace["model"]
    assert loaded is not model and loaded._compiled
    assert isinstance(loaded.optimizer, optimizers.RMSprop)
    numpy.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    loaded.fit(x, y, epochs=1, verbose=0)


def test_clone_model_and_keras22_import_paths(tmp_path):
    from gkeras.engine import saving as engine_saving
    model = _functional()
    clone = keras.models.clone_model(model)
    assert [lyr.name for lyr in clone.layers] == [lyr.name for lyr in model.layers]
    assert clone is not model and clone.count_params() == model.count_params()
    engine_saving.save_model(model, str(tmp_path / "m.h5"))
    assert engine_saving.load_model(str(tmp_path / "m.h5"), compile=False).count_params() == \
        model.count_params()
    with h5py.File(tmp_path / "m.h5", "r") as f:
        engine_saving.load_weights_from_hdf5_group(f["model_weights"], clone.layers)
    for a, b in zip(model.get_weights(), clone.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_load_weights_by_name_from_a_whole_model_file(tmp_path):
    model = _sequential()
    model.save(tmp_path / "m.h5")
    other = keras.Sequential([L.Dense(6, input_shape=(4,), name="dense"),
                              L.Dense(5, name="dense_1")])
    with pytest.raises(ValueError, match="Shape mismatch.*dense_1"):
        other.load_weights(tmp_path / "m.h5", by_name=True)
    with pytest.warns(UserWarning, match="Skipping loading"):
        other.load_weights(tmp_path / "m.h5", by_name=True, skip_mismatch=True)
    numpy.testing.assert_array_equal(other.layers[0].get_weights()[0],
                                     model.layers[0].get_weights()[0])


def test_load_weights_from_files_without_keras_weights(tmp_path):
    model = _functional()
    model.save_weights(tmp_path / "v3.weights.h5")
    with pytest.raises(ValueError, match="by_name"):
        model.load_weights(tmp_path / "v3.weights.h5", by_name=True)
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f["x"] = numpy.zeros(3)
    with pytest.raises(ValueError, match="no Keras weights"):
        model.load_weights(tmp_path / "empty.h5")
