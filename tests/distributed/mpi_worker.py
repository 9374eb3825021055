"""Run by tests/distributed/test_mpi.py under `mpiexec -n P`: trains the shared test
model data-parallel over the ranks and has rank 0 write the results to argv[1] (.npz)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import gkeras as keras  # noqa: E402
from gkeras.distributed import mpi  # noqa: E402
from mpi_case import build, data, train  # noqa: E402


def main(out_path):
    mpi.init()
    x, y, w = data()
    if mpi.rank() != 0:  # rank 0's initial weights must win
        keras.utils.set_random_seed(123)
        model = build(seed=99)
        keras.utils.set_random_seed(5)  # and rank 0's shuffling
    else:
        model = build()
    model = mpi.distributed_model(model)
    workdir = os.path.dirname(out_path)
    history, pred, evaluated = train(model, x, y, w, workdir)
    if mpi.rank() == 0:
        np.savez(out_path, *[np.asarray(v) for v in model.get_weights()],
                 loss=np.asarray(history.history["loss"]),
                 val_loss=np.asarray(history.history["val_loss"]),
                 pred=pred, evaluated=np.asarray(evaluated), size=mpi.size())
    mpi.barrier()


if __name__ == "__main__":
    main(sys.argv[1])
