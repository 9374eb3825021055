"""gkeras.ops._cpu_parallel: batch blocks on threads, split GEMMs, and the twins run that way.

Every CPU pass split into blocks must give exactly the one-block result: the
`forced_parallel` fixture makes every call parallel (3 threads, tiny blocks, no size
threshold) and the results are compared with the same call run as one block.
"""
import os
import threading
import time

import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.ops import _conv_cpu as C
from gkeras.ops import _cpu_parallel as par
from gkeras.ops import _ref_numpy as R


@pytest.fixture
def forced_parallel(monkeypatch):
    """Every pass in many small blocks on 3 threads (more threads than this machine may have)."""
    monkeypatch.setattr(par, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(par, "BLOCK_BYTES", 2048)
    monkeypatch.setattr(par, "GEMM_BLOCK_BYTES", 2048)
    monkeypatch.setattr(par, "GEMM_MIN_FLOPS", 0)
    monkeypatch.setattr(R, "_COPY_BLOCK_BYTES", 2048)
    monkeypatch.setattr(C, "_GEMM_BLOCK_BYTES", 2048)
    par.set_num_threads(3)
    yield
    par.set_num_threads(None)


def _serial(fn, *args):
    """fn(*args) as one block on the calling thread."""
    saved = par.num_threads()
    par.set_num_threads(1)
    try:
        old = (par.BLOCK_BYTES, par.GEMM_BLOCK_BYTES, R._COPY_BLOCK_BYTES, C._GEMM_BLOCK_BYTES)
        par.BLOCK_BYTES = par.GEMM_BLOCK_BYTES = 1 << 60
        R._COPY_BLOCK_BYTES = C._GEMM_BLOCK_BYTES = 1 << 60
        try:
            return fn(*args)
        finally:
            (par.BLOCK_BYTES, par.GEMM_BLOCK_BYTES, R._COPY_BLOCK_BYTES,
             C._GEMM_BLOCK_BYTES) = old
    finally:
        par.set_num_threads(saved)


def _same(a, b):
    a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.flags.c_contiguous
        # the same bits (NaN included), not merely close values
        assert x.tobytes() == y.tobytes()


# ---------------------------------------------------------------------------- the helper
def test_blocks_cover_the_range_and_depend_on_sizes_only():
    for n, item, block in [(1, 10, 100), (7, 10, 25), (128, 1000, 4096), (5, 1, 1 << 20)]:
        parts = par.blocks(n, item, block)
        assert parts[0][0] == 0 and parts[-1][1] == n
        assert all(lo < hi for lo, hi in parts)
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
        assert len(parts) == min(n, max(1, -(-n * item // block)))
    assert par.blocks(0, 10) == []
    assert len(par.blocks(100, 1, 1 << 20, min_blocks=8)) == 8
    # no thread count in the signature: blocks are the same whatever the threads
    par.set_num_threads(1)
    one = par.blocks(64, 4096)
    par.set_num_threads(3)
    try:
        assert par.blocks(64, 4096) == one
    finally:
        par.set_num_threads(None)


def test_run_returns_block_results_in_order_and_uses_the_threads(forced_parallel):
    seen = set()

    def fn(lo, hi):
        seen.add(threading.get_ident())
        time.sleep(0.002)  # long enough for every thread to take blocks
        return lo, hi

    out = par.run(fn, 50, 1000)
    assert out == par.blocks(50, 1000, None, par.MIN_BLOCKS)
    assert len(seen) > 1


def test_a_slow_thread_takes_fewer_blocks(forced_parallel):
    # blocks go to whichever thread is free: one stalled block does not hold back others
    ran = {}

    def fn(lo, hi):
        ran[lo] = threading.get_ident()
        time.sleep(0.2 if lo == 0 else 0.002)

    par.run(fn, 30, 1000)
    stalled = ran[0]
    assert sum(t == stalled for t in ran.values()) == 1


def test_run_waits_for_every_block_before_raising(forced_parallel):
    started, finished = [], []

    def fn(lo, hi):
        started.append(lo)
        time.sleep(0.002)
        if lo == 0:
            raise RuntimeError("block 0")
        finished.append(lo)

    with pytest.raises(RuntimeError, match="block 0"):
        par.run(fn, 30, 1000)
    # no block is still running once run raises, and blocks stop being taken
    assert sorted(finished + [0]) == sorted(started)
    assert len(started) < len(par.blocks(30, 1000, None, par.MIN_BLOCKS))


def test_nested_runs_stay_on_the_worker(forced_parallel):
    def inner(lo, hi):
        return threading.get_ident()

    def outer(lo, hi):
        return set(par.run(inner, 10, 1000)) == {threading.get_ident()}

    assert all(par.run(outer, 10, 1000))


def test_thread_count_from_the_environment(monkeypatch):
    for var in ("GKERAS_CPU_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    par.set_num_threads(None)
    try:
        assert par.num_threads() == 1
        monkeypatch.setenv("GKERAS_CPU_THREADS", "bad")
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        par.set_num_threads(None)
        assert par.num_threads() == min(2, par._cores())
    finally:
        monkeypatch.undo()
        par.set_num_threads(None)


@pytest.mark.parametrize("m, k, n", [(300, 7, 5), (6, 7, 300), (5, 300, 6), (40, 40, 40)])
def test_matmul_splits_rows_columns_or_the_inner_axis(forced_parallel, m, k, n):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose(par.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    # transposed views, as the convolution's kernel gradient passes them
    np.testing.assert_allclose(par.matmul(b.T, a.T), b.T @ a.T, rtol=1e-12, atol=1e-12)
    c = par.matmul(a.astype(np.float32), b.astype(np.float32))
    assert c.dtype == np.float32 and c.flags.c_contiguous


def test_blas_single_sets_one_thread_and_restores(forced_parallel):
    libs = par._openblas()
    if not libs:
        pytest.skip("no OpenBLAS thread control in this process")
    before = [get() for get, _ in libs]
    with par.blas_single() as single:
        assert single
        with par.blas_single():
            assert [get() for get, _ in libs] == [1] * len(libs)
        assert [get() for get, _ in libs] == [1] * len(libs)
    assert [get() for get, _ in libs] == before


def test_tune_malloc_is_idempotent():
    par.tune_malloc()
    par.tune_malloc()
    assert par._malloc["tuned"]


# ---------------------------------------------------------------------------- the twins in blocks
def _x(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


CONV_2D = [  # shape, (kh, kw), strides, pads, dilations, out
    ((5, 9, 8, 3), (3, 3), (1, 1), (0, 0), (1, 1), (7, 6)),
    ((5, 9, 8, 3), (3, 2), (2, 1), (1, 1), (1, 2), (5, 8)),
    ((4, 6, 7, 2), (2, 3), (1, 1), (1, 2), (2, 1), (6, 9)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ks, strides, pads, dil, out", CONV_2D)
def test_lowering_in_blocks_is_bit_identical(forced_parallel, dtype, shape, ks, strides,
                                             pads, dil, out):
    x = _x(shape, dtype=dtype)
    args = ks + strides + pads + dil + out
    _same(R.im2col_2d(x, *args), _serial(R.im2col_2d, x, *args))
    cols = _x((shape[0],) + out + ks + (shape[3],), seed=1, dtype=dtype)
    cargs = shape[1:3] + strides + pads + dil
    _same(R.col2im_2d(cols, *cargs), _serial(R.col2im_2d, cols, *cargs))


def test_3d_lowering_in_blocks_is_bit_identical(forced_parallel):
    x = _x((3, 4, 5, 3, 2))
    args = (2, 3, 2, 1, 2, 1, 0, 1, 0, 1, 1, 2, 3, 3, 1)
    _same(R.im2col_3d(x, *args), _serial(R.im2col_3d, x, *args))
    cols = _x((3, 3, 3, 1, 2, 3, 2, 2), seed=1)
    cargs = (4, 5, 3, 1, 2, 1, 0, 1, 0, 1, 1, 2)
    _same(R.col2im_3d(cols, *cargs), _serial(R.col2im_3d, cols, *cargs))


@pytest.mark.parametrize("shape, ks, strides, pads, dil, out", CONV_2D + [
    ((3, 5, 6, 7, 2), (2, 3, 2), (1, 1, 1), (1, 0, 1), (1, 1, 2), (5, 4, 5))])
def test_col2im_matmul_in_blocks(forced_parallel, shape, ks, strides, pads, dil, out):
    rng = np.random.default_rng(5)
    n, c, f = shape[0], shape[-1], 4
    g = rng.standard_normal((n * int(np.prod(out)), f))
    wmat = rng.standard_normal((int(np.prod(ks)) * c, f))
    spatial = shape[1:-1]
    cols = (g @ wmat.T).reshape((n,) + out + ks + (c,))
    col2im = R.col2im_2d if len(ks) == 2 else R.col2im_3d
    expected = col2im(cols, *spatial, *strides, *pads, *dil)
    got = C.col2im_matmul(g, wmat, ks, out, spatial, strides, pads, dil)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert got.flags.c_contiguous
    np.testing.assert_allclose(_serial(C.col2im_matmul, g, wmat, ks, out, spatial, strides,
                                       pads, dil), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, ks, strides, pads, dil, out", [
    ((5, 7, 6, 4), (3, 3), (1, 1), (1, 1), (1, 1), (7, 6)),  # row-shifted columns
    ((5, 7, 6, 4), (3, 2), (1, 2), (0, 0), (2, 1), (3, 3)),  # row-shifted, dilated rows
    ((5, 7, 6, 4), (3, 3), (2, 1), (1, 1), (1, 1), (4, 6)),  # plain im2col (row stride 2)
])
def test_conv_fusions_in_blocks_are_bit_identical(forced_parallel, shape, ks, strides, pads,
                                                  dil, out):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)
    wmat = rng.standard_normal((int(np.prod(ks)) * shape[-1], 2))
    bias = rng.standard_normal(2)
    args = (x, wmat, ks, strides, pads, dil, out, bias, True)
    y = C.conv_matmul(*args)
    _same(y, _serial(C.conv_matmul, *args))
    g = rng.standard_normal(y.shape)
    bargs = (x, g, wmat, ks, strides, pads, dil, out, shape[1:-1], True, True, True, y)
    _same(C.conv_backward(*bargs), _serial(C.conv_backward, *bargs))


POOLS = [  # shape, ks, strides, pads, out
    ((6, 8, 8, 3), (2, 2), (2, 2), (0, 0), (4, 4)),
    ((5, 7, 9, 2), (3, 3), (2, 2), (1, 1), (4, 5)),
    ((4, 6, 5, 2), (2, 3), (1, 2), (0, 1), (5, 3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ks, strides, pads, out", POOLS)
def test_pooling_in_blocks_is_bit_identical(forced_parallel, dtype, shape, ks, strides, pads,
                                            out):
    rng = np.random.default_rng(2)
    x = rng.integers(-2, 3, size=shape).astype(dtype)  # ties everywhere
    x.flat[::7] = np.nan
    x.flat[::11] = -np.inf
    fargs = ks + strides + pads + out
    y, argmax = R.max_pool_2d(x, *fargs)
    _same((y, argmax), _serial(R.max_pool_2d, x, *fargs))
    _same(R.avg_pool_2d(x, *fargs), _serial(R.avg_pool_2d, x, *fargs))
    gy = _x(y.shape, seed=3, dtype=dtype)
    bargs = shape[1:3] + ks + strides + pads
    _same(R.max_pool_2d_bwd(gy, argmax, *bargs), _serial(R.max_pool_2d_bwd, gy, argmax, *bargs))
    _same(R.avg_pool_2d_bwd(gy, *bargs), _serial(R.avg_pool_2d_bwd, gy, *bargs))


def test_max_pool_with_nan_and_minus_infinity_follows_the_kernel_scan():
    # the scan: y = -inf; for each tap: if v > y: y, arg = v, t. NaN never wins; a window
    # of NaN and -inf keeps y = -inf and arg at the first in-bounds tap.
    x = np.array([np.nan, -np.inf, -np.inf, np.nan, 1.0, np.nan, 2.0, 2.0,
                  np.nan, np.nan, np.nan, np.nan]).reshape(1, 1, 12, 1)
    y, argmax = R.max_pool_2d(x, 1, 4, 1, 4, 0, 0, 1, 3)
    assert np.isneginf(y[0, 0, 0, 0]) and argmax[0, 0, 0, 0] == 0
    assert y[0, 0, 1, 0] == 2.0 and argmax[0, 0, 1, 0] == 2
    assert np.isneginf(y[0, 0, 2, 0]) and argmax[0, 0, 2, 0] == 0


def test_large_windows_keep_int32_argmax():
    x = _x((2, 17, 17, 1))
    y, argmax = R.max_pool_2d(x, 17, 17, 1, 1, 0, 0, 1, 1)  # 289 taps: more than a uint8
    flat = x.reshape(2, -1)
    np.testing.assert_array_equal(argmax.reshape(2), flat.argmax(axis=1))
    np.testing.assert_array_equal(y.reshape(2), flat.max(axis=1))


# ---------------------------------------------------------------------------- the nn ops in blocks
def _value_and_grads(fn, *arrays):
    vs = [Variable(a) for a in arrays]
    with Tape() as tape:
        y = fn(*vs)
    gy = np.random.default_rng(9).standard_normal(y.shape).astype(y.dtype)
    grads = tape.gradient(y, vs, output_gradient=gy)
    return (y.numpy(),) + tuple(np.asarray(g) for g in grads)


@pytest.mark.parametrize("axis", [-1, 1])
def test_bias_relu_and_relu_in_blocks_are_bit_identical(forced_parallel, axis):
    x = _x((7, 5, 4, 6), dtype=np.float32)
    x[0, 0, 0, :] = 0.0
    b = _x((x.shape[axis],), seed=1, dtype=np.float32)
    for fn in (lambda t, c: ops.bias_relu(t, c, axis=axis),
               lambda t, c: ops.relu(ops.bias_add(t, c, axis=axis))):
        got = _value_and_grads(fn, x, b)
        want = _serial(_value_and_grads, fn, x, b)
        _same(got[:2], want[:2])
        # the bias gradient adds per-block partial sums: equal up to rounding
        np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-5)


def test_dropout_in_blocks_keeps_the_random_stream(forced_parallel):
    from gkeras.backend import random as gk_random
    x = _x((9, 4, 5))
    mask = (gk_random.generator(seed=4).random(size=x.shape, dtype="float32") >= 0.3) / 0.7
    y = ops.dropout(as_tensor(x), 0.3, rng=gk_random.generator(seed=4))
    np.testing.assert_allclose(y.numpy(), x * mask, rtol=1e-15)
    got = _value_and_grads(lambda t: ops.dropout(t, 0.3, rng=gk_random.generator(seed=4)), x)
    want = _serial(_value_and_grads,
                   lambda t: ops.dropout(t, 0.3, rng=gk_random.generator(seed=4)), x)
    _same(got, want)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12: fork with threads
def test_forked_child_gets_a_fresh_pool(forced_parallel):
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    par.run(lambda lo, hi: None, 10, 1000)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # child: must not hang on the parent's threads
        ok = par.run(lambda lo, hi: hi - lo, 10, 1000) == [
            hi - lo for lo, hi in par.blocks(10, 1000, None, par.MIN_BLOCKS)]
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("make", [
    lambda o: o.SGD(0.1, momentum=0.9, nesterov=True), lambda o: o.RMSprop(centered=True,
                                                                         momentum=0.5),
    lambda o: o.Adam(amsgrad=True), lambda o: o.Adagrad(), lambda o: o.Adadelta(1.0),
    lambda o: o.Adamax(), lambda o: o.Nadam()])
def test_optimizer_updates_in_blocks_are_bit_identical(forced_parallel, make):
    from gkeras import optimizers

    def train(blocks):
        rng = np.random.default_rng(0)
        var = Variable(rng.standard_normal((37, 5)).astype(np.float32))
        opt = make(optimizers)
        for _ in range(3):
            g = rng.standard_normal((37, 5)).astype(np.float32)
            if blocks:
                opt.apply_gradients([(g, var)])
            else:
                _serial(opt.apply_gradients, [(g, var)])
        return var.numpy(), [w.copy() for w in opt.get_weights()]

    (w1, s1), (w2, s2) = train(True), train(False)
    _same(w1, w2)
    for a, b in zip(s1, s2):
        _same(a, b)
