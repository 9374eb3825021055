"""The GPU path against the CPU path, for `benchmarks/gpu_check.sh` on a machine with a GPU.

Training on CuPy equals training on numpy (same weights, same batches, float32
tolerance) through the fused convolution ops and the relu fusion; a model saved on the
GPU loads on the CPU and back; NCCL runs on one device; `multi_gpu_model(gpus=1)`
trains as the plain model does. On the CPU these tests are skipped (conftest).
"""
import contextlib

import numpy
import pytest

import gkeras as keras
from gkeras.backend import xp as _xp

pytestmark = pytest.mark.gpu
L = keras.layers


@contextlib.contextmanager
def on_cpu():
    """Computes with numpy inside the block (the process otherwise computes on the GPU)."""
    saved = dict(_xp._state)
    _xp._state.update(xp=numpy, reason="numpy for a CPU reference")
    try:
        yield
    finally:
        _xp._state.update(saved)


def _cnn():
    return keras.Sequential([
        L.Conv2D(8, 3, padding="same", input_shape=(12, 12, 3)), L.Activation("relu"),
        L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(),
        L.Conv2D(6, 3, strides=2, padding="same"), L.BatchNormalization(),
        L.GlobalAveragePooling2D(), L.Dense(6), L.Activation("relu"),
        L.Dense(3, activation="softmax")])


def _conv1d_3d():
    inp = keras.Input((6, 6, 6, 2))
    a = L.Conv3D(4, 3, padding="same", activation="relu")(inp)
    a = L.Reshape((6 * 6 * 6, 4))(a)
    a = L.Conv1D(5, 3, padding="causal", dilation_rate=2)(a)
    a = L.Activation("relu")(a)
    return keras.Model(inp, L.Dense(3, activation="softmax")(L.Flatten()(a)))


def _train(build, x, y, weights=None):
    keras.utils.set_random_seed(3)
    model = build()
    if weights is not None:
        model.set_weights(weights)
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "categorical_crossentropy")
    losses = [float(model.train_on_batch(x, y)) for _ in range(4)]
    return model, losses


@pytest.mark.parametrize("build, shape", [(_cnn, (16, 12, 12, 3)),
                                          (_conv1d_3d, (8, 6, 6, 6, 2))])
def test_training_on_the_gpu_equals_training_on_the_cpu(build, shape):
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal(shape).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, shape[0]), 3)
    with on_cpu():
        start = build().get_weights()  # the same initial weights for both runs
        cpu_model, cpu_losses = _train(build, x, y, start)
        cpu_weights = cpu_model.get_weights()
    gpu_model, gpu_losses = _train(build, x, y, start)
    assert _xp.is_gpu() and type(gpu_model.weights[0].data).__module__.startswith("cupy")
    numpy.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4, atol=1e-5)
    for g, c in zip(gpu_model.get_weights(), cpu_weights):
        numpy.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


def test_saved_on_the_gpu_loads_on_the_cpu_and_back(tmp_path):
    x = numpy.random.default_rng(1).standard_normal((4, 12, 12, 3)).astype("float32")
    model = _cnn()
    model.compile("adam", "mse")
    model.save(tmp_path / "gpu.h5")
    want = model.predict(x, verbose=0)
    with on_cpu():
        cpu = keras.models.load_model(tmp_path / "gpu.h5")
        assert isinstance(cpu.weights[0].data, numpy.ndarray)
        numpy.testing.assert_allclose(cpu.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
        cpu.save(tmp_path / "cpu.keras")
    back = keras.models.load_model(tmp_path / "cpu.keras")
    numpy.testing.assert_allclose(back.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


def test_nccl_on_one_device():
    from gkeras.distributed import NCCLCommunicator
    cp = _xp.xp()
    comm = NCCLCommunicator([0])
    with comm.device_scope(0):
        assert cp.cuda.get_current_stream().ptr == comm._streams[0].ptr
        a = cp.arange(10, dtype=cp.float32)
        comm.allreduce_sum([a])
        comm.broadcast([a], root=0)
        comm._streams[0].synchronize()
    numpy.testing.assert_array_equal(_xp.asnumpy(a), numpy.arange(10, dtype="float32"))


def test_multi_gpu_model_with_one_gpu_trains_as_the_model(tmp_path):
    from gkeras.utils import multi_gpu_model
    rng = numpy.random.default_rng(2)
    x = rng.standard_normal((40, 12, 12, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 40), 3)
    start = _cnn().get_weights()
    plain, _ = _train(_cnn, x, y, start)
    keras.utils.set_random_seed(3)
    template = _cnn()
    template.set_weights(start)
    parallel = multi_gpu_model(template, gpus=1)
    parallel.compile(keras.optimizers.SGD(0.05, momentum=0.9), "categorical_crossentropy")
    for _ in range(4):
        parallel.train_on_batch(x, y)
    for a, b in zip(template.get_weights(), plain.get_weights()):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    parallel.save(tmp_path / "parallel.h5")  # an ordinary single-device file
    loaded = keras.models.load_model(tmp_path / "parallel.h5")
    numpy.testing.assert_allclose(loaded.predict(x[:4], verbose=0),
                                  template.predict(x[:4], verbose=0), rtol=1e-5, atol=1e-6)
