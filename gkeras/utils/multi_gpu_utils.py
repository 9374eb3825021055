"""`multi_gpu_model`: Keras 2's data-parallel wrapper, on CuPy devices with NCCL.

`parallel_model = multi_gpu_model(model, gpus=8)` returns a model that splits every batch
across 8 replicas (with `batch_size=256` each device gets 32 samples), sums the gradients
with one NCCL all-reduce and applies the same update on every replica. The returned model
shares the template's layers and weights: `model.save(...)`, `parallel_model.save(...)` and
`ModelCheckpoint` on either write an ordinary single-device model file.

Without GPUs (CI), set `GKERAS_SIMULATED_DEVICES=N` (N >= gpus): N numpy replicas then
run the same split / all-reduce / update logic through an in-process communicator.
"""
import os

from ..backend import cuda as _cuda
from ..backend import xp as _xp

#: environment variable giving the number of simulated (numpy) devices
SIMULATED_DEVICES_ENV = "GKERAS_SIMULATED_DEVICES"


def _simulated_devices():
    value = os.environ.get(SIMULATED_DEVICES_ENV, "").strip()
    if not value:
        return None
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 1:
        raise ValueError("%s=%r is not understood: expected a positive integer (the number "
                         "of simulated devices)." % (SIMULATED_DEVICES_ENV, value))
    return n


def _device_ids(gpus):
    if isinstance(gpus, bool):
        raise ValueError("`gpus` must be an int or a list of device ids, got %r" % (gpus,))
    if isinstance(gpus, (list, tuple)):
        ids = list(gpus)
        if not ids:
            raise ValueError("`gpus` is an empty list: give at least one device id.")
        for d in ids:
            if isinstance(d, bool) or not isinstance(d, int) or d < 0:
                raise ValueError("Device ids in `gpus` must be non-negative integers, got "
                                 "%r" % (gpus,))
        if len(set(ids)) != len(ids):
            raise ValueError("Device ids in `gpus` repeat: %r" % (gpus,))
        return ids
    try:
        count = int(gpus)
    except (TypeError, ValueError):
        raise ValueError("`gpus` must be an int or a list of device ids, got %r"
                         % (gpus,)) from None
    if count != gpus or count < 1:
        raise ValueError("`gpus` must be a positive integer, got %r" % (gpus,))
    return list(range(count))


def multi_gpu_model(model, gpus, cpu_merge=True, cpu_relocation=False):
    """Replicates `model` on several devices (Keras 2's data parallelism).

    Every batch is split into `len(gpus)` slices (sizes differ by at most one; a batch
    smaller than the device count leaves the last devices idle), each device runs forward
    and backward on its slice, the gradients are summed with NCCL (`cupy.cuda.nccl`) and
    every replica applies the same optimizer update. Loss and metrics are weighted by slice
    sizes, so they equal the single-device values on the whole batch.

    Args:
        model: a built gkeras model (the template). Its layers and weights are shared with
            the returned model (replica 0 IS the template), so saving either one writes an
            ordinary single-device file.
        gpus: an int >= 1 (devices 0..gpus-1) or a list of CUDA device ids. Unlike Keras,
            which raises for `gpus=1`, gkeras allows one device (same code path, useful for
            testing a script before scaling it).
        cpu_merge: accepted for Keras compatibility; outputs are always gathered on the host
            for `predict` and weights live on every device.
        cpu_relocation: accepted for Keras compatibility; without effect (the template is
            replica 0 and is never relocated).

    Returns:
        A `gkeras.distributed.DataParallelModel` (a `Model`): compile, fit, evaluate,
        predict and save it as a normal model.

    Raises:
        ValueError: `gpus` is malformed, or fewer devices exist than asked (Keras's
            message), or a device id does not exist.
        RuntimeError: several GPUs are asked for but NCCL is missing (with how to install
            `nvidia-nccl-cu12` / `nvidia-nccl-cu13`).

    Simulated devices: with the environment variable `GKERAS_SIMULATED_DEVICES=N` set and no
    GPU in use, `gpus` up to N (ids < N) run as that many replicas on numpy through
    `gkeras.distributed.InProcessCommunicator`: the same split / all-reduce / update logic.
    """
    from ..distributed import DataParallelModel, InProcessCommunicator, NCCLCommunicator
    ids = _device_ids(gpus)
    if not getattr(model, "built", False) or not getattr(model, "_is_graph_network", False):
        raise ValueError("multi_gpu_model needs a built model: give its first layer an "
                         "`input_shape` (or call `build`) first.")
    simulated = _simulated_devices()
    if _xp.is_gpu():
        available = _cuda.device_count()
        kind = "gpu"
    else:
        available = simulated or 0
        kind = "simulated numpy device" if simulated else "gpu"
    target = ["/cpu:0"] + ["/gpu:%d" % i for i in ids]
    have = ["/cpu:0"] + ["/gpu:%d" % i for i in range(available)]
    if isinstance(gpus, (list, tuple)):
        missing = [i for i in ids if i >= available]
        if missing:
            raise ValueError(
                "multi_gpu_model: device id(s) %s do not exist: this machine has %d %s(s)%s "
                "(valid ids: 0..%d)." % (missing, available, kind,
                                         "" if available else " (set %s=N to simulate N "
                                         "devices on the CPU)" % SIMULATED_DEVICES_ENV,
                                         available - 1))
    if max(ids) >= available:
        raise ValueError(
            "To call `multi_gpu_model` with `gpus=%s`, we expect the following devices to "
            "be available: %s. However this machine only has: %s. Try reducing `gpus`."
            "%s" % (gpus, target, have,
                    "" if _xp.is_gpu() else " (No GPU is in use: set the environment "
                    "variable %s=N, N >= %d, to run N simulated devices on numpy.)"
                    % (SIMULATED_DEVICES_ENV, len(ids))))
    if _xp.is_gpu():
        current = _cuda.current_device()
        if ids[0] != current:
            raise ValueError(
                "multi_gpu_model: replica 0 is the template model itself, whose weights "
                "live on the current device %d; list that device first in `gpus` (got %r)."
                % (current, gpus))
        communicator = NCCLCommunicator(ids)
    else:
        communicator = InProcessCommunicator(len(ids))
    return DataParallelModel(model, communicator)
