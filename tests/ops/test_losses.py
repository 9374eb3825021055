"""gkeras.ops.losses: the fused cross-entropies on logits, values and gradients."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as gk_xp


def _log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _logits(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape) * 2


def _soft_targets(shape, axis=-1, seed=1):
    t = np.random.default_rng(seed).uniform(0.1, 1.0, size=shape)
    return t / t.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((2, 3, 4), -1), ((2, 3, 4), 1)])
def test_softmax_cross_entropy(shape, axis):
    x, t = _logits(shape), _soft_targets(shape, axis)
    y = ops.softmax_cross_entropy(as_tensor(x), as_tensor(t), axis=axis)
    np.testing.assert_allclose(y.numpy(), -(t * _log_softmax(x, axis)).sum(axis=axis),
                               rtol=1e-13)
    # gradient with respect to the logits and to the target
    check_gradients(lambda a, b: ops.softmax_cross_entropy(a, b, axis=axis), [x, t])


def test_softmax_cross_entropy_unnormalised_targets():
    x = _logits((3, 4))
    t = np.random.default_rng(2).uniform(0.0, 2.0, size=(3, 4))  # rows not summing to 1
    check_gradients(ops.softmax_cross_entropy, [x, t])


def test_softmax_cross_entropy_is_stable_and_gradient_is_p_minus_t():
    x = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    v = Variable(x)
    with Tape() as tape:
        y = ops.softmax_cross_entropy(v, as_tensor(t))
    np.testing.assert_allclose(y.numpy(), [1000.0, np.log(3)])
    (g,) = tape.gradient(y, [v])
    np.testing.assert_allclose(gk_xp.asnumpy(g), [[1, -1, 0], [1 / 3 - 1, 1 / 3, 1 / 3]],
                               atol=1e-15)


@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 4)])
def test_sparse_softmax_cross_entropy(shape):
    x = _logits(shape)
    labels = np.random.default_rng(3).integers(0, shape[-1], size=shape[:-1])
    labels.ravel()[:2] = 1  # repeated labels
    y = ops.sparse_softmax_cross_entropy(as_tensor(x), as_tensor(labels))
    expected = -np.take_along_axis(_log_softmax(x), labels[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-13)
    check_gradients(lambda a: ops.sparse_softmax_cross_entropy(a, labels), [x])
    # equal to the dense op on one-hot targets, value and gradient
    onehot = np.eye(shape[-1])[labels]
    np.testing.assert_allclose(
        y.numpy(), ops.softmax_cross_entropy(as_tensor(x), as_tensor(onehot)).numpy(), rtol=1e-13)


def test_sparse_softmax_cross_entropy_accepts_float_labels():
    x = _logits((3, 4))
    labels = np.array([0.0, 3.0, 1.0])
    expected = ops.sparse_softmax_cross_entropy(as_tensor(x), as_tensor(labels.astype(np.int64)))
    np.testing.assert_allclose(
        ops.sparse_softmax_cross_entropy(as_tensor(x), as_tensor(labels)).numpy(), expected.numpy())


@pytest.mark.parametrize("bad", [[0, 4, 1], [-1, 0, 1]])
def test_sparse_softmax_cross_entropy_rejects_bad_labels(bad):
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        ops.sparse_softmax_cross_entropy(as_tensor(_logits((3, 4))), as_tensor(np.array(bad)))


def test_sigmoid_cross_entropy():
    x = _logits((3, 4))
    t = np.random.default_rng(4).uniform(0, 1, size=(3, 4))
    y = ops.sigmoid_cross_entropy(as_tensor(x), as_tensor(t))
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(y.numpy(), -(t * np.log(p) + (1 - t) * np.log(1 - p)),
                               rtol=1e-12)
    check_gradients(ops.sigmoid_cross_entropy, [x, t])


def test_sigmoid_cross_entropy_is_stable():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    t = np.array([1.0, 1.0, 0.5, 0.0, 0.0])
    with np.errstate(over="raise", invalid="raise"):
        y = ops.sigmoid_cross_entropy(as_tensor(x), as_tensor(t)).numpy()
    np.testing.assert_allclose(y, [1000, 30 + np.log1p(np.exp(-30)), np.log(2),
                                   30 + np.log1p(np.exp(-30)), 1000], rtol=1e-15)


def test_cross_entropies_keep_float32():
    x = _logits((3, 4)).astype(np.float32)
    t = _soft_targets((3, 4)).astype(np.float32)
    assert ops.softmax_cross_entropy(as_tensor(x), as_tensor(t)).dtype == np.float32
    assert ops.sigmoid_cross_entropy(as_tensor(x), as_tensor(t)).dtype == np.float32
    labels = as_tensor(np.array([0, 1, 3], np.int32))
    assert ops.sparse_softmax_cross_entropy(as_tensor(x), labels).dtype == np.float32
