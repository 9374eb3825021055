"""multi_gpu_model: the seed example on simulated devices, saving, clear errors."""
import numpy as np
import pytest

import gkeras as keras
from gkeras.utils import multi_gpu_model


@pytest.fixture(autouse=True)
def _cpu(monkeypatch):
    monkeypatch.setenv("GKERAS_DEVICE", "cpu")
    from gkeras.backend import xp
    xp.reset()
    yield
    xp.reset()


def _template():
    keras.utils.set_random_seed(0)
    return keras.models.Sequential([
        keras.layers.Dense(16, activation="relu", input_shape=(10,)),
        keras.layers.Dense(4, activation="softmax")])


def test_seed_example(monkeypatch):
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "8")
    rng = np.random.RandomState(0)
    x = rng.randn(300, 10).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 4, 300), 4)
    model = _template()
    # the seed's lines, verbatim
    parallel_model = multi_gpu_model(model, gpus=8)
    parallel_model.compile(loss='categorical_crossentropy',
                           optimizer='rmsprop')
    parallel_model.fit(x, y, epochs=20, batch_size=256)
    assert parallel_model.communicator.size == 8
    assert parallel_model.replicas_in_sync()
    assert parallel_model._slices(256)[-1] == (7, 224, 256)  # 32 samples per device


def test_equals_single_device_via_multi_gpu_model(monkeypatch):
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "4")
    rng = np.random.RandomState(1)
    x = rng.randn(30, 10).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 4, 30), 4)
    ref = _template()
    ref.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    ref.fit(x, y, batch_size=7, epochs=2, shuffle=False, verbose=0)
    model = _template()
    par = multi_gpu_model(model, gpus=[0, 1, 2])
    par.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    par.fit(x, y, batch_size=7, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ref.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_save_loads_as_single_device_model(monkeypatch, tmp_path, suffix):
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "2")
    rng = np.random.RandomState(2)
    x = rng.randn(20, 10).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 4, 20), 4)
    model = _template()
    par = multi_gpu_model(model, gpus=2)
    par.compile(loss="categorical_crossentropy", optimizer="adam")
    ckpt = str(tmp_path / ("ckpt" + suffix))
    par.fit(x, y, batch_size=5, epochs=1, verbose=0,
            callbacks=[keras.callbacks.ModelCheckpoint(ckpt)])
    expected = model.predict(x)
    for path, who in ((str(tmp_path / ("par" + suffix)), par),
                      (str(tmp_path / ("tmpl" + suffix)), model)):
        who.save(path)
        loaded = keras.models.load_model(path) if who is par else \
            keras.models.load_model(path, compile=False)
        assert not isinstance(loaded, type(par))
        np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-6, atol=1e-6)
    loaded = keras.models.load_model(ckpt)
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-6, atol=1e-6)
    loaded.fit(x, y, batch_size=5, epochs=1, verbose=0)  # resumes on one device


def test_too_few_devices_keras_message(monkeypatch):
    monkeypatch.delenv("GKERAS_SIMULATED_DEVICES", raising=False)
    with pytest.raises(ValueError, match=r"To call `multi_gpu_model` with `gpus=8`, we "
                       r"expect the following devices to be available: .*However this "
                       r"machine only has: .*Try reducing `gpus`.*GKERAS_SIMULATED_DEVICES"):
        multi_gpu_model(_template(), gpus=8)
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "2")
    with pytest.raises(ValueError, match="Try reducing `gpus`"):
        multi_gpu_model(_template(), gpus=3)


def test_bad_arguments(monkeypatch):
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "2")
    with pytest.raises(ValueError, match=r"device id\(s\) \[5\] do not exist"):
        multi_gpu_model(_template(), gpus=[0, 5])
    for bad in (0, -1, [], [0, 0], [-1], "two", True, 1.5):
        with pytest.raises(ValueError):
            multi_gpu_model(_template(), gpus=bad)
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "zero")
    with pytest.raises(ValueError, match="GKERAS_SIMULATED_DEVICES"):
        multi_gpu_model(_template(), gpus=1)


def test_gpus_1_allowed_and_batch_size_checked(monkeypatch):
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "1")
    par = multi_gpu_model(_template(), gpus=1)
    par.compile(loss="categorical_crossentropy", optimizer="sgd")
    x = np.zeros((4, 10), "float32")
    y = keras.utils.to_categorical([0, 1, 2, 3], 4)
    for bad in (0, -3):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            par.fit(x, y, batch_size=bad, verbose=0)
    par.fit(x, y, batch_size=3, verbose=0)


def test_nccl_communicator_without_gpu_explains():
    from gkeras.distributed import NCCLCommunicator
    with pytest.raises(RuntimeError, match="nvidia-nccl-cu12"):
        NCCLCommunicator([0, 1])


def test_module_path():
    from gkeras.utils.multi_gpu_utils import multi_gpu_model as f
    assert f is multi_gpu_model
