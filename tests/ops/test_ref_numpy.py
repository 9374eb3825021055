"""The numpy twins (gkeras/ops/_ref_numpy.py) against naive loop references."""
import itertools

import numpy as np
import pytest

from gkeras.ops import _ref_numpy as R

from . import _naive

# (H, W): odd and even sizes, 1-D as height 1
SIZES_2D = [(5, 6), (7, 4), (1, 7)]
KERNELS_2D = [(1, 1), (2, 3), (3, 3)]


def _geometry(spatial, ks, strides, dilations, padding):
    pads, out = [], []
    for n, k, s, d in zip(spatial, ks, strides, dilations):
        if padding == "same":
            p, o = _naive.same_padding(n, k, s, d)
        else:
            p, o = 0, _naive.valid_size(n, k, s, d)
        pads.append(p)
        out.append(o)
    return tuple(pads), tuple(out)


def _cases_2d(with_dilation):
    for (h, w), (kh, kw), s, d, padding in itertools.product(
            SIZES_2D, KERNELS_2D, (1, 2, 3), (1, 2) if with_dilation else (1,),
            ("valid", "same")):
        if h == 1:
            kh = 1
        pads, out = _geometry((h, w), (kh, kw), (s, s), (d, d), padding)
        if min(out) < 1:
            continue
        yield (h, w), (kh, kw), (s, s), pads, (d, d), out


def _ids(cases):
    return ["%s-k%s-s%s-p%s-d%s" % (c[0], c[1], c[2], c[3], c[4]) for c in cases]


CONV_CASES = list(_cases_2d(True)) + [
    # explicit paddings beyond 'same' (the contract allows any pt, pl), mixed strides
    ((5, 6), (3, 2), (2, 1), (2, 1), (1, 2), (4, 7)),
    ((4, 4), (2, 2), (1, 3), (0, 3), (1, 1), (3, 3)),
]
POOL_CASES = [c[:4] + (c[5],) for c in _cases_2d(False)] + [
    ((6, 5), (3, 2), (2, 2), (1, 1), (3, 3)),
]


def _x(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("spatial,ks,strides,pads,dil,out", CONV_CASES, ids=_ids(CONV_CASES))
def test_im2col_col2im_2d(spatial, ks, strides, pads, dil, out):
    x = _x((2,) + spatial + (3,))
    cols = R.im2col_2d(x, *ks, *strides, *pads, *dil, *out)
    np.testing.assert_array_equal(cols, _naive.im2col(x, ks, strides, pads, dil, out))
    assert cols.flags.c_contiguous
    g = _x(cols.shape, seed=1)
    gx = R.col2im_2d(g, *spatial, *strides, *pads, *dil)
    np.testing.assert_allclose(gx, _naive.col2im(g, spatial, strides, pads, dil), rtol=1e-12,
                               atol=1e-12)
    assert gx.flags.c_contiguous and gx.shape == x.shape
    # the adjoint identity <im2col(x), g> == <x, col2im(g)>
    np.testing.assert_allclose(np.vdot(cols, g), np.vdot(x, gx), rtol=1e-12)


@pytest.mark.parametrize("spatial,ks,strides,pads,dil,out", [
    ((4, 5, 3), (2, 3, 2), (1, 2, 1), (0, 1, 0), (1, 1, 2), (3, 3, 1)),
    ((5, 3, 4), (3, 1, 2), (2, 1, 3), (1, 0, 0), (1, 1, 1), (3, 3, 1)),
    ((3, 3, 3), (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), (3, 3, 3)),
    ((6, 4, 5), (2, 2, 2), (3, 2, 2), (0, 1, 1), (2, 1, 1), (2, 3, 3)),
])
def test_im2col_col2im_3d(spatial, ks, strides, pads, dil, out):
    x = _x((2,) + spatial + (2,))
    cols = R.im2col_3d(x, *ks, *strides, *pads, *dil, *out)
    np.testing.assert_array_equal(cols, _naive.im2col(x, ks, strides, pads, dil, out))
    g = _x(cols.shape, seed=1)
    gx = R.col2im_3d(g, *spatial, *strides, *pads, *dil)
    np.testing.assert_allclose(gx, _naive.col2im(g, spatial, strides, pads, dil), rtol=1e-12,
                               atol=1e-12)
    assert cols.flags.c_contiguous and gx.flags.c_contiguous


@pytest.mark.parametrize("spatial,ks,strides,pads,out", POOL_CASES,
                         ids=["%s-k%s-s%s-p%s" % c[:4] for c in POOL_CASES])
def test_pool_2d(spatial, ks, strides, pads, out):
    # distinct values, all negative: a padded zero would win if padding were not ignored
    size = 2 * spatial[0] * spatial[1] * 3
    x = -1.0 - np.random.default_rng(0).permutation(size).reshape((2,) + spatial + (3,))
    y, argmax = R.max_pool_2d(x, *ks, *strides, *pads, *out)
    y_ref, argmax_ref = _naive.max_pool(x, ks, strides, pads, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert argmax.dtype == np.int32 and argmax.flags.c_contiguous
    gy = _x(y.shape, seed=2)
    np.testing.assert_allclose(R.max_pool_2d_bwd(gy, argmax, *spatial, *ks, *strides, *pads),
                               _naive.max_pool_bwd(gy, argmax, spatial, ks, strides, pads),
                               rtol=1e-12, atol=1e-12)
    a = R.avg_pool_2d(x, *ks, *strides, *pads, *out)
    np.testing.assert_allclose(a, _naive.avg_pool(x, ks, strides, pads, out), rtol=1e-12)
    ga = R.avg_pool_2d_bwd(gy, *spatial, *ks, *strides, *pads)
    np.testing.assert_allclose(ga, _naive.avg_pool_bwd(gy, spatial, ks, strides, pads),
                               rtol=1e-12, atol=1e-12)
    assert a.flags.c_contiguous and ga.flags.c_contiguous and ga.shape == x.shape


@pytest.mark.parametrize("spatial,ks,strides,pads,out", [
    ((4, 5, 3), (2, 2, 2), (2, 2, 2), (0, 0, 0), (2, 2, 1)),
    ((5, 4, 3), (3, 3, 2), (2, 1, 1), (1, 1, 0), (3, 4, 3)),
    ((3, 3, 3), (3, 3, 3), (1, 1, 1), (1, 1, 1), (3, 3, 3)),
])
def test_pool_3d(spatial, ks, strides, pads, out):
    size = 2 * int(np.prod(spatial)) * 2
    x = -1.0 - np.random.default_rng(0).permutation(size).reshape((2,) + spatial + (2,))
    y, argmax = R.max_pool_3d(x, *ks, *strides, *pads, *out)
    y_ref, argmax_ref = _naive.max_pool(x, ks, strides, pads, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    gy = _x(y.shape, seed=2)
    np.testing.assert_allclose(R.max_pool_3d_bwd(gy, argmax, *spatial, *ks, *strides, *pads),
                               _naive.max_pool_bwd(gy, argmax, spatial, ks, strides, pads),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(R.avg_pool_3d(x, *ks, *strides, *pads, *out),
                               _naive.avg_pool(x, ks, strides, pads, out), rtol=1e-12)
    np.testing.assert_allclose(R.avg_pool_3d_bwd(gy, *spatial, *ks, *strides, *pads),
                               _naive.avg_pool_bwd(gy, spatial, ks, strides, pads),
                               rtol=1e-12, atol=1e-12)


def test_max_pool_ties_go_to_the_first_maximum_in_window_order():
    x = np.zeros((1, 4, 4, 2))
    x[0, 1, 0, 0] = x[0, 0, 1, 0] = 5.0  # window (0, 0): offsets 1 and 2 tie
    y, argmax = R.max_pool_2d(x, 2, 2, 2, 2, 0, 0, 2, 2)
    assert y[0, 0, 0, 0] == 5.0 and argmax[0, 0, 0, 0] == 1
    # all-zero windows: offset 0
    assert (argmax[..., 1] == 0).all()


def test_max_pool_padding_never_wins_even_against_minus_infinity():
    x = np.full((1, 3, 3, 1), -np.inf)
    y, argmax = R.max_pool_2d(x, 3, 3, 1, 1, 1, 1, 3, 3)
    assert np.isneginf(y).all()
    # the first in-bounds cell of each window: window (0, 0) starts at offset (1, 1)
    np.testing.assert_array_equal(argmax[0, :, :, 0], [[4, 3, 3], [1, 0, 0], [1, 0, 0]])


def _scan_max_pool_2d(x, ks, strides, pads, out):
    """The CUDA kernel's scan, cell by cell: `better = v > y; y = fmax(y, v); arg = t`."""
    n, h, w, c = x.shape
    y = np.empty((n,) + out + (c,), x.dtype)
    arg = np.empty(y.shape, np.int32)
    for b, i, j, ch in np.ndindex(*y.shape):
        best, at, started = -np.inf, 0, False
        for t, (a, d) in enumerate(np.ndindex(*ks)):
            r, q = i * strides[0] - pads[0] + a, j * strides[1] - pads[1] + d
            inside = 0 <= r < h and 0 <= q < w
            if inside and not started:
                at, started = t, True  # the scan starts at the first in-bounds tap
            v = x[b, r, q, ch] if inside else -np.inf
            if v > best:
                at = t
            best = np.fmax(best, v)
        y[b, i, j, ch], arg[b, i, j, ch] = best, at
    return y, arg


@pytest.mark.parametrize("ks,strides,pads,out", [((2, 2), (2, 2), (0, 0), (3, 3)),
                                                 ((2, 2), (2, 2), (0, 0), (2, 3)),
                                                 ((3, 3), (1, 1), (0, 0), (4, 4)),
                                                 ((3, 2), (2, 1), (1, 0), (3, 5)),
                                                 ((3, 3), (2, 2), (1, 1), (3, 3))])
def test_max_pool_matches_the_kernel_scan_with_nan_inf_and_ties(ks, strides, pads, out):
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=(3, 6, 6, 4)).astype(np.float32)  # many ties
    special = rng.random(x.shape)
    x[special < 0.15] = np.nan
    x[(special >= 0.15) & (special < 0.3)] = -np.inf
    x[0, :3, :3, 0] = np.nan  # whole windows of NaN, and of NaN then -inf
    x[1, :3, :3, 1] = np.nan
    x[1, 1, 1, 1] = -np.inf
    y, argmax = R.max_pool_2d(x, *ks, *strides, *pads, *out)
    y_ref, arg_ref = _scan_max_pool_2d(x, ks, strides, pads, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, arg_ref)
    # the backward routes each window's gradient to its argmax cell, tiled or not
    # (overlapping windows add theirs in another order than the naive loop)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_allclose(
        R.max_pool_2d_bwd(gy, argmax, 6, 6, *ks, *strides, *pads),
        _naive.max_pool_bwd(gy, argmax, (6, 6), ks, strides, pads), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_preserved(dtype):
    x = _x((2, 5, 5, 3), dtype)
    cols = R.im2col_2d(x, 3, 3, 1, 1, 1, 1, 1, 1, 5, 5)
    assert cols.dtype == dtype
    assert R.col2im_2d(cols, 5, 5, 1, 1, 1, 1, 1, 1).dtype == dtype
    cols3 = R.im2col_3d(x[..., None, :], 2, 2, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 4, 4, 1)
    assert cols3.dtype == dtype and R.col2im_3d(cols3, 5, 5, 1, 1, 1, 1, 0, 0, 0, 1, 1,
                                                1).dtype == dtype
    y, argmax = R.max_pool_2d(x, 2, 2, 2, 2, 0, 0, 2, 2)
    assert y.dtype == dtype and argmax.dtype == np.int32
    assert R.max_pool_2d_bwd(y, argmax, 5, 5, 2, 2, 2, 2, 0, 0).dtype == dtype
    a = R.avg_pool_2d(x, 2, 2, 2, 2, 0, 0, 2, 2)
    assert a.dtype == dtype and R.avg_pool_2d_bwd(a, 5, 5, 2, 2, 2, 2, 0, 0).dtype == dtype
    x3 = x.reshape(2, 25, 3)
    g, gi = R.global_max_pool(x3)
    assert g.dtype == dtype and gi.dtype == np.int32
    assert R.global_max_pool_bwd(g, gi, 25).dtype == dtype
    assert R.global_avg_pool(x3).dtype == dtype
    assert R.global_avg_pool_bwd(g, 25).dtype == dtype


def test_global_pools():
    x = _x((3, 7, 4))
    x[1, 2, 0] = x[1, 5, 0] = 10.0  # a tie: the first position wins
    y, argmax = R.global_max_pool(x)
    np.testing.assert_array_equal(y, x.max(axis=1))
    assert argmax[1, 0] == 2 and argmax.dtype == np.int32 and y.flags.c_contiguous
    gy = _x((3, 4), seed=1)
    gx = R.global_max_pool_bwd(gy, argmax, 7)
    ref = np.zeros_like(x)
    for n in range(3):
        for c in range(4):
            ref[n, argmax[n, c], c] = gy[n, c]
    np.testing.assert_array_equal(gx, ref)
    np.testing.assert_allclose(R.global_avg_pool(x), x.mean(axis=1), rtol=1e-14)
    ga = R.global_avg_pool_bwd(gy, 7)
    np.testing.assert_allclose(ga, np.repeat(gy[:, None, :] / 7, 7, axis=1), rtol=1e-14)
    assert ga.flags.c_contiguous and gx.flags.c_contiguous


def test_im2col_does_not_modify_or_alias_its_input():
    x = _x((1, 4, 4, 2))
    keep = x.copy()
    cols = R.im2col_2d(x, 2, 2, 1, 1, 0, 0, 1, 1, 3, 3)
    cols[...] = 0
    np.testing.assert_array_equal(x, keep)
    assert cols.flags.writeable
