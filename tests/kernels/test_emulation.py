"""The CUDA kernels, run on the CPU through kernels/cpu_emu.h, against the references.

Every launcher of `gkeras/ops/_ref_cuda.py` runs unchanged, with `cuda.get_kernel`
pointed at the emulated kernels (tests/kernels/emulation.py), over a grid of shapes,
kernel sizes, strides, dilations and paddings ('valid', TensorFlow's 'same', and the
'full' padding of transposed convolutions), in float32 and float64, under several launch
configurations: one thread, 3 blocks of 5 threads, and the launcher's own grid. Each
result is compared with the naive loop reference (tests/kernels/naive.py) and with the
numpy twin (gkeras/ops/_ref_numpy.py). Outputs start poisoned (NaN / 0x7F7F7F7F), so an
element no thread writes shows up.
"""
import numpy
import pytest

from gkeras.backend import cuda
from gkeras.ops import _ref_cuda, _ref_numpy

from . import emulation, naive
from .cases import CONV_2D, CONV_3D, GLOBAL, POOL_2D, POOL_3D

DTYPES = (numpy.float32, numpy.float64)
# (grid, block) forced on every launch; None keeps the launcher's own (one thread per
# output element, THREADS per block).
LAUNCH_CONFIGS = (((1,), (1,)), ((3,), (5,)), None)


class _Emulated:
    """Stands in for `cuda.get_kernel`: emulated kernels, optionally a forced launch."""

    def __init__(self):
        self.config = None

    def get_kernel(self, filename, name):
        kernel = emulation.load(filename).get_function(name)
        if self.config is None:
            return kernel
        grid, block = self.config
        return lambda _grid, _block, args: kernel(grid, block, args)


def _poisoned_empty(like, shape, dtype):
    out = numpy.empty(shape, dtype=dtype)
    out.view(numpy.uint8)[...] = 0xFF if out.dtype.kind == "f" else 0x7F
    return out


@pytest.fixture(scope="module", autouse=True)
def _built():
    emulation.build_all(list(cuda.KERNEL_FILES))


@pytest.fixture
def emulated(monkeypatch):
    backend = _Emulated()
    monkeypatch.setattr(cuda, "get_kernel", backend.get_kernel)
    monkeypatch.setattr(_ref_cuda, "_empty", _poisoned_empty)
    return backend


def _tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == numpy.float32 else dict(rtol=1e-12,
                                                                           atol=1e-13)


def _check(emulated, launcher, args, references, what):
    """Runs `launcher(*args)` under every launch configuration against `references`.

    `references` maps a name ('naive', 'twin') to the expected output (or tuple of
    outputs); float outputs compare within rounding, int outputs (argmax) exactly.
    """
    for config in LAUNCH_CONFIGS:
        emulated.config = config
        got = launcher(*args)
        got = got if isinstance(got, tuple) else (got,)
        for ref_name, expected in references.items():
            expected = expected if isinstance(expected, tuple) else (expected,)
            for g, e in zip(got, expected):
                msg = "%s vs %s, launch %s" % (what, ref_name, config or "default")
                assert g.shape == e.shape and g.dtype == e.dtype, msg
                assert g.flags.c_contiguous, msg
                if g.dtype.kind == "f":
                    numpy.testing.assert_allclose(g, e, err_msg=msg, **_tolerance(g.dtype))
                else:
                    numpy.testing.assert_array_equal(g, e, err_msg=msg)


def _describe(op, case, dtype):
    shape, ks, ss, pads, ds, out = case
    return "%s %s x%s k=%s s=%s p=%s d=%s out=%s" % (
        op, numpy.dtype(dtype).name, shape, ks, ss, pads, ds, out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_col2im_2d(emulated, rng, dtype):
    assert len(CONV_2D) > 300
    for case in CONV_2D:
        shape, (kh, kw), (sy, sx), (pt, pl), (dy, dx), (oh, ow) = case
        x = rng.standard_normal(shape).astype(dtype)
        args = (kh, kw, sy, sx, pt, pl, dy, dx, oh, ow)
        _check(emulated, _ref_cuda.im2col_2d, (x,) + args,
               {"naive": naive.im2col(x, (kh, kw), (sy, sx), (pt, pl), (dy, dx), (oh, ow)),
                "twin": _ref_numpy.im2col_2d(x, *args)},
               _describe("im2col_2d", case, dtype))
        cols = rng.standard_normal((shape[0], oh, ow, kh, kw, shape[3])).astype(dtype)
        h, w = shape[1:3]
        args = (h, w, sy, sx, pt, pl, dy, dx)
        _check(emulated, _ref_cuda.col2im_2d, (cols,) + args,
               {"naive": naive.col2im(cols, (h, w), (sy, sx), (pt, pl), (dy, dx)),
                "twin": _ref_numpy.col2im_2d(cols, *args)},
               _describe("col2im_2d", case, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_col2im_3d(emulated, rng, dtype):
    for case in CONV_3D:
        shape, ks, ss, pads, ds, out = case
        x = rng.standard_normal(shape).astype(dtype)
        args = ks + ss + pads + ds + out
        _check(emulated, _ref_cuda.im2col_3d, (x,) + args,
               {"naive": naive.im2col(x, ks, ss, pads, ds, out),
                "twin": _ref_numpy.im2col_3d(x, *args)},
               _describe("im2col_3d", case, dtype))
        cols = rng.standard_normal((shape[0],) + out + ks + (shape[4],)).astype(dtype)
        args = shape[1:4] + ss + pads + ds
        _check(emulated, _ref_cuda.col2im_3d, (cols,) + args,
               {"naive": naive.col2im(cols, shape[1:4], ss, pads, ds),
                "twin": _ref_numpy.col2im_3d(cols, *args)},
               _describe("col2im_3d", case, dtype))


def _pool_case_checks(emulated, rng, dtype, case, suffix):
    shape, ks, ss, pads, _, out = case
    spatial = shape[1:-1]
    # Forward: small integers make ties common, so 'first maximum wins' is exercised.
    x_ties = rng.integers(-2, 3, size=shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    fwd_args = ks + ss + pads + out
    y, argmax = naive.max_pool(x_ties, ks, ss, pads, out)
    _check(emulated, getattr(_ref_cuda, "max_pool" + suffix), (x_ties,) + fwd_args,
           {"naive": (y, argmax),
            "twin": getattr(_ref_numpy, "max_pool" + suffix)(x_ties, *fwd_args)},
           _describe("max_pool" + suffix, case, dtype))
    _check(emulated, getattr(_ref_cuda, "avg_pool" + suffix), (x,) + fwd_args,
           {"naive": naive.avg_pool(x, ks, ss, pads, out),
            "twin": getattr(_ref_numpy, "avg_pool" + suffix)(x, *fwd_args)},
           _describe("avg_pool" + suffix, case, dtype))
    # Backward.
    gy = rng.standard_normal(y.shape).astype(dtype)
    bwd_args = spatial + ks + ss + pads
    _check(emulated, getattr(_ref_cuda, "max_pool" + suffix + "_bwd"),
           (gy, argmax) + bwd_args,
           {"naive": naive.max_pool_bwd(gy, argmax, spatial, ks, ss, pads),
            "twin": getattr(_ref_numpy, "max_pool" + suffix + "_bwd")(gy, argmax, *bwd_args)},
           _describe("max_pool" + suffix + "_bwd", case, dtype))
    _check(emulated, getattr(_ref_cuda, "avg_pool" + suffix + "_bwd"), (gy,) + bwd_args,
           {"naive": naive.avg_pool_bwd(gy, spatial, ks, ss, pads),
            "twin": getattr(_ref_numpy, "avg_pool" + suffix + "_bwd")(gy, *bwd_args)},
           _describe("avg_pool" + suffix + "_bwd", case, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_2d(emulated, rng, dtype):
    for case in POOL_2D:
        _pool_case_checks(emulated, rng, dtype, case, "_2d")


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_3d(emulated, rng, dtype):
    for case in POOL_3D:
        _pool_case_checks(emulated, rng, dtype, case, "_3d")


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_pooling(emulated, rng, dtype):
    for shape in GLOBAL:
        what = "%s x%s" % (numpy.dtype(dtype).name, shape)
        s = shape[1]
        x_ties = rng.integers(-2, 3, size=shape).astype(dtype)
        y, argmax = naive.global_max_pool(x_ties)
        _check(emulated, _ref_cuda.global_max_pool, (x_ties,),
               {"naive": (y, argmax), "twin": _ref_numpy.global_max_pool(x_ties)},
               "global_max_pool " + what)
        x = rng.standard_normal(shape).astype(dtype)
        _check(emulated, _ref_cuda.global_avg_pool, (x,),
               {"naive": naive.global_avg_pool(x), "twin": _ref_numpy.global_avg_pool(x)},
               "global_avg_pool " + what)
        gy = rng.standard_normal(y.shape).astype(dtype)
        _check(emulated, _ref_cuda.global_max_pool_bwd, (gy, argmax, s),
               {"naive": naive.global_max_pool_bwd(gy, argmax, s),
                "twin": _ref_numpy.global_max_pool_bwd(gy, argmax, s)},
               "global_max_pool_bwd " + what)
        _check(emulated, _ref_cuda.global_avg_pool_bwd, (gy, s),
               {"naive": naive.global_avg_pool_bwd(gy, s),
                "twin": _ref_numpy.global_avg_pool_bwd(gy, s)},
               "global_avg_pool_bwd " + what)


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool_window_of_padding_only(emulated, rng, dtype):
    # Padding wider than the window: the first window holds no input cell. Keras never
    # asks for this, but kernel and twin agree on it: -inf, argmax at its first in-bounds
    # tap, and no gradient from it.
    x = rng.standard_normal((2, 4, 5, 3)).astype(dtype)
    args = (2, 2, 2, 2, 2, 3, 3, 3)  # kh kw sy sx pt pl oh ow
    y, argmax = _ref_numpy.max_pool_2d(x, *args)
    assert numpy.isneginf(y[:, 0, 0]).all()
    _check(emulated, _ref_cuda.max_pool_2d, (x,) + args, {"twin": (y, argmax)},
           "max_pool_2d, padding-only window")
    gy = rng.standard_normal(y.shape).astype(dtype)
    bwd = (4, 5) + args[:6]
    _check(emulated, _ref_cuda.max_pool_2d_bwd, (gy, argmax) + bwd,
           {"twin": _ref_numpy.max_pool_2d_bwd(gy, argmax, *bwd)},
           "max_pool_2d_bwd, padding-only window")


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_kernels_agree_with_the_twins_bit_for_bit(emulated, rng, dtype):
    # The gathers add in the twins' order (taps in row-major order), so on the same
    # inputs they give the very same bits; this pins that order down (kernels/README.md
    # promises it). Should a twin change its order on purpose, this test is what to relax.
    shape, ks, ss, pads, ds, out = (2, 8, 7, 3), (3, 3), (2, 1), (1, 2), (1, 2), (4, 3)
    cols = rng.standard_normal((2,) + out + ks + (3,)).astype(dtype)
    args = shape[1:3] + ss + pads + ds
    numpy.testing.assert_array_equal(_ref_cuda.col2im_2d(cols, *args),
                                     _ref_numpy.col2im_2d(cols, *args))
    x = rng.standard_normal(shape).astype(dtype)
    y, argmax = _ref_numpy.max_pool_2d(x, 3, 3, 2, 2, 1, 1, 4, 4)
    gy = rng.standard_normal(y.shape).astype(dtype)
    args = (8, 7, 3, 3, 2, 2, 1, 1)
    numpy.testing.assert_array_equal(_ref_cuda.max_pool_2d_bwd(gy, argmax, *args),
                                     _ref_numpy.max_pool_2d_bwd(gy, argmax, *args))
    numpy.testing.assert_array_equal(_ref_cuda.avg_pool_2d_bwd(gy, *args),
                                     _ref_numpy.avg_pool_2d_bwd(gy, *args))
