"""gkeras.ops._conv_cpu: the CPU convolution fusions equal im2col / col2im products."""
import numpy as np
import pytest

from gkeras.ops import _conv_cpu as C
from gkeras.ops import _ref_numpy as R
from gkeras.utils import conv_utils


def _out(spatial, ks, strides, pads, dilations):
    """Output size with `pads` cells before and the cells after implied (Keras's way)."""
    return tuple(conv_utils.conv_output_length(m + p, k, "valid", s, d)
                 for m, p, k, s, d in zip(spatial, pads, ks, strides, dilations))


def _im2col(x, ks, strides, pads, dilations, out):
    fn = R.im2col_2d if len(ks) == 2 else R.im2col_3d
    return fn(x, *ks, *strides, *pads, *dilations, *out).reshape(
        -1, int(np.prod(ks)) * x.shape[-1])


def _col2im(g, wmat, ks, out, spatial, strides, pads, dilations):
    c = wmat.shape[0] // int(np.prod(ks))
    cols = (g @ wmat.T).reshape((g.shape[0] // int(np.prod(out)),) + out + ks + (c,))
    fn = R.col2im_2d if len(ks) == 2 else R.col2im_3d
    return fn(cols, *spatial, *strides, *pads, *dilations)


GEOMETRIES = [  # spatial, ks, strides, pads, dilations
    ((7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((7, 6), (3, 3), (1, 1), (0, 0), (1, 1)),
    ((7, 6), (3, 2), (1, 1), (1, 0), (1, 1)),
    ((8, 8), (3, 3), (1, 1), (2, 1), (2, 1)),
    ((5, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
    ((6, 7), (3, 2), (1, 2), (1, 0), (1, 1)),   # strided columns
    ((8, 9), (2, 3), (2, 3), (0, 1), (1, 1)),   # strided rows: plain im2col
    ((9, 9), (3, 2), (1, 1), (2, 0), (2, 3)),
    ((5, 6, 7), (2, 3, 2), (1, 2, 1), (1, 0, 1), (1, 1, 2)),
    ((4, 5, 6), (3, 2, 2), (1, 2, 1), (1, 0, 1), (1, 1, 1)),
]


@pytest.mark.parametrize("c,f", [(4, 3), (3, 4), (4, 4), (1, 8)])
@pytest.mark.parametrize("spatial,ks,strides,pads,dilations", GEOMETRIES)
def test_fusions_equal_the_im2col_and_col2im_products(c, f, spatial, ks, strides, pads,
                                                      dilations):
    # (c, f) pick the paths: row-shifted columns where K' >= 2F, the stride-1 input
    # gradient as a convolution where F <= C, else the flat shifted adds
    rng = np.random.default_rng(0)
    out = _out(spatial, ks, strides, pads, dilations)
    x = rng.standard_normal((3,) + spatial + (c,))
    wmat = rng.standard_normal((int(np.prod(ks)) * c, f))
    bias = rng.standard_normal(f)
    cols = _im2col(x, ks, strides, pads, dilations, out)
    y = C.conv_matmul(x, wmat, ks, strides, pads, dilations, out, bias, relu=True)
    np.testing.assert_allclose(y, np.maximum(cols @ wmat + bias, 0), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    gx, gw, gb = C.conv_backward(x, g, wmat, ks, strides, pads, dilations, out, spatial,
                                 with_bias=True, relu_y=y)
    masked = g * (y > 0)
    np.testing.assert_allclose(gw, cols.T @ masked, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb, masked.sum(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx, _col2im(masked, wmat, ks, out, spatial, strides, pads,
                                           dilations), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C.col2im_matmul(g, wmat, ks, out, spatial, strides, pads,
                                               dilations),
                               _col2im(g, wmat, ks, out, spatial, strides, pads, dilations),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C.conv_kernel_grad(x, g, ks, strides, pads, dilations, out),
                               cols.T @ g, rtol=1e-12, atol=1e-12)


def test_the_paths_the_geometries_take():
    # the parametrised test above reaches every path: row-shifted columns for (4, 3),
    # (3, 4), (4, 4) with stride-1 rows; plain im2col for (1, 8) and strided rows; the
    # input gradient as a convolution for F <= C, flat shifted adds for F > C
    assert C._RowShift.applies((3, 3), (1, 1), 3, 4)        # K' = 9 >= 2 * 4
    assert not C._RowShift.applies((3, 3), (1, 1), 1, 8)    # K' = 3 < 16
    assert not C._RowShift.applies((3, 3), (2, 1), 4, 3)    # row stride 2
    assert not C._RowShift.applies((1, 3), (1, 1), 4, 3)    # one row tap
    assert not C._RowShift.applies((3,), (1,), 4, 3)        # 1-D: no other axis
    wmat = np.zeros((9 * 4, 3))
    as_conv, _ = C._input_grad_kernel(np.float64, wmat, (3, 3), (5, 5), (7, 7), (1, 1),
                                      (0, 0), (1, 1))
    flat, _ = C._input_grad_kernel(np.float64, np.zeros((9 * 3, 4)), (3, 3), (5, 5),
                                   (7, 7), (1, 1), (0, 0), (1, 1))
    assert as_conv.__name__ == "as_conv" and flat.__name__ == "flat"


def test_backward_parts_alone_and_an_empty_batch():
    rng = np.random.default_rng(1)
    ks, strides, pads, dil, spatial = (3, 3), (1, 1), (1, 1), (1, 1), (5, 5)
    x = rng.standard_normal((2,) + spatial + (4,))
    wmat = rng.standard_normal((36, 2))
    g = rng.standard_normal((50, 2))
    full = C.conv_backward(x, g, wmat, ks, strides, pads, dil, spatial, spatial,
                           with_bias=True)
    gx, gw, gb = C.conv_backward(x, g, wmat, ks, strides, pads, dil, spatial, spatial,
                                 need_gw=False)
    assert gw is None and gb is None
    np.testing.assert_array_equal(gx, full[0])
    gx, gw, gb = C.conv_backward(x, g, wmat, ks, strides, pads, dil, spatial, spatial,
                                 need_gx=False, with_bias=True)
    assert gx is None
    np.testing.assert_array_equal(gw, full[1])
    np.testing.assert_array_equal(gb, full[2])
    gx, gw, gb = C.conv_backward(x[:0], g[:0], wmat, ks, strides, pads, dil, spatial,
                                 spatial, with_bias=True)
    assert gx.shape == (0,) + spatial + (4,)
    np.testing.assert_array_equal(gw, np.zeros((36, 2)))
    np.testing.assert_array_equal(gb, np.zeros(2))
