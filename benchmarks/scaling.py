"""Data-parallel scaling: training samples/s for 1..N devices and 1..P MPI ranks.

    python benchmarks/scaling.py [--quick] [--devices N] [--ranks P] [--threads T]

* devices: `DataParallelModel` in one process. On the CPU these are simulated replicas
  (`InProcessCommunicator`, what `GKERAS_SIMULATED_DEVICES=N` gives): they run one after
  another, so the ideal speedup is 1 and the table shows the algorithm's overhead (split,
  flat-buffer all-reduce, N optimizer updates). With CuPy it uses every GPU there is
  (`multi_gpu_model(model, gpus=n)` for n = 1..device count, NCCL).
* ranks: `gkeras.distributed.mpi` under the virtualenv's `mpiexec -n p` (next to
  `sys.executable`; `pip install 'gkeras[mpi]'`), each rank limited to T BLAS threads.

The global batch is the same for every count (each replica/rank gets batch/N samples).
Parallel efficiency = samples/s(N) / (N * samples/s(1)).
"""
import argparse
import json
import os
import subprocess
import sys
import time


def _limit_threads(threads):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def _setup(args):
    import numpy as np

    import gkeras as keras
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.randn(args.samples, args.features).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 10, args.samples), 10)
    model = keras.models.Sequential(
        [keras.layers.Dense(args.width, activation="relu", input_shape=(args.features,)),
         keras.layers.Dense(args.width, activation="relu"),
         keras.layers.Dense(10, activation="softmax")])
    return keras, model, x, y


def _time_fit(model, keras, x, y, args):
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    return args.epochs * len(x) / (time.perf_counter() - start)


def run_devices(args):
    """[(n, samples/s)] for DataParallelModel on 1..N devices (simulated on the CPU)."""
    from gkeras.backend import cuda
    from gkeras.backend import xp as _xp
    from gkeras.distributed import DataParallelModel, InProcessCommunicator
    gpu = _xp.is_gpu()
    top = cuda.device_count() if gpu else args.devices
    out = []
    for n in range(1, top + 1):
        keras, model, x, y = _setup(args)
        if gpu:
            parallel = keras.utils.multi_gpu_model(model, gpus=n)
        else:
            parallel = DataParallelModel(model, InProcessCommunicator(n))
        out.append((n, _time_fit(parallel, keras, x, y, args)))
    return ("gpu (NCCL)" if gpu else "simulated (numpy, sequential)"), out


def mpi_worker(args):
    """Under mpiexec: times distributed training; rank 0 prints one JSON line."""
    from gkeras.distributed import mpi
    mpi.init()
    keras, model, x, y = _setup(args)
    rate = _time_fit(mpi.distributed_model(model), keras, x, y, args)
    if mpi.rank() == 0:
        print(json.dumps({"ranks": mpi.size(), "samples_per_s": rate}))


def run_ranks(args):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        return "MPI skipped: no %s (pip install 'gkeras[mpi]')" % mpiexec, []
    out = []
    for p in range(1, args.ranks + 1):
        cmd = [mpiexec, "-n", str(p), sys.executable, os.path.abspath(__file__),
               "--mpi-worker"] + _forward(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                              env=dict(os.environ))
        if proc.returncode != 0:
            raise RuntimeError("mpiexec -n %d failed:\n%s%s" % (p, proc.stdout, proc.stderr))
        line = [s for s in proc.stdout.splitlines() if s.startswith("{")][-1]
        out.append((p, json.loads(line)["samples_per_s"]))
    return "MPI ranks on the CPU (%s)" % mpiexec, out


def _forward(args):
    return ["--samples", str(args.samples), "--features", str(args.features),
            "--width", str(args.width), "--batch-size", str(args.batch_size),
            "--epochs", str(args.epochs), "--threads", str(args.threads)]


def _table(title, rows):
    lines = [title, "%6s %14s %9s %11s" % ("N", "samples/s", "speedup", "efficiency")]
    base = rows[0][1] if rows else None
    for n, rate in rows:
        lines.append("%6d %14.1f %9.2f %10.0f%%" % (n, rate, rate / base,
                                                    100.0 * rate / (n * base)))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI-sized: small data, 1 epoch")
    p.add_argument("--devices", type=int, default=4, help="simulated devices (CPU only)")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads per process")
    p.add_argument("--samples", type=int, default=8192)
    p.add_argument("--features", type=int, default=256)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--mpi-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.quick:
        args.samples, args.epochs, args.width = 2048, 1, 256
    _limit_threads(args.threads)
    if args.mpi_worker:
        return mpi_worker(args)
    print("gkeras data-parallel scaling: %d samples x %d features, MLP %d-%d-10, global "
          "batch %d, %d epoch(s), %d BLAS thread(s) per process"
          % (args.samples, args.features, args.width, args.width, args.batch_size,
             args.epochs, args.threads))
    title, rows = run_devices(args)
    print(_table("devices: " + title, rows))
    title, rows = run_ranks(args)
    print(_table(title, rows) if rows else title)


if __name__ == "__main__":
    main()
