#!/usr/bin/env bash
# The one prepared GPU check, for a lent GPU machine (H200, CUDA 13; cupy-cuda13x, numpy,
# h5py, pytest and PyTorch preinstalled; nothing can be downloaded there). Runs gkeras
# from this source tree, in under 5 minutes:
#   1. versions and the device gkeras selects,
#   2. every `gpu`-marked test (each CUDA kernel against its numpy twin, determinism,
#      training on CuPy equal to numpy, save on GPU / load on CPU and back, NCCL on one
#      device, multi_gpu_model(gpus=1)),
#   3. a short mnist-style CNN fit on the GPU (loss must fall),
#   4. data-parallel scaling with multi_gpu_model over the GPUs there are (NCCL),
#   5. the kernel benchmark against PyTorch's cuDNN (benchmarks/gpu_kernels.py).
# Usage, from the repository root:  bash benchmarks/gpu_check.sh [OUT_DIR]
# Output goes to stdout and, when OUT_DIR is given, to OUT_DIR/gpu_check.log plus the
# benchmark's JSON. Exit status is non-zero if any step failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out_dir="${1:-}"
if [[ -n "$out_dir" ]]; then
    mkdir -p "$out_dir"
    exec > >(tee "$out_dir/gpu_check.log") 2>&1
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export GKERAS_DEVICE=gpu
status=0

echo "== gkeras GPU check at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
timeout 60 python3 - <<'PY' || status=1
import platform, numpy, cupy, h5py, pytest
print("python", platform.python_version(), "| numpy", numpy.__version__, "| cupy",
      cupy.__version__, "| h5py", h5py.__version__, "| pytest", pytest.__version__)
print("cuda runtime", cupy.cuda.runtime.runtimeGetVersion(), "| driver",
      cupy.cuda.runtime.driverGetVersion(), "| device",
      cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
try:
    import torch
    print("torch", torch.__version__, "| cuda available", torch.cuda.is_available())
except Exception as e:
    print("torch unavailable:", e)
from gkeras.backend import xp
print("gkeras computes with:", xp.device_description())
assert xp.is_gpu(), "gkeras did not select the GPU"
PY

echo "== gpu-marked tests"
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests || status=1

echo "== short CNN fit on the GPU"
timeout 60 python3 - <<'PY' || status=1
import numpy
import gkeras as keras
L = keras.layers
rng = numpy.random.default_rng(0)
x = rng.random((512, 28, 28, 1), dtype=numpy.float32)
labels = (x[:, :14].mean(axis=(1, 2, 3)) > x[:, 14:].mean(axis=(1, 2, 3))).astype(int)
y = keras.utils.to_categorical(labels, 2)
model = keras.Sequential([L.Conv2D(16, 3, activation="relu", input_shape=(28, 28, 1)),
                          L.MaxPooling2D(), L.Conv2D(16, 3, activation="relu"),
                          L.GlobalMaxPooling2D(), L.Dense(2, activation="softmax")])
model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
hist = model.fit(x, y, batch_size=64, epochs=5, verbose=2)
loss = hist.history["loss"]
print("loss", [round(v, 4) for v in loss])
assert loss[-1] < loss[0], "loss did not fall on the GPU"
PY

echo "== data-parallel scaling (multi_gpu_model, NCCL; MPI is skipped without mpiexec)"
timeout 90 python3 benchmarks/scaling.py --quick || status=1

echo "== kernel benchmark (gkeras vs PyTorch cuDNN)"
json_arg=()
[[ -n "$out_dir" ]] && json_arg=(--json "$out_dir/gpu_kernels.json")
timeout 150 python3 benchmarks/gpu_kernels.py "${json_arg[@]}" || status=1

echo "== gpu_check finished with status $status"
exit "$status"
