"""gkeras.ops.conv: forward against direct loops, gradients by finite differences."""
import numpy as np
import pytest

import gkeras.backend as K
from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as gk_xp
from gkeras.ops import _ref_numpy

from . import _naive


def _x(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _last(x):
    return np.moveaxis(x, 1, -1)


def _first(x):
    return np.moveaxis(x, -1, 1)


def _pads_out(spatial, ks, strides, dilations, padding):
    pads, out = [], []
    for n, k, s, d in zip(spatial, ks, strides, dilations):
        p, o = _naive.same_padding(n, k, s, d) if padding == "same" else (
            0, _naive.valid_size(n, k, s, d))
        pads.append(p)
        out.append(o)
    return tuple(pads), tuple(out)


# ---------------------------------------------------------------------------- conv2d
CONV2D = [  # (H, W), (kh, kw), strides, dilation, padding
    ((5, 6), (3, 3), (1, 1), (1, 1), "valid"),
    ((6, 6), (3, 3), (2, 2), (1, 1), "same"),
    ((5, 7), (2, 3), (3, 2), (1, 1), "same"),
    ((7, 6), (3, 2), (1, 1), (2, 2), "valid"),
    ((6, 5), (3, 3), (1, 1), (2, 1), "same"),
    ((4, 4), (4, 4), (1, 1), (1, 1), "same"),
    ((5, 5), (1, 1), (2, 2), (1, 1), "valid"),
]


@pytest.mark.parametrize("spatial,ks,strides,dil,padding", CONV2D)
def test_conv2d_forward_matches_direct_loops(spatial, ks, strides, dil, padding):
    x, w = _x((2,) + spatial + (3,)), _x(ks + (3, 4), seed=1)
    pads, out = _pads_out(spatial, ks, strides, dil, padding)
    y = ops.conv2d(x, w, strides=strides, padding=padding, dilation_rate=dil).numpy()
    np.testing.assert_allclose(y, _naive.conv(x, w, strides, pads, dil, out), rtol=1e-12,
                               atol=1e-12)
    assert y.flags.c_contiguous
    yf = ops.conv2d(_first(x), w, strides=strides, padding=padding, dilation_rate=dil,
                    data_format="channels_first").numpy()
    np.testing.assert_allclose(yf, _first(y), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spatial,ks,strides,dil,padding", CONV2D[:6])
def test_conv2d_gradients(spatial, ks, strides, dil, padding):
    x, w = _x((2,) + spatial + (2,)), _x(ks + (2, 3), seed=1)
    check_gradients(lambda a, b: ops.conv2d(a, b, strides, padding, dilation_rate=dil), [x, w])


def test_conv2d_gradients_channels_first():
    x, w = _x((2, 2, 5, 6)), _x((3, 2, 2, 3), seed=1)
    check_gradients(lambda a, b: ops.conv2d(a, b, (2, 1), "same", "channels_first", (1, 2)),
                    [x, w])


def test_conv2d_float32_and_known_values():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    w = np.ones((2, 2, 1, 1), np.float32)
    y = ops.conv2d(x, w, strides=2)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[10, 18], [42, 50]])
    # TF's 'same' on an even size pads only after: the last row/column see one zero
    y = ops.conv2d(x, w, padding="same").numpy()[0, :, :, 0]
    assert y[0, 0] == 0 + 1 + 4 + 5 and y[3, 3] == 15 and y[3, 0] == 12 + 13


def test_conv2d_kernel_gradient_alone_skips_col2im(monkeypatch):
    x, w = _x((2, 5, 5, 2)), _x((3, 3, 2, 2), seed=1)

    def forbidden(*args):
        raise AssertionError("col2im ran although the input needs no gradient")

    v = Variable(w)
    with Tape() as tape:
        y = ops.conv2d(as_tensor(x), v)
    monkeypatch.setattr(_ref_numpy, "col2im_2d", forbidden)
    (gw,) = tape.gradient(y, [v])
    expected = np.einsum("nijabc,nijf->abcf", _naive.im2col(x, (3, 3), (1, 1), (0, 0), (1, 1),
                                                            (3, 3)), np.ones((2, 3, 3, 2)))
    np.testing.assert_allclose(gk_xp.asnumpy(gw), expected, rtol=1e-12)


def test_conv2d_argument_errors():
    x, w = _x((2, 5, 5, 3)), _x((3, 3, 3, 4))
    with pytest.raises(ValueError, match=r"kernel.shape\[2\] = 2.*input's channels \(3"):
        ops.conv2d(x, _x((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="4-D input"):
        ops.conv2d(x[0], w)
    with pytest.raises(ValueError, match="4-D kernel"):
        ops.conv2d(x, w[0])
    with pytest.raises(ValueError, match="`strides`.*0"):
        ops.conv2d(x, w, strides=(0, 1))
    with pytest.raises(ValueError, match="`dilation_rate`.*-1"):
        ops.conv2d(x, w, dilation_rate=-1)
    with pytest.raises(ValueError, match="`padding`.*'causal'"):
        ops.conv2d(x, w, padding="causal")
    with pytest.raises(ValueError, match=r"spans \(5, 5\) cells.*dilation_rate.*\(4, 4\)"):
        ops.conv2d(_x((2, 4, 4, 3)), w, dilation_rate=2)
    with pytest.raises(ValueError, match=r"spans \(3, 3\) cells.*\(2, 2\)"):
        ops.conv2d(_x((1, 2, 2, 3)), w)
    with pytest.raises(TypeError, match="float32 but the kernel is float64"):
        ops.conv2d(x.astype(np.float32), w)
    with pytest.raises(ValueError, match="data_format"):
        ops.conv2d(x, w, data_format="NHWC")


def test_conv2d_same_padding_accepts_any_size():
    y = ops.conv2d(_x((1, 2, 2, 3)), _x((5, 5, 3, 1)), padding="same")
    assert y.shape == (1, 2, 2, 1)


# ---------------------------------------------------------------------------- conv1d
@pytest.mark.parametrize("steps,k,s,d,padding", [
    (7, 3, 1, 1, "valid"), (8, 3, 2, 1, "same"), (7, 2, 1, 2, "causal"),
    (9, 3, 2, 2, "causal"), (6, 2, 3, 1, "same"), (7, 3, 1, 2, "valid")])
def test_conv1d(steps, k, s, d, padding):
    x, w = _x((2, steps, 3)), _x((k, 3, 2), seed=1)
    if padding == "causal":
        pad, out = (k - 1) * d, -(-steps // s)
    else:
        (pad,), (out,) = _pads_out((steps,), (k,), (s,), (d,), padding)
    y = ops.conv1d(x, w, strides=s, padding=padding, dilation_rate=d)
    ref = _naive.conv(x, w, (s,), (pad,), (d,), (out,))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    yf = ops.conv1d(_first(x), w, s, padding, "channels_first", d)
    np.testing.assert_allclose(yf.numpy(), _first(ref), rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: ops.conv1d(a, b, s, padding, dilation_rate=d), [x, w])


def test_conv1d_causal_output_depends_only_on_the_past():
    x, w = _x((1, 8, 1)), _x((3, 1, 1), seed=1)
    y0 = ops.conv1d(x, w, padding="causal", dilation_rate=2).numpy()
    x2 = x.copy()
    x2[0, 5:] += 1.0
    y1 = ops.conv1d(x2, w, padding="causal", dilation_rate=2).numpy()
    np.testing.assert_array_equal(y0[0, :5], y1[0, :5])
    assert not np.allclose(y0[0, 5:], y1[0, 5:])


def test_conv1d_errors():
    with pytest.raises(ValueError, match="conv1d expects a 3-D input"):
        ops.conv1d(_x((2, 5, 5, 3)), _x((3, 3, 2)))
    with pytest.raises(ValueError, match=r"conv1d.*spans \(5,\)"):
        ops.conv1d(_x((2, 4, 3)), _x((3, 3, 2)), dilation_rate=2)


def test_conv1d_channels_first_gradients():
    check_gradients(lambda a, b: ops.conv1d(a, b, 2, "causal", "channels_first", 1),
                    [_x((2, 3, 7)), _x((3, 3, 2), seed=1)])


# ---------------------------------------------------------------------------- conv3d
@pytest.mark.parametrize("spatial,ks,strides,dil,padding", [
    ((4, 5, 3), (2, 3, 2), (1, 1, 1), (1, 1, 1), "valid"),
    ((4, 5, 4), (3, 2, 2), (2, 1, 2), (1, 1, 1), "same"),
    ((5, 4, 4), (2, 2, 2), (1, 1, 1), (2, 1, 1), "same"),
])
def test_conv3d(spatial, ks, strides, dil, padding):
    x, w = _x((2,) + spatial + (2,)), _x(ks + (2, 2), seed=1)
    pads, out = _pads_out(spatial, ks, strides, dil, padding)
    y = ops.conv3d(x, w, strides, padding, dilation_rate=dil)
    ref = _naive.conv(x, w, strides, pads, dil, out)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    yf = ops.conv3d(_first(x), w, strides, padding, "channels_first", dil)
    np.testing.assert_allclose(yf.numpy(), _first(ref), rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: ops.conv3d(a, b, strides, padding, dilation_rate=dil), [x, w])


def test_conv3d_channels_first_gradients():
    check_gradients(lambda a, b: ops.conv3d(a, b, (1, 2, 1), "same", "channels_first"),
                    [_x((1, 2, 3, 4, 3)), _x((2, 2, 2, 2, 2), seed=1)])


# ---------------------------------------------------------------------------- fused bias
@pytest.mark.parametrize("spatial,ks,strides,dil,padding", CONV2D[:4])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_bias_matches_bias_add_and_gradients(spatial, ks, strides, dil, padding,
                                                    data_format):
    x, w, b = _x((2,) + spatial + (2,)), _x(ks + (2, 3), seed=1), _x((3,), seed=2)
    if data_format == "channels_first":
        x = _first(x)
    axis = 1 if data_format == "channels_first" else -1
    y = ops.conv2d(x, w, strides, padding, data_format, dil, bias=b).numpy()
    ref = ops.bias_add(ops.conv2d(x, w, strides, padding, data_format, dil), b, axis=axis)
    np.testing.assert_allclose(y, ref.numpy(), rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, k, c: ops.conv2d(a, k, strides, padding, data_format, dil,
                                               bias=c), [x, w, b])


def test_conv1d_and_conv3d_bias_gradients():
    check_gradients(lambda a, k, c: ops.conv1d(a, k, 2, "causal", bias=c),
                    [_x((2, 7, 3)), _x((3, 3, 2), seed=1), _x((2,), seed=2)])
    check_gradients(lambda a, k, c: ops.conv1d(a, k, 1, "same", "channels_first", bias=c),
                    [_x((2, 3, 6)), _x((2, 3, 2), seed=1), _x((2,), seed=2)])
    check_gradients(lambda a, k, c: ops.conv3d(a, k, (1, 2, 1), "same", bias=c),
                    [_x((2, 3, 4, 3, 2)), _x((2, 2, 2, 2, 3), seed=1), _x((3,), seed=2)])
    check_gradients(lambda a, k, c: ops.conv3d(a, k, 1, "valid", "channels_first", bias=c),
                    [_x((1, 2, 3, 4, 3)), _x((2, 2, 2, 2, 2), seed=1), _x((2,), seed=2)])


def test_conv2d_bias_gradient_alone_and_large_blocks():
    # a batch large enough for several blocks on the threads: the block-wise bias
    # gradient must equal the plain sum; and the bias alone (no kernel gradient)
    x, w, b = _x((64, 12, 12, 8)), _x((3, 3, 8, 16), seed=1), _x((16,), seed=2)
    kv, bv = Variable(w), Variable(b)
    with Tape() as tape:
        y = ops.conv2d(as_tensor(x), kv, padding="same", bias=bv)
        loss = ops.sum(y * y)
    gy = 2 * y.numpy()
    _, gb = tape.gradient(loss, [kv, bv])
    np.testing.assert_allclose(gk_xp.asnumpy(gb), gy.sum(axis=(0, 1, 2)), rtol=1e-10)
    with Tape() as tape:
        y = ops.conv2d(as_tensor(x), as_tensor(w), padding="same", bias=bv)
    (gb_alone,) = tape.gradient(y, [bv])
    np.testing.assert_allclose(gk_xp.asnumpy(gb_alone), np.full(16, 64 * 144.0), rtol=1e-12)


# ---------------------------------------------------------------------------- fused relu
def _relu_grads(fn, args, relu):
    """(output, gradients of sum(y * seed) for every arg) of fn(*args, relu=relu)."""
    vs = [Variable(a) for a in args]
    with Tape() as tape:
        y = fn(*vs, relu=relu)
        loss = ops.sum(y * as_tensor(_x(y.shape, seed=9, dtype=y.dtype)))
    return y.numpy(), [gk_xp.asnumpy(g) for g in tape.gradient(loss, vs)]


@pytest.mark.parametrize("spatial,ks,strides,dil,padding", CONV2D[:4])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_relu_is_relu_of_the_conv_bit_for_bit(spatial, ks, strides, dil, padding,
                                                     data_format):
    x = _x((2,) + spatial + (2,), dtype=np.float32)
    if data_format == "channels_first":
        x = _first(x)
    w, b = _x(ks + (2, 3), seed=1, dtype=np.float32), _x((3,), seed=2, dtype=np.float32)

    def fused(a, k, c, relu):
        return ops.conv2d(a, k, strides, padding, data_format, dil, bias=c, relu=relu)

    def unfused(a, k, c, relu):
        return ops.relu(fused(a, k, c, relu=False))

    y, grads = _relu_grads(fused, [x, w, b], True)
    y_ref, grads_ref = _relu_grads(unfused, [x, w, b], False)
    assert (y > 0).any() and (y == 0).any()
    np.testing.assert_array_equal(y, y_ref)
    for g, g_ref in zip(grads, grads_ref):
        np.testing.assert_array_equal(g, g_ref)
    check_gradients(lambda a, k, c: ops.conv2d(a, k, strides, padding, data_format, dil,
                                               bias=c, relu=True),
                    [_x(x.shape, seed=3), _x(w.shape, seed=4), _x(b.shape, seed=5)])


def test_conv_relu_without_bias_frozen_kernel_1d_and_3d():
    x, w = _x((3, 6, 6, 2), dtype=np.float32), _x((3, 3, 2, 4), seed=1, dtype=np.float32)
    # the input gradient alone (a frozen kernel): the relu mask is its own pass
    xv = Variable(x)
    with Tape() as tape:
        y = ops.conv2d(xv, as_tensor(w), padding="same", relu=True)
    (gx,) = tape.gradient(y, [xv])
    with Tape() as tape:
        y_ref = ops.relu(ops.conv2d(xv, as_tensor(w), padding="same"))
    (gx_ref,) = tape.gradient(y_ref, [xv])
    np.testing.assert_array_equal(y.numpy(), y_ref.numpy())
    np.testing.assert_array_equal(gk_xp.asnumpy(gx), gk_xp.asnumpy(gx_ref))
    check_gradients(lambda a, k: ops.conv1d(a, k, 1, "causal", dilation_rate=2, relu=True),
                    [_x((2, 7, 3)), _x((3, 3, 2), seed=1)])
    check_gradients(lambda a, k, c: ops.conv3d(a, k, (1, 2, 1), "same", bias=c, relu=True),
                    [_x((2, 3, 4, 3, 2)), _x((2, 2, 2, 2, 3), seed=1), _x((3,), seed=2)])


def test_conv_bias_errors():
    x, w = _x((2, 5, 5, 3)), _x((3, 3, 3, 4))
    with pytest.raises(ValueError, match=r"bias must have shape \(filters,\) = \(4,\)"):
        ops.conv2d(x, w, bias=_x((3,)))
    with pytest.raises(TypeError, match="kernel is float64 but the bias is float32"):
        ops.conv2d(x, w, bias=_x((4,), dtype=np.float32))


# ---------------------------------------------------------------------------- conv2d_transpose
TRANSPOSE = [  # (ih, iw), (kh, kw), strides, dilation, padding, output (H, W) or None
    ((3, 4), (3, 3), (1, 1), (1, 1), "valid", None),
    ((3, 3), (3, 3), (2, 2), (1, 1), "valid", None),
    ((3, 3), (3, 3), (2, 2), (1, 1), "valid", (8, 8)),  # output padding of 1
    ((3, 4), (3, 3), (2, 2), (1, 1), "same", None),
    ((3, 4), (3, 2), (2, 2), (1, 1), "same", (5, 7)),  # odd sizes: ceil(5/2) = 3
    ((3, 3), (2, 2), (1, 1), (2, 2), "same", None),
    ((2, 3), (2, 3), (1, 1), (2, 1), "valid", None),
]


def _transpose_case(ins, ks, strides, dil, padding, out_hw):
    from gkeras.utils.conv_utils import deconv_output_length
    if out_hw is None:
        out_hw = tuple(deconv_output_length(n, k, padding, None, s, d)
                       for n, k, s, d in zip(ins, ks, strides, dil))
    pads, conv_out = _pads_out(out_hw, ks, strides, dil, padding)
    assert conv_out == ins
    return out_hw, pads


@pytest.mark.parametrize("ins,ks,strides,dil,padding,out_hw", TRANSPOSE)
def test_conv2d_transpose_forward(ins, ks, strides, dil, padding, out_hw):
    x, w = _x((2,) + ins + (3,)), _x(ks + (2, 3), seed=1)
    out_hw, pads = _transpose_case(ins, ks, strides, dil, padding, out_hw)
    shape = (2,) + out_hw + (2,)
    y = ops.conv2d_transpose(x, w, shape, strides, padding, dilation_rate=dil).numpy()
    ref = _naive.conv_transpose(x, w, out_hw, strides, pads, dil)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    # the adjoint of conv2d with the same kernel: <conv2d_T(x), g> == <x, conv2d(g)>
    g = _x(y.shape, seed=2)
    back = ops.conv2d(g, w, strides, padding, dilation_rate=dil).numpy()
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, back), rtol=1e-12)
    yf = ops.conv2d_transpose(_first(x), w, (None, 2) + out_hw, strides, padding,
                              "channels_first", dil).numpy()
    np.testing.assert_allclose(yf, _first(y), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ins,ks,strides,dil,padding,out_hw", TRANSPOSE)
def test_conv2d_transpose_gradients(ins, ks, strides, dil, padding, out_hw):
    x, w = _x((2,) + ins + (2,)), _x(ks + (3, 2), seed=1)
    out_hw, _ = _transpose_case(ins, ks, strides, dil, padding, out_hw)
    check_gradients(lambda a, b: ops.conv2d_transpose(
        a, b, (2,) + out_hw + (3,), strides, padding, dilation_rate=dil), [x, w])


def test_conv2d_transpose_channels_first_gradients():
    check_gradients(lambda a, b: ops.conv2d_transpose(a, b, (2, 3, 6, 7), (2, 2), "same",
                                                      "channels_first"),
                    [_x((2, 2, 3, 4)), _x((3, 3, 3, 2), seed=1)])


def test_conv2d_transpose_known_values():
    # stride 2, 'valid': overlapping 3x3 footprints add up on the shared row/column
    y = ops.conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), (1, 5, 5, 1),
                             (2, 2)).numpy()[0, :, :, 0]
    line = np.array([1, 1, 2, 1, 1])
    np.testing.assert_array_equal(y, np.outer(line, line))
    inferred = ops.conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), None, 2)
    np.testing.assert_array_equal(inferred.numpy()[0, :, :, 0], y)


def test_conv2d_transpose_errors():
    x, w = _x((2, 3, 3, 4)), _x((3, 3, 2, 4))
    with pytest.raises(ValueError, match=r"kernel.shape\[3\] = 5.*input's channels \(4"):
        ops.conv2d_transpose(x, _x((3, 3, 2, 5)), (2, 5, 5, 2))
    with pytest.raises(ValueError, match="does not fit the input"):
        ops.conv2d_transpose(x, w, (2, 9, 9, 2), (2, 2))
    with pytest.raises(ValueError, match="does not fit the input"):
        ops.conv2d_transpose(x, w, (2, 4, 4, 2), (2, 2), "same")
    with pytest.raises(ValueError, match="batch size 3"):
        ops.conv2d_transpose(x, w, (3, 5, 5, 2))
    with pytest.raises(ValueError, match="3 channels.*kernel produces 2"):
        ops.conv2d_transpose(x, w, (2, 5, 5, 3))
    with pytest.raises(ValueError, match="4 entries"):
        ops.conv2d_transpose(x, w, (5, 5))


def test_backend_names_resolve():
    x, w = _x((1, 4, 4, 2)), _x((3, 3, 2, 1))
    np.testing.assert_array_equal(K.conv2d(x, w).numpy(), ops.conv2d(x, w).numpy())
    assert K.conv1d is ops.conv1d and K.conv3d is ops.conv3d
    assert K.conv2d_transpose is ops.conv2d_transpose
    assert K.pool2d is ops.pool2d and K.pool3d is ops.pool3d
