"""The one gate to the GPU: chooses numpy or CuPy for the whole process.

`GKERAS_DEVICE` selects the array module: `auto` (default) uses CuPy when it
imports and a CUDA device answers, numpy otherwise; `cpu` forces numpy; `gpu`
forces CuPy and raises a clear error when no GPU is usable. This is the only
module (with `backend/cuda.py`) that imports cupy.
"""
import os

import numpy

_VALID_DEVICES = ("auto", "cpu", "gpu")
_state = {"xp": None, "reason": None}


class DeviceUnavailableError(RuntimeError):
    """Raised when `GKERAS_DEVICE=gpu` is set but no CUDA device is usable."""


def _probe_cupy():
    """Returns (cupy module or None, reason string) after checking a device works."""
    try:
        import cupy
    except Exception as e:  # ImportError, or a broken CUDA install raising on import
        return None, "cupy is not importable (%s: %s)" % (type(e).__name__, e)
    try:
        if not cupy.cuda.is_available():
            return None, "cupy is installed but cupy.cuda.is_available() is False"
        cupy.zeros(1, dtype="float32").sum().item()  # touches the driver and a kernel
    except Exception as e:  # CUDARuntimeError, CompileException, driver mismatch ...
        return None, "cupy is installed but no CUDA device is usable (%s: %s)" % (
            type(e).__name__, e)
    return cupy, "cupy with a usable CUDA device"


def _select():
    device = os.environ.get("GKERAS_DEVICE", "auto").strip().lower() or "auto"
    if device not in _VALID_DEVICES:
        raise ValueError(
            "GKERAS_DEVICE=%r is not understood; expected one of %s."
            % (device, ", ".join(_VALID_DEVICES)))
    if device == "cpu":
        return numpy, "GKERAS_DEVICE=cpu"
    cupy, reason = _probe_cupy()
    if cupy is not None:
        return cupy, reason
    if device == "gpu":
        raise DeviceUnavailableError(
            "GKERAS_DEVICE=gpu was requested but no GPU is usable: %s. Install "
            "gkeras[cuda12] or gkeras[cuda13] on a machine with an NVIDIA GPU, or "
            "set GKERAS_DEVICE=cpu (or auto) to run on numpy." % reason)
    return numpy, "numpy fallback: " + reason


def xp():
    """Returns the array module (numpy or cupy) that gkeras computes with."""
    if _state["xp"] is None:
        _state["xp"], _state["reason"] = _select()
    return _state["xp"]


def device_description():
    """A one-line explanation of which array module is in use and why."""
    xp()
    return "%s (%s)" % (_state["xp"].__name__, _state["reason"])


def reset():
    """Forgets the cached choice so the next call re-reads GKERAS_DEVICE (tests)."""
    _state["xp"] = None
    _state["reason"] = None


def is_gpu():
    """True when computation runs on CuPy."""
    return xp() is not numpy


def get_array_module(*arrays):
    """The module owning `arrays` (numpy for host arrays and scalars)."""
    for a in arrays:
        module = type(a).__module__
        if module.startswith("cupy"):
            return xp()
    return numpy


def asnumpy(a):
    """Copies a device array to host; returns host arrays and scalars as numpy."""
    if hasattr(a, "get") and type(a).__module__.startswith("cupy"):
        return a.get()
    return numpy.asarray(a)


def asarray(a, dtype=None):
    """Moves `a` onto the active array module, converting dtype if given."""
    return xp().asarray(a, dtype=dtype)
