"""gkeras.ops.pooling: forward against loop references, gradients by finite differences."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd.gradient_check import check_gradients

from . import _naive


def _distinct(shape, seed=0):
    """Distinct values 0.01 apart (no ties, so max pooling is differentiable)."""
    size = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(size).reshape(shape) - size / 2) * 0.01


def _first(x):
    return np.moveaxis(x, -1, 1)


def _pads_out(spatial, ks, strides, padding):
    pads, out = [], []
    for n, k, s in zip(spatial, ks, strides):
        p, o = _naive.same_padding(n, k, s) if padding == "same" else (
            0, _naive.valid_size(n, k, s))
        pads.append(p)
        out.append(o)
    return tuple(pads), tuple(out)


def _reference(x, ks, strides, padding, mode):
    pads, out = _pads_out(x.shape[1:-1], ks, strides, padding)
    if mode == "max":
        return _naive.max_pool(x, ks, strides, pads, out)[0]
    return _naive.avg_pool(x, ks, strides, pads, out)


POOL2D = [  # (H, W), pool_size, strides, padding
    ((6, 6), (2, 2), (2, 2), "valid"),
    ((5, 7), (2, 2), (2, 2), "same"),
    ((6, 5), (3, 3), (2, 2), "same"),
    ((5, 5), (3, 2), (1, 3), "valid"),
    ((4, 6), (3, 3), (1, 1), "same"),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("spatial,ks,strides,padding", POOL2D)
def test_pool2d(spatial, ks, strides, padding, mode):
    x = _distinct((2,) + spatial + (3,))
    y = ops.pool2d(x, ks, strides, padding, pool_mode=mode).numpy()
    np.testing.assert_allclose(y, _reference(x, ks, strides, padding, mode), rtol=1e-12, atol=1e-14)
    yf = ops.pool2d(_first(x), ks, strides, padding, "channels_first", mode).numpy()
    np.testing.assert_allclose(yf, _first(y), rtol=1e-12, atol=1e-14)
    check_gradients(lambda t: ops.pool2d(t, ks, strides, padding, pool_mode=mode), [x])


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_channels_first_gradients(mode):
    check_gradients(lambda t: ops.pool2d(t, (3, 2), (2, 1), "same", "channels_first", mode),
                    [_distinct((2, 3, 5, 4))])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("steps,k,s,padding", [(7, 2, 2, "valid"), (7, 3, 2, "same"),
                                               (6, 3, 1, "same")])
def test_pool1d(steps, k, s, padding, mode):
    x = _distinct((2, steps, 3))
    y = ops.pool1d(x, k, s, padding, pool_mode=mode).numpy()
    np.testing.assert_allclose(y, _reference(x, (k,), (s,), padding, mode), rtol=1e-12, atol=1e-14)
    yf = ops.pool1d(_first(x), k, s, padding, "channels_first", mode).numpy()
    np.testing.assert_allclose(yf, _first(y), rtol=1e-12, atol=1e-14)
    check_gradients(lambda t: ops.pool1d(t, k, s, padding, pool_mode=mode), [x])
    check_gradients(lambda t: ops.pool1d(t, k, s, padding, "channels_first", mode),
                    [_first(x)])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("spatial,ks,strides,padding", [
    ((4, 4, 4), (2, 2, 2), (2, 2, 2), "valid"),
    ((3, 5, 4), (2, 3, 2), (2, 2, 1), "same"),
])
def test_pool3d(spatial, ks, strides, padding, mode):
    x = _distinct((2,) + spatial + (2,))
    y = ops.pool3d(x, ks, strides, padding, pool_mode=mode).numpy()
    np.testing.assert_allclose(y, _reference(x, ks, strides, padding, mode), rtol=1e-12, atol=1e-14)
    yf = ops.pool3d(_first(x), ks, strides, padding, "channels_first", mode).numpy()
    np.testing.assert_allclose(yf, _first(y), rtol=1e-12, atol=1e-14)
    check_gradients(lambda t: ops.pool3d(t, ks, strides, padding, pool_mode=mode), [x])
    check_gradients(lambda t: ops.pool3d(t, ks, strides, padding, "channels_first", mode),
                    [_first(x)])


def test_avg_pool_same_ignores_padded_cells():
    x = np.ones((1, 3, 3, 1), np.float32)
    y = ops.pool2d(x, (2, 2), (2, 2), "same", pool_mode="avg")
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), np.ones((1, 2, 2, 1)))


def test_max_pool_same_never_picks_padding():
    x = -np.ones((1, 3, 3, 1))
    np.testing.assert_array_equal(ops.pool2d(x, 2, 2, "same").numpy(), -np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 3, 4, 3), (2, 2, 3, 2, 3)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pool(mode, shape, data_format, keepdims):
    x = _distinct(shape)
    axes = tuple(range(2, len(shape))) if data_format == "channels_first" else tuple(
        range(1, len(shape) - 1))
    reduce = np.max if mode == "max" else np.mean
    y = ops.global_pool(x, mode, data_format, keepdims)
    np.testing.assert_allclose(y.numpy(), reduce(x, axis=axes, keepdims=keepdims), rtol=1e-12,
                               atol=1e-14)
    check_gradients(lambda t: ops.global_pool(t, mode, data_format, keepdims), [x])


def test_pool_argument_errors():
    x = _distinct((2, 4, 4, 3))
    with pytest.raises(ValueError, match="pool_mode must be 'max' or 'avg', got 'min'"):
        ops.pool2d(x, 2, 2, pool_mode="min")
    with pytest.raises(ValueError, match=r"pool2d: with padding='valid' the pool_size spans "
                                          r"\(5, 5\) cells.*\(4, 4\)"):
        ops.pool2d(x, 5, 1)
    with pytest.raises(ValueError, match="`strides`.*0"):
        ops.pool2d(x, 2, (0, 1))
    with pytest.raises(ValueError, match="`pool_size`"):
        ops.pool2d(x, (2, 2, 2), 1)
    with pytest.raises(ValueError, match="pool3d expects a 5-D input"):
        ops.pool3d(x, 2, 2)
    with pytest.raises(ValueError, match="`padding`"):
        ops.pool1d(x[0], 2, 2, "causal")
    with pytest.raises(TypeError, match="float32 and float64"):
        ops.pool2d(x.astype(np.int64), 2, 2)
    with pytest.raises(ValueError, match="3-D to 5-D"):
        ops.global_pool(x[0, 0], "max")
    with pytest.raises(ValueError, match="pool_mode"):
        ops.global_pool(x, "sum")
