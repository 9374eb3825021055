"""gkeras.ops.array: shape and indexing ops, values against numpy and gradients."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as gk_xp


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, size=shape)


def _grad(fn, x, seed_grad=None):
    v = Variable(x)
    with Tape() as tape:
        y = fn(v)
    return gk_xp.asnumpy(tape.gradient(y, [v], seed_grad)[0])


@pytest.mark.parametrize("shape,new", [((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)),
                                       ((2, 3, 4), (4, -1, 2)), ((6,), (1, 6, 1))])
def test_reshape(shape, new):
    x = _x(shape)
    np.testing.assert_array_equal(ops.reshape(as_tensor(x), new).numpy(), x.reshape(new))
    check_gradients(lambda t: ops.reshape(t, new), [x])


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (0, 2, 1), (-1, 0, 1)])
def test_transpose(axes):
    x = _x((2, 3, 4))
    np.testing.assert_array_equal(ops.transpose(as_tensor(x), axes).numpy(), np.transpose(x, axes))
    check_gradients(lambda t: ops.transpose(t, axes), [x])


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_concatenate(axis):
    shapes = {0: [(1, 3, 4), (2, 3, 4)], 1: [(2, 1, 4), (2, 3, 4)],
              -1: [(2, 3, 1), (2, 3, 2)], 2: [(2, 3, 2), (2, 3, 1)]}[axis]
    xs = [_x(s, seed=i) for i, s in enumerate(shapes)] + [_x(shapes[0], seed=5)]
    y = ops.concatenate([as_tensor(a) for a in xs], axis=axis)
    np.testing.assert_array_equal(y.numpy(), np.concatenate(xs, axis=axis))
    check_gradients(lambda a, b, c: ops.concatenate([a, b, c], axis=axis), xs)


def test_concatenate_with_a_constant_operand():
    a, b = _x((2, 2)), _x((2, 3), seed=1)
    check_gradients(lambda t: ops.concatenate([t, b], axis=1), [a])
    check_gradients(lambda t: ops.concatenate([a, t], axis=1), [b])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_stack(axis):
    xs = [_x((2, 3), seed=i) for i in range(3)]
    y = ops.stack([as_tensor(a) for a in xs], axis=axis)
    np.testing.assert_array_equal(y.numpy(), np.stack(xs, axis=axis))
    check_gradients(lambda a, b, c: ops.stack([a, b, c], axis=axis), xs)


BASIC_KEYS = [
    0, -1, slice(1, 3), slice(None, None, -1), slice(0, 4, 2),
    (1, slice(None), 2), (Ellipsis, 1), (slice(None), None, 0), (None, Ellipsis),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=[repr(k) for k in BASIC_KEYS])
def test_getitem_basic(key):
    x = _x((4, 3, 5))
    np.testing.assert_array_equal(ops.getitem(as_tensor(x), key).numpy(), x[key])
    check_gradients(lambda t: ops.getitem(t, key), [x])


ADVANCED_KEYS = [
    np.array([0, 2, 2, 0, 3]),                        # repeated rows
    [1, 1, 1],
    (np.array([0, 0, 3]), np.array([1, 1, 2])),       # the same element three times... twice
    (slice(None), np.array([[2, 2], [0, 1]])),         # mixed slice / array, repeats
    (np.array([1, 1]), slice(0, 2), np.array([4, 4])),
    np.array([True, False, True, True]),              # boolean mask
]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=["adv%d" % i for i in range(len(ADVANCED_KEYS))])
def test_getitem_advanced_accumulates_repeated_indices(key):
    x = _x((4, 3, 5))
    np.testing.assert_array_equal(ops.getitem(as_tensor(x), key).numpy(), x[key])
    check_gradients(lambda t: ops.getitem(t, key), [x])
    g = _grad(lambda t: ops.getitem(t, key), x)
    counts = np.zeros_like(x)
    np.add.at(counts, key, 1.0)
    np.testing.assert_array_equal(g, counts)


def test_getitem_with_a_tensor_key():
    x = _x((4, 3))
    key = as_tensor(np.array([3, 3, 0]))
    np.testing.assert_array_equal(ops.getitem(as_tensor(x), key).numpy(), x[[3, 3, 0]])
    np.testing.assert_array_equal(_grad(lambda t: ops.getitem(t, key), x)[:, 0], [1, 0, 0, 2])


@pytest.mark.parametrize("indices", [np.array([0, 2, 2, 4, 0, 0]),
                                     np.array([[1, 1], [3, 1], [0, 4]])])
def test_gather_accumulates_repeated_indices(indices):
    params = _x((5, 3))
    y = ops.gather(as_tensor(params), as_tensor(indices))
    np.testing.assert_array_equal(y.numpy(), params[indices])
    check_gradients(lambda p: ops.gather(p, indices), [params])
    counts = np.bincount(indices.ravel(), minlength=5)
    g = _grad(lambda p: ops.gather(p, indices), params)
    np.testing.assert_array_equal(g, np.repeat(counts[:, None], 3, axis=1))


@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 1)), ((2, 3), (1, 3)), ((2, 1, 3), (3, 2, 2))])
def test_tile(shape, reps):
    x = _x(shape)
    np.testing.assert_array_equal(ops.tile(as_tensor(x), reps).numpy(), np.tile(x, reps))
    check_gradients(lambda t: ops.tile(t, reps), [x])


def test_tile_needs_one_count_per_axis():
    with pytest.raises(ValueError, match="one repetition count per axis"):
        ops.tile(as_tensor(np.ones((2, 3))), (2,))


@pytest.mark.parametrize("shape,target", [((3, 1), (2, 3, 4)), ((4,), (2, 3, 4)),
                                          ((1, 1), (3, 2)), ((), (2, 2))])
def test_broadcast_to(shape, target):
    x = _x(shape)
    np.testing.assert_array_equal(ops.broadcast_to(as_tensor(x), target).numpy(),
                                  np.broadcast_to(x, target))
    check_gradients(lambda t: ops.broadcast_to(t, target), [x])


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_expand_dims(axis):
    x = _x((2, 3))
    np.testing.assert_array_equal(ops.expand_dims(as_tensor(x), axis).numpy(),
                                  np.expand_dims(x, axis))
    check_gradients(lambda t: ops.expand_dims(t, axis), [x])


@pytest.mark.parametrize("axis", [0, 2, -1])
def test_squeeze(axis):
    shape = {0: (1, 3, 2), 2: (2, 3, 1), -1: (2, 3, 1)}[axis]
    x = _x(shape)
    np.testing.assert_array_equal(ops.squeeze(as_tensor(x), axis).numpy(), np.squeeze(x, axis))
    check_gradients(lambda t: ops.squeeze(t, axis), [x])


def test_squeeze_rejects_a_long_axis():
    with pytest.raises(ValueError, match="not 1"):
        ops.squeeze(as_tensor(np.ones((2, 3))), 1)


def test_batch_flatten():
    x = _x((2, 3, 4))
    np.testing.assert_array_equal(ops.batch_flatten(as_tensor(x)).numpy(), x.reshape(2, 12))
    check_gradients(ops.batch_flatten, [x])


def test_cast_float_to_float():
    x = _x((2, 3))
    check_gradients(lambda t: ops.cast(t, "float64"), [x])
    v = Variable(x.astype(np.float32))
    w = np.array([1.0, 2.0, 3.0])
    with Tape() as tape:
        y = ops.cast(v, "float64") * w
    assert y.dtype == np.float64
    (g,) = tape.gradient(y, [v])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(gk_xp.asnumpy(g), np.broadcast_to(w, (2, 3)))
    y32 = ops.cast(as_tensor(x), "float32")
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32.numpy(), x.astype(np.float32))


def test_cast_to_integer_carries_no_gradient():
    v = Variable(np.array([1.7, -2.2, 3.9]))
    with Tape() as tape:
        y = ops.cast(v, "int32") * v  # only the second factor's path is differentiable
    (g,) = tape.gradient(y, [v])
    np.testing.assert_array_equal(gk_xp.asnumpy(g), [1.0, -2.0, 3.0])
