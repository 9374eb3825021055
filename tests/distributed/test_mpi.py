"""Multi-process data parallelism (gkeras.distributed.mpi) equals single-process training.

The 2-rank test launches the virtualenv's `mpiexec` (from `pip install 'gkeras[mpi]'`,
which CI installs) next to `sys.executable`; it is skipped only when mpi4py is missing.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from gkeras.distributed import mpi

import gkeras as keras

from .mpi_case import build, build_bn, data, train, train_bn

HERE = os.path.dirname(os.path.abspath(__file__))


def _has_mpi4py():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def test_missing_mpi4py_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(mpi._state, "comm", None)
    with pytest.raises(RuntimeError, match=r"pip install 'gkeras\[mpi\]'.*mpiexec"):
        mpi.init()


@pytest.mark.mpi
@pytest.mark.skipif(not _has_mpi4py(), reason="mpi4py is not installed: "
                    "pip install 'gkeras[mpi]' (CI installs it)")
def test_two_ranks_equal_single_process(tmp_path):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    assert os.path.exists(mpiexec), (
        "mpi4py is installed but %s is missing: pip install 'gkeras[mpi]' installs mpich, "
        "which provides it" % mpiexec)
    out = str(tmp_path / "mpi.npz")
    env = dict(os.environ, GKERAS_DEVICE="cpu")
    proc = subprocess.run([mpiexec, "-n", "2", sys.executable,
                           os.path.join(HERE, "mpi_worker.py"), out],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # only rank 0 prints progress: one "Epoch 1/3" line, not two
    assert proc.stdout.count("Epoch 1/3") == 1, proc.stdout
    assert os.path.exists(tmp_path / "ckpt.h5") and os.path.exists(tmp_path / "log.csv")
    got = np.load(out)
    assert int(got["size"]) == 2

    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    x, y, w = data()
    model = build()
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        history, pred, evaluated = train(model, x, y, w, str(ref_dir))
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], np.ones(3))  # skipped
    for i, ref in enumerate(model.get_weights()):
        np.testing.assert_allclose(got["arr_%d" % i], ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["loss"], history.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(got["val_loss"], history.history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(got["pred"], pred, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["evaluated"], evaluated, rtol=1e-5)


@pytest.mark.mpi
@pytest.mark.skipif(not _has_mpi4py(), reason="mpi4py is not installed: "
                    "pip install 'gkeras[mpi]' (CI installs it)")
def test_two_ranks_sync_batchnorm_equals_single_process_batchnorm(tmp_path):
    # SyncBatchNormalization (nested) over 2 ranks: statistics all-reduced in forward and
    # backward; batches 8, 8, 1 (uneven slices; rank 1's last slice is empty but joins
    # the collectives). Weights and moving statistics equal plain BatchNormalization on
    # the whole batch, on every rank.
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    assert os.path.exists(mpiexec), "%s is missing: pip install 'gkeras[mpi]'" % mpiexec
    out = str(tmp_path / "bn_%d.npz")
    env = dict(os.environ, GKERAS_DEVICE="cpu")
    proc = subprocess.run([mpiexec, "-n", "2", sys.executable,
                           os.path.join(HERE, "mpi_worker.py"), out, "sync_bn"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    x, y, w = data(n=17)
    ref = build_bn(keras.layers.BatchNormalization)
    history = train_bn(ref, x, y, w)
    ref_weights = ref.get_weights()
    assert len(ref_weights) == 7  # kernel; gamma, beta, moving mean, variance; kernel, bias
    for rank in range(2):
        got = np.load(out % rank)
        for i, want in enumerate(ref_weights):
            np.testing.assert_allclose(got["arr_%d" % i], want, rtol=2e-5, atol=2e-6,
                                       err_msg="rank %d, weight %d" % (rank, i))
        np.testing.assert_allclose(got["loss"], history.history["loss"], rtol=1e-5)
