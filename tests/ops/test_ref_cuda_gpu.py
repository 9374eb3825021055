"""The CUDA kernels on a real GPU (CuPy) against their numpy twins; skipped without a GPU.

What the CPU emulation (tests/kernels) cannot show is covered here: many threads and
blocks running at once (races, a missing atomic), the real compiler and the real launch.
Every launcher of `gkeras/ops/_ref_cuda.py` runs over the emulation's grid of geometries
plus a few layer-sized shapes, in float32 and float64, with outputs compared to the numpy
twins; the backward kernels must give bit-identical results run to run.
"""
import numpy
import pytest

from gkeras.backend import xp as _xp
from gkeras.ops import _ref_cuda, _ref_numpy

from kernels.cases import CONV_2D, CONV_3D, GLOBAL, POOL_2D, POOL_3D, make_cases

pytestmark = pytest.mark.gpu

DTYPES = (numpy.float32, numpy.float64)
# Layer-sized geometries: enough blocks and threads for races and grid-stride loops.
LARGE_CONV_2D = make_cases([(16, 32, 32, 24), (4, 57, 43, 5)], [(3, 3), (5, 5)],
                           [(1, 1), (2, 2)], [(1, 1), (2, 2)])
LARGE_POOL_2D = make_cases([(16, 32, 32, 24), (4, 57, 43, 5)], [(2, 2), (3, 3)],
                           [(2, 2), (1, 1)], [(1, 1)])
LARGE_3D = make_cases([(2, 12, 14, 16, 8)], [(3, 3, 3)], [(1, 1, 1), (2, 2, 2)], [(1, 1, 1)])
LARGE_GLOBAL = [(32, 49, 512), (3, 4096, 7)]


def _cp():
    return _xp.xp()


def _close(got, expected, what):
    got = _xp.asnumpy(got)
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    if got.dtype.kind == "f":
        tol = dict(rtol=1e-5, atol=1e-6) if got.dtype == numpy.float32 else dict(
            rtol=1e-12, atol=1e-13)
        numpy.testing.assert_allclose(got, expected, err_msg=what, **tol)
    else:
        numpy.testing.assert_array_equal(got, expected, err_msg=what)


def _pair(x):
    return x, _cp().asarray(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_col2im_2d(rng, dtype):
    for case in CONV_2D + LARGE_CONV_2D:
        shape, ks, ss, pads, ds, out = case
        what = "%s %s" % (numpy.dtype(dtype).name, case)
        x, gx = _pair(rng.standard_normal(shape).astype(dtype))
        args = ks + ss + pads + ds + out
        _close(_ref_cuda.im2col_2d(gx, *args), _ref_numpy.im2col_2d(x, *args), what)
        cols, gcols = _pair(rng.standard_normal((shape[0],) + out + ks + shape[-1:])
                            .astype(dtype))
        args = shape[1:3] + ss + pads + ds
        _close(_ref_cuda.col2im_2d(gcols, *args), _ref_numpy.col2im_2d(cols, *args), what)


@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_col2im_3d(rng, dtype):
    for case in CONV_3D + LARGE_3D:
        shape, ks, ss, pads, ds, out = case
        what = "%s %s" % (numpy.dtype(dtype).name, case)
        x, gx = _pair(rng.standard_normal(shape).astype(dtype))
        args = ks + ss + pads + ds + out
        _close(_ref_cuda.im2col_3d(gx, *args), _ref_numpy.im2col_3d(x, *args), what)
        cols, gcols = _pair(rng.standard_normal((shape[0],) + out + ks + shape[-1:])
                            .astype(dtype))
        args = shape[1:4] + ss + pads + ds
        _close(_ref_cuda.col2im_3d(gcols, *args), _ref_numpy.col2im_3d(cols, *args), what)


def _pooling(rng, dtype, cases, suffix):
    for case in cases:
        shape, ks, ss, pads, _, out = case
        what = "%s %s" % (numpy.dtype(dtype).name, case)
        fwd = ks + ss + pads + out
        bwd = shape[1:-1] + ks + ss + pads
        x, gx = _pair(rng.integers(-2, 3, size=shape).astype(dtype))  # ties are common
        y, argmax = getattr(_ref_numpy, "max_pool" + suffix)(x, *fwd)
        gy_, gargmax = getattr(_ref_cuda, "max_pool" + suffix)(gx, *fwd)
        _close(gy_, y, what)
        _close(gargmax, argmax, what)
        g, gg = _pair(rng.standard_normal(y.shape).astype(dtype))
        _close(getattr(_ref_cuda, "max_pool" + suffix + "_bwd")(gg, gargmax, *bwd),
               getattr(_ref_numpy, "max_pool" + suffix + "_bwd")(g, argmax, *bwd), what)
        x, gx = _pair(rng.standard_normal(shape).astype(dtype))
        _close(getattr(_ref_cuda, "avg_pool" + suffix)(gx, *fwd),
               getattr(_ref_numpy, "avg_pool" + suffix)(x, *fwd), what)
        _close(getattr(_ref_cuda, "avg_pool" + suffix + "_bwd")(gg, *bwd),
               getattr(_ref_numpy, "avg_pool" + suffix + "_bwd")(g, *bwd), what)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_2d(rng, dtype):
    _pooling(rng, dtype, POOL_2D + LARGE_POOL_2D, "_2d")


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_3d(rng, dtype):
    _pooling(rng, dtype, POOL_3D + LARGE_3D, "_3d")


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_pooling(rng, dtype):
    for shape in GLOBAL + LARGE_GLOBAL:
        what = "%s %s" % (numpy.dtype(dtype).name, shape)
        x, gx = _pair(rng.integers(-2, 3, size=shape).astype(dtype))
        y, argmax = _ref_numpy.global_max_pool(x)
        gy_, gargmax = _ref_cuda.global_max_pool(gx)
        _close(gy_, y, what)
        _close(gargmax, argmax, what)
        g, gg = _pair(rng.standard_normal(y.shape).astype(dtype))
        _close(_ref_cuda.global_max_pool_bwd(gg, gargmax, shape[1]),
               _ref_numpy.global_max_pool_bwd(g, argmax, shape[1]), what)
        x, gx = _pair(rng.standard_normal(shape).astype(dtype))
        _close(_ref_cuda.global_avg_pool(gx), _ref_numpy.global_avg_pool(x), what)
        _close(_ref_cuda.global_avg_pool_bwd(gg, shape[1]),
               _ref_numpy.global_avg_pool_bwd(g, shape[1]), what)


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_kernels_are_deterministic(rng, dtype):
    # Gathers, no atomics: the same inputs give the same bits, launch after launch.
    cp = _cp()
    cols = cp.asarray(rng.standard_normal((32, 32, 32, 3, 3, 16)).astype(dtype))
    vols = cp.asarray(rng.standard_normal((4, 8, 8, 8, 3, 3, 3, 8)).astype(dtype))
    x = cp.asarray(rng.standard_normal((32, 64, 64, 16)).astype(dtype))
    x3 = cp.asarray(rng.standard_normal((4, 16, 16, 16, 8)).astype(dtype))
    _, argmax = _ref_cuda.max_pool_2d(x, 3, 3, 2, 2, 0, 0, 31, 31)
    _, argmax3 = _ref_cuda.max_pool_3d(x3, 3, 3, 3, 2, 2, 2, 0, 0, 0, 7, 7, 7)
    gy = cp.asarray(rng.standard_normal((32, 31, 31, 16)).astype(dtype))
    gy3 = cp.asarray(rng.standard_normal((4, 7, 7, 7, 8)).astype(dtype))
    gyg = cp.asarray(rng.standard_normal((32, 16)).astype(dtype))
    _, argmaxg = _ref_cuda.global_max_pool(x.reshape(32, -1, 16))
    runs = {
        "col2im_2d": lambda: _ref_cuda.col2im_2d(cols, 64, 64, 2, 2, 1, 1, 1, 1),
        "col2im_3d": lambda: _ref_cuda.col2im_3d(vols, 16, 16, 16, 2, 2, 2, 1, 1, 1, 1, 1,
                                                 1),
        "max_pool_2d_bwd": lambda: _ref_cuda.max_pool_2d_bwd(gy, argmax, 64, 64, 3, 3, 2, 2,
                                                             0, 0),
        "avg_pool_2d_bwd": lambda: _ref_cuda.avg_pool_2d_bwd(gy, 64, 64, 3, 3, 2, 2, 0, 0),
        "max_pool_3d_bwd": lambda: _ref_cuda.max_pool_3d_bwd(gy3, argmax3, 16, 16, 16, 3, 3,
                                                             3, 2, 2, 2, 0, 0, 0),
        "avg_pool_3d_bwd": lambda: _ref_cuda.avg_pool_3d_bwd(gy3, 16, 16, 16, 3, 3, 3, 2, 2,
                                                             2, 0, 0, 0),
        "global_max_pool_bwd": lambda: _ref_cuda.global_max_pool_bwd(gyg, argmaxg, 64 * 64),
        "global_avg_pool_bwd": lambda: _ref_cuda.global_avg_pool_bwd(gyg, 64 * 64),
    }
    for name, run in runs.items():
        first = _xp.asnumpy(run())
        for _ in range(3):
            again = _xp.asnumpy(run())
            assert first.tobytes() == again.tobytes(), "%s differs between runs" % name


def test_kernels_refuse_other_dtypes():
    x = _cp().zeros((1, 4, 4, 1), dtype=numpy.float16)
    with pytest.raises(TypeError, match="float32 or float64"):
        _ref_cuda.im2col_2d(x, 2, 2, 1, 1, 0, 0, 1, 1, 3, 3)
