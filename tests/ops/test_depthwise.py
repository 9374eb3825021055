"""gkeras.ops.depthwise and gkeras.ops.conv_transpose (1-D / 3-D): forward against
direct loops, gradients by float64 finite differences, argument errors."""
import numpy as np
import pytest

import gkeras.backend as K
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as gk_xp
from gkeras.ops import conv_transpose, depthwise

from . import _naive


@pytest.fixture(params=[True, False], ids=["cpu_direct", "im2col"])
def path(request, monkeypatch):
    """Runs a test on both lowerings: the CPU's direct tap views and the im2col +
    contraction path that the GPU takes (here with the numpy twins)."""
    monkeypatch.setattr(depthwise, "CPU_DIRECT", request.param)
    return request.param


def _x(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _first(x):
    return np.moveaxis(x, -1, 1)


def _pads_out(spatial, ks, strides, dilations, padding):
    pads, out = [], []
    for n, k, s, d in zip(spatial, ks, strides, dilations):
        if padding == "causal":
            p, o = (k - 1) * d, -(-n // s)
        elif padding == "same":
            p, o = _naive.same_padding(n, k, s, d)
        else:
            p, o = 0, _naive.valid_size(n, k, s, d)
        pads.append(p)
        out.append(o)
    return tuple(pads), tuple(out)


def naive_depthwise(x, w, strides, pads, dilations, out):
    """Each channel c convolved on its own with w[..., c, :] -> channel c * M + m."""
    c, m = w.shape[-2:]
    ys = [_naive.conv(x[..., i:i + 1], w[..., i:i + 1, :], strides, pads, dilations, out)
          for i in range(c)]  # each (N, *out, M)
    return np.concatenate(ys, axis=-1)


# ---------------------------------------------------------------------------- 2-D
DW2D = [  # (H, W), (kh, kw), strides, dilation, padding, depth_multiplier
    ((5, 6), (3, 3), (1, 1), (1, 1), "valid", 1),
    ((6, 6), (3, 3), (2, 2), (1, 1), "same", 2),
    ((5, 7), (2, 3), (3, 2), (1, 1), "same", 1),
    ((7, 6), (3, 2), (1, 1), (2, 2), "valid", 3),
    ((6, 5), (3, 3), (1, 1), (2, 1), "same", 2),
    ((4, 4), (4, 4), (1, 1), (1, 1), "same", 1),
]


@pytest.mark.parametrize("spatial,ks,strides,dil,padding,dm", DW2D)
def test_depthwise_conv2d_forward(spatial, ks, strides, dil, padding, dm, path):
    x, w = _x((2,) + spatial + (3,)), _x(ks + (3, dm), seed=1)
    pads, out = _pads_out(spatial, ks, strides, dil, padding)
    ref = naive_depthwise(x, w, strides, pads, dil, out)
    y = depthwise.depthwise_conv2d(x, w, strides, padding, "channels_last", dil).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    assert y.flags.c_contiguous
    yf = depthwise.depthwise_conv2d(_first(x), w, strides, padding, "channels_first", dil)
    np.testing.assert_allclose(yf.numpy(), _first(ref), rtol=1e-12, atol=1e-12)
    pw = _x((1, 1, 3 * dm, 4), seed=2)
    ys = depthwise.separable_conv2d(x, w, pw, strides, padding, "channels_last", dil)
    np.testing.assert_allclose(ys.numpy(), ref @ pw[0, 0], rtol=1e-12, atol=1e-12)
    ysf = depthwise.separable_conv2d(_first(x), w, pw, strides, padding, "channels_first", dil)
    np.testing.assert_allclose(ysf.numpy(), _first(ref @ pw[0, 0]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spatial,ks,strides,dil,padding,dm", DW2D)
def test_depthwise_conv2d_gradients(spatial, ks, strides, dil, padding, dm, path):
    x, w = _x((2,) + spatial + (2,)), _x(ks + (2, dm), seed=1)
    check_gradients(lambda a, b: depthwise.depthwise_conv2d(a, b, strides, padding, None, dil),
                    [x, w])


@pytest.mark.parametrize("spatial,ks,strides,dil,padding,dm", DW2D[1:5])
def test_separable_conv2d_gradients(spatial, ks, strides, dil, padding, dm, path):
    x, w, pw = _x((1,) + spatial + (2,)), _x(ks + (2, dm), seed=1), _x((1, 1, 2 * dm, 3), 2)
    check_gradients(lambda a, b, c: depthwise.separable_conv2d(a, b, c, strides, padding,
                                                               "channels_last", dil),
                    [x, w, pw])


def test_channels_first_gradients(path):
    x, w, pw = _x((2, 2, 5, 6)), _x((3, 2, 2, 2), seed=1), _x((1, 1, 4, 3), seed=2)
    check_gradients(lambda a, b: depthwise.depthwise_conv2d(a, b, (2, 1), "same",
                                                            "channels_first"), [x, w])
    check_gradients(lambda a, b, c: depthwise.separable_conv2d(a, b, c, (1, 1), "same",
                                                               "channels_first", (1, 2)),
                    [x, w, pw])


def test_partial_gradients_equal_full_ones(path):
    """needs_input_grad: only the wanted gradients are computed, and they are the same."""
    x, w, pw = _x((2, 5, 5, 2)), _x((3, 3, 2, 2), seed=1), _x((1, 1, 4, 3), seed=2)
    seed = _x((2, 3, 3, 3), seed=3)

    def grads(sources):
        xp = gk_xp.xp()
        tensors = [Variable(xp.asarray(a)) if i in sources else as_tensor(xp.asarray(a))
                   for i, a in enumerate((x, w, pw))]
        with Tape() as tape:
            y = depthwise.separable_conv2d(*tensors, strides=2, padding="same")
        return [gk_xp.asnumpy(g)
                for g in tape.gradient(y, [tensors[i] for i in sources], xp.asarray(seed))]

    full = grads((0, 1, 2))
    for subset in ((0,), (1,), (2,), (1, 2), (0, 2)):
        for i, g in zip(subset, grads(subset)):
            np.testing.assert_allclose(g, full[i], rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_known_values(path):
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    w = np.ones((2, 2, 2, 2), np.float32)
    w[..., 1] = 2.0
    y = depthwise.depthwise_conv2d(x, w)
    assert y.dtype == np.float32
    # channel 0 sums 0+2+4+6 = 12, channel 1 sums 1+3+5+7 = 16; order c * M + m
    np.testing.assert_array_equal(y.numpy().ravel(), [12, 24, 16, 32])


# ---------------------------------------------------------------------------- 1-D
DW1D = [  # steps, k, stride, dilation, padding, depth_multiplier
    (7, 3, 1, 1, "valid", 1), (8, 3, 2, 1, "same", 2), (7, 2, 1, 2, "causal", 1),
    (9, 3, 2, 1, "causal", 2), (6, 2, 3, 1, "same", 1), (8, 3, 1, 2, "valid", 2),
]


@pytest.mark.parametrize("steps,k,s,d,padding,dm", DW1D)
def test_depthwise_and_separable_conv1d(steps, k, s, d, padding, dm, path):
    x, w, pw = _x((2, steps, 2)), _x((k, 2, dm), seed=1), _x((1, 2 * dm, 3), seed=2)
    pads, out = _pads_out((steps,), (k,), (s,), (d,), padding)
    ref = naive_depthwise(x, w, (s,), pads, (d,), out)
    y = depthwise.depthwise_conv1d(x, w, s, padding, "channels_last", d)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    yf = depthwise.depthwise_conv1d(_first(x), w, s, padding, "channels_first", d)
    np.testing.assert_allclose(yf.numpy(), _first(ref), rtol=1e-12, atol=1e-12)
    ys = depthwise.separable_conv1d(x, w, pw, s, padding, "channels_last", d)
    np.testing.assert_allclose(ys.numpy(), ref @ pw[0], rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: depthwise.depthwise_conv1d(a, b, s, padding, None, d), [x, w])
    check_gradients(lambda a, b, c: depthwise.separable_conv1d(a, b, c, s, padding,
                                                               "channels_first", d),
                    [_first(x).copy(), w, pw])


# ---------------------------------------------------------------------------- transposed
T1D = [  # steps, k, stride, dilation, padding, output steps (None: inferred)
    (4, 3, 1, 1, "valid", None), (3, 3, 2, 1, "valid", None), (3, 3, 2, 1, "valid", 8),
    (4, 3, 2, 1, "same", None), (3, 2, 2, 1, "same", 5), (4, 3, 1, 2, "same", None),
    (3, 2, 1, 3, "valid", None),
]


@pytest.mark.parametrize("steps,k,s,d,padding,out", T1D)
def test_conv1d_transpose(steps, k, s, d, padding, out):
    x, w = _x((2, steps, 3)), _x((k, 2, 3), seed=1)
    shape = None if out is None else (2, out, 2)
    y = conv_transpose.conv1d_transpose(x, w, shape, s, padding, "channels_last", d)
    length = y.shape[1]
    if out is not None:
        assert length == out
    pads, back = _pads_out((length,), (k,), (s,), (d,), padding)
    assert back == (steps,)
    ref = _naive.conv_transpose(x, w, (length,), (s,), pads, (d,))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    yf = conv_transpose.conv1d_transpose(_first(x), w, None if out is None else (2, 2, out),
                                         s, padding, "channels_first", d)
    np.testing.assert_allclose(yf.numpy(), _first(ref), rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: conv_transpose.conv1d_transpose(a, b, shape, s, padding,
                                                                 None, d), [x, w])


T3D = [  # (d, h, w), ks, strides, dilation, padding, output spatial (None: inferred)
    ((2, 3, 2), (2, 2, 3), (1, 1, 1), (1, 1, 1), "valid", None),
    ((2, 2, 3), (3, 3, 3), (2, 2, 2), (1, 1, 1), "same", None),
    ((2, 2, 2), (3, 3, 3), (2, 3, 2), (1, 1, 1), "valid", (6, 8, 5)),
    ((2, 3, 2), (2, 2, 2), (1, 1, 1), (1, 2, 1), "same", None),
]


@pytest.mark.parametrize("spatial,ks,strides,dil,padding,out", T3D)
def test_conv3d_transpose(spatial, ks, strides, dil, padding, out):
    x, w = _x((1,) + spatial + (2,)), _x(ks + (2, 2), seed=1)
    shape = None if out is None else (None,) + out + (2,)
    y = conv_transpose.conv3d_transpose(x, w, shape, strides, padding, "channels_last", dil)
    full = y.shape[1:-1]
    pads, back = _pads_out(full, ks, strides, dil, padding)
    assert back == spatial
    ref = _naive.conv_transpose(x, w, full, strides, pads, dil)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    shape_cf = None if out is None else (1, 2) + out
    yf = conv_transpose.conv3d_transpose(_first(x), w, shape_cf, strides, padding,
                                         "channels_first", dil)
    np.testing.assert_allclose(yf.numpy(), _first(ref), rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: conv_transpose.conv3d_transpose(a, b, shape_cf, strides,
                                                                 padding, "channels_first",
                                                                 dil),
                    [_first(x).copy(), w])


# ---------------------------------------------------------------------------- K and errors
def test_backend_exports():
    x, w, pw = _x((1, 5, 5, 2)), _x((3, 3, 2, 1), seed=1), _x((1, 1, 2, 3), seed=2)
    np.testing.assert_allclose(K.separable_conv2d(x, w, pw, padding="same").numpy(),
                               depthwise.separable_conv2d(x, w, pw, padding="same").numpy())
    np.testing.assert_allclose(K.depthwise_conv2d(x, w, strides=(2, 2)).numpy(),
                               depthwise.depthwise_conv2d(x, w, strides=2).numpy())
    np.testing.assert_allclose(K.separable_conv1d(x[:, 0], w[0], pw[0]).numpy(),
                               depthwise.separable_conv1d(x[:, 0], w[0], pw[0]).numpy())
    y = K.conv3d_transpose(_x((1, 2, 2, 2, 2)), _x((2, 2, 2, 3, 2)), (1, 3, 3, 3, 3))
    assert y.shape == (1, 3, 3, 3, 3)


def test_depthwise_errors():
    x, w = _x((1, 5, 5, 2)), _x((3, 3, 2, 1))
    with pytest.raises(ValueError, match="depthwise_conv2d: the depthwise_kernel's input "
                                         "channels"):
        depthwise.depthwise_conv2d(x, _x((3, 3, 3, 1)))
    with pytest.raises(ValueError, match="depthwise_conv2d expects a 4-D depthwise_kernel"):
        depthwise.depthwise_conv2d(x, w[0])
    with pytest.raises(ValueError, match="depthwise_conv2d expects a 4-D input"):
        depthwise.depthwise_conv2d(x[0], w)
    with pytest.raises(TypeError, match="depthwise_conv2d.*float32"):
        depthwise.depthwise_conv2d(x, w.astype(np.float32))
    with pytest.raises(ValueError, match="depthwise_conv2d: strides > 1 cannot be combined"):
        depthwise.depthwise_conv2d(x, w, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="depthwise_conv2d: The `padding`.*'causal'"):
        depthwise.depthwise_conv2d(x, w, padding="causal")
    with pytest.raises(ValueError, match="depthwise_conv2d.*depthwise kernel spans"):
        depthwise.depthwise_conv2d(x, w, dilation_rate=3)
    with pytest.raises(ValueError, match=r"separable_conv2d: the pointwise_kernel must have "
                                         r"shape \(1, 1, 2, filters\)"):
        depthwise.separable_conv2d(x, w, _x((1, 1, 3, 4)))
    with pytest.raises(ValueError, match="separable_conv2d: the pointwise_kernel"):
        depthwise.separable_conv2d(x, w, _x((2, 1, 2, 4)))
    with pytest.raises(TypeError, match="separable_conv2d.*pointwise_kernel is float32"):
        depthwise.separable_conv2d(x, w, _x((1, 1, 2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="separable_conv1d: The `strides`"):
        depthwise.separable_conv1d(x[:, 0], w[0], _x((1, 2, 3)), strides=0)


def test_transpose_errors():
    x = _x((1, 3, 2))
    with pytest.raises(ValueError, match="conv1d_transpose: the kernel's input channels"):
        conv_transpose.conv1d_transpose(x, _x((3, 2, 3)))
    with pytest.raises(ValueError, match="conv1d_transpose: output_shape .* does not fit"):
        conv_transpose.conv1d_transpose(x, _x((3, 2, 2)), (1, 9, 2), strides=2)
    with pytest.raises(ValueError, match="conv1d_transpose: output_shape .* 2 channels but"):
        conv_transpose.conv1d_transpose(x, _x((3, 3, 2)), (1, 5, 2))
    with pytest.raises(ValueError, match="conv3d_transpose: output_shape must have 5"):
        conv_transpose.conv3d_transpose(_x((1, 2, 2, 2, 2)), _x((2, 2, 2, 2, 2)), (1, 3, 3, 2))
    with pytest.raises(ValueError, match="conv3d_transpose: The `padding`"):
        conv_transpose.conv3d_transpose(_x((1, 2, 2, 2, 2)), _x((2, 2, 2, 2, 2)),
                                        padding="causal")
