"""The one gate to the GPU: device selection, fallback, and the import rule."""
import pathlib
import re
import sys
import types

import numpy
import pytest

from gkeras.backend import xp as xp_module

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def reselect(monkeypatch):
    """Re-runs device selection under a patched environment, restoring it afterwards."""
    def run(device=None, cupy=None):
        if device is None:
            monkeypatch.delenv("GKERAS_DEVICE", raising=False)
        else:
            monkeypatch.setenv("GKERAS_DEVICE", device)
        if cupy is not None:
            monkeypatch.setitem(sys.modules, "cupy", cupy)
        xp_module.reset()
        return xp_module.xp()
    yield run
    monkeypatch.undo()
    xp_module.reset()


def _fake_cupy(available, raises=None):
    """A stand-in for an installed CuPy whose CUDA runtime is (un)usable."""
    class CUDARuntimeError(RuntimeError):
        pass

    def is_available():
        if raises:
            raise CUDARuntimeError(raises)
        return available

    def zeros(*args, **kwargs):
        raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(is_available=is_available)
    fake.zeros = zeros
    return fake


def test_cpu_forced(reselect):
    assert reselect("cpu") is numpy
    assert "GKERAS_DEVICE=cpu" in xp_module.device_description()


def test_unknown_device_value_is_a_clear_error(reselect):
    with pytest.raises(ValueError, match=r"GKERAS_DEVICE='tpu'.*auto, cpu, gpu"):
        reselect("tpu")


def test_auto_falls_back_when_cupy_installed_but_no_gpu(reselect):
    """A laptop with gkeras[cuda12]: cupy imports but cuda.is_available() is False."""
    assert reselect(None, cupy=_fake_cupy(available=False)) is numpy
    assert "is_available() is False" in xp_module.device_description()


def test_auto_falls_back_when_cuda_runtime_raises(reselect):
    """CuPy calls that raise CUDARuntimeError must not escape: numpy is used instead."""
    assert reselect("auto", cupy=_fake_cupy(available=True)) is numpy
    assert "CUDARuntimeError" in xp_module.device_description()
    assert reselect("auto", cupy=_fake_cupy(False, raises="driver too old")) is numpy


def test_gpu_forced_without_gpu_raises_clearly(reselect):
    with pytest.raises(xp_module.DeviceUnavailableError, match="GKERAS_DEVICE=gpu.*no GPU"):
        reselect("gpu", cupy=_fake_cupy(available=False))


def test_real_cupy_without_gpu_falls_back(reselect):
    """When the real CuPy is importable on a machine with no usable GPU, auto is numpy."""
    cupy = pytest.importorskip("cupy")
    try:
        usable = cupy.cuda.is_available()
    except Exception:
        usable = False
    if usable:
        pytest.skip("a GPU is usable here; the fallback cannot be observed")
    assert reselect("auto") is numpy
    with pytest.raises(xp_module.DeviceUnavailableError):
        reselect("gpu")


def test_training_runs_on_the_selected_module(reselect):
    """End to end on the fallback: a model trains with numpy arrays throughout."""
    import gkeras as keras
    reselect(None, cupy=_fake_cupy(available=False))
    model = keras.Sequential([keras.layers.Dense(2, input_dim=3)])
    model.compile("sgd", "mse")
    model.fit(numpy.ones((4, 3)), numpy.zeros((4, 2)), verbose=0)
    assert isinstance(model.layers[0].kernel.data, numpy.ndarray)


def test_cupy_is_imported_only_in_the_backend_gate():
    """DESIGN.md's 'one gate to the GPU': no other module imports cupy."""
    pattern = re.compile(r"^\s*(import cupy|from cupy)", re.M)
    allowed = {ROOT / "gkeras/backend/xp.py", ROOT / "gkeras/backend/cuda.py"}
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "gkeras").rglob("*.py")
                 if p not in allowed and pattern.search(p.read_text())]
    assert offenders == []


def test_asnumpy_and_array_module_on_host_arrays():
    a = numpy.arange(3)
    assert xp_module.get_array_module(a) is numpy
    assert xp_module.asnumpy(a) is a
    assert xp_module.asnumpy([1, 2]).tolist() == [1, 2]
