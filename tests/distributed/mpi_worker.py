"""Run by tests/distributed/test_mpi.py under `mpiexec -n P`: trains the shared test
model data-parallel over the ranks and has rank 0 write the results to argv[1] (.npz)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import gkeras as keras  # noqa: E402
from gkeras.distributed import mpi  # noqa: E402
from mpi_case import build, build_bn, data, train, train_bn  # noqa: E402


def main_sync_bn(out_path):
    """SyncBatchNormalization trained over the ranks: rank r writes out_path % r."""
    mpi.init()
    x, y, w = data(n=17)
    model = mpi.distributed_model(build_bn(keras.layers.SyncBatchNormalization,
                                           seed=0 if mpi.rank() == 0 else 7))
    history = train_bn(model, x, y, w)
    np.savez(out_path % mpi.rank(), *[np.asarray(v) for v in model.get_weights()],
             loss=np.asarray(history.history["loss"]))
    mpi.barrier()


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
    if sys.argv[2:] == ["sync_bn"]:
        main_sync_bn(sys.argv[1])
    else:
        main(sys.argv[1])
