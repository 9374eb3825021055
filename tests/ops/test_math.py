"""gkeras.ops.math: forward against numpy, backward by float64 finite differences."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.ops import math as math_ops
from gkeras.backend import xp as gk_xp


def _uniform(shape, lo=-2.0, hi=2.0, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _away_from_zero(shape, lo=0.5, hi=2.0, seed=0):
    """Values with |v| in [lo, hi] and random signs: no kink of abs/relu nearby."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape)


def _positive(shape, lo=0.5, hi=2.0, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# (op, numpy reference, input maker for a, input maker for b)
BINARY = [
    ("add", ops.add, np.add, _uniform, _uniform),
    ("subtract", ops.subtract, np.subtract, _uniform, _uniform),
    ("multiply", ops.multiply, np.multiply, _uniform, _uniform),
    ("divide", ops.divide, np.divide, _uniform, _away_from_zero),
    ("power", ops.power, np.power, _positive, _uniform),
    ("maximum", ops.maximum, np.maximum, _uniform, _uniform),
    ("minimum", ops.minimum, np.minimum, _uniform, _uniform),
]

BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
]


@pytest.mark.parametrize("name,op,ref,make_a,make_b", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shape_a,shape_b", BROADCAST_SHAPES,
                         ids=["%s-%s" % s for s in BROADCAST_SHAPES])
def test_binary_forward_and_gradient(name, op, ref, make_a, make_b, shape_a, shape_b):
    a = make_a(shape_a, seed=1)
    b = make_b(shape_b, seed=2)
    y = op(as_tensor(a), as_tensor(b))
    np.testing.assert_allclose(y.numpy(), ref(a, b), rtol=1e-14, atol=0)
    assert y.shape == np.broadcast_shapes(shape_a, shape_b)
    check_gradients(op, [a, b], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name,op,ref,make_a,make_b", BINARY, ids=[b[0] for b in BINARY])
def test_binary_with_python_scalar(name, op, ref, make_a, make_b):
    a = make_a((2, 3), seed=3)
    s = 1.5
    np.testing.assert_allclose(op(as_tensor(a), s).numpy(), ref(a, s), rtol=1e-14)
    check_gradients(lambda t: op(t, s), [a], atol=1e-7, rtol=1e-6)
    b = _away_from_zero((2, 3), seed=4)  # also a divisor and an exponent
    np.testing.assert_allclose(op(s, as_tensor(b)).numpy(), ref(s, b), rtol=1e-14)
    check_gradients(lambda t: op(s, t), [b], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("op", [ops.add, ops.subtract, ops.multiply, ops.divide, ops.power,
                                ops.maximum, ops.minimum])
def test_python_scalars_keep_float32(op):
    x = as_tensor(np.full((2, 2), 1.5, np.float32))
    assert op(x, 2.0).dtype == np.float32
    assert op(2.0, x).dtype == np.float32
    assert op(x, 2).dtype == np.float32
    assert op(x, np.float64(2.0)).dtype == np.float32


def test_maximum_minimum_ties_go_to_first_operand():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 3.0])
    for op, expect_a in ((ops.maximum, [1, 0, 1]), (ops.minimum, [1, 1, 1])):
        va, vb = Variable(a), Variable(b)
        with Tape() as tape:
            y = op(va, vb)
        ga, gb = tape.gradient(y, [va, vb])
        np.testing.assert_array_equal(gk_xp.asnumpy(ga), expect_a)
        np.testing.assert_array_equal(gk_xp.asnumpy(ga) + gk_xp.asnumpy(gb), [1, 1, 1])


def test_power_gradient_wrt_exponent_with_nonpositive_base_is_finite():
    a, b = Variable(np.array([0.0, -2.0, 2.0])), Variable(np.array([2.0, 2.0, 2.0]))
    with Tape() as tape:
        y = ops.power(a, b)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(gk_xp.asnumpy(ga), [0.0, -4.0, 4.0])
    np.testing.assert_allclose(gk_xp.asnumpy(gb), [0.0, 0.0, 4.0 * np.log(2.0)])


UNARY = [
    ("negative", ops.negative, np.negative, _uniform),
    ("abs", ops.abs, np.abs, _away_from_zero),
    ("square", ops.square, np.square, _uniform),
    ("sqrt", ops.sqrt, np.sqrt, _positive),
    ("exp", ops.exp, np.exp, _uniform),
    ("log", ops.log, np.log, _positive),
    ("log1p", ops.log1p, np.log1p, lambda shape, seed: _uniform(shape, -0.5, 2.0, seed)),
]


@pytest.mark.parametrize("name,op,ref,make", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 2)])
def test_unary_forward_and_gradient(name, op, ref, make, shape):
    x = make(shape, seed=5)
    np.testing.assert_allclose(op(as_tensor(x)).numpy(), ref(x), rtol=1e-14)
    check_gradients(op, [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name,op,ref,make", UNARY, ids=[u[0] for u in UNARY])
def test_unary_keeps_float32(name, op, ref, make):
    x = make((3,), seed=6).astype(np.float32)
    y = op(as_tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ref(x), rtol=1e-6)


def test_clip_forward_and_gradient():
    # keep every value at least 0.1 away from the bounds -0.5 and 0.8
    x = np.array([[-2.0, -0.7, -0.3, 0.0], [0.4, 0.65, 1.0, 3.0]])
    np.testing.assert_array_equal(ops.clip(as_tensor(x), -0.5, 0.8).numpy(), np.clip(x, -0.5, 0.8))
    check_gradients(lambda t: ops.clip(t, -0.5, 0.8), [x])
    v = Variable(x)
    with Tape() as tape:
        y = ops.clip(v, -0.5, 0.8)
    (g,) = tape.gradient(y, [v])
    np.testing.assert_array_equal(gk_xp.asnumpy(g), (x >= -0.5) & (x <= 0.8))


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES, ids=["%s@%s" % s for s in MATMUL_SHAPES])
def test_matmul_forward_and_gradient(shape_a, shape_b):
    a, b = _uniform(shape_a, seed=7), _uniform(shape_b, seed=8)
    np.testing.assert_allclose(ops.matmul(as_tensor(a), as_tensor(b)).numpy(), np.matmul(a, b),
                               rtol=1e-13)
    check_gradients(ops.matmul, [a, b])


def test_matmul_rejects_vectors():
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.matmul(as_tensor(np.ones(3)), as_tensor(np.ones((3, 2))))


DOT_SHAPES = [
    ((3, 4), (4, 5)),        # plain GEMM
    ((2, 3, 4), (4, 5)),     # Dense on a sequence
    ((3, 4), (2, 4, 5)),     # Keras: contracts with the second-to-last axis of y
    ((2, 3, 4), (6, 4, 5)),
    ((4,), (2, 4, 3)),
]


@pytest.mark.parametrize("shape_x,shape_w", DOT_SHAPES, ids=["%s.%s" % s for s in DOT_SHAPES])
def test_dot_is_keras_k_dot(shape_x, shape_w):
    x, w = _uniform(shape_x, seed=9), _uniform(shape_w, seed=10)
    expected = np.tensordot(x, w, axes=([-1], [-2]))  # K.dot's definition
    y = ops.dot(as_tensor(x), as_tensor(w))
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-13)
    check_gradients(ops.dot, [x, w])


def test_dot_keeps_float32():
    x = as_tensor(np.ones((2, 3, 4), np.float32))
    w = as_tensor(np.ones((4, 5), np.float32))
    assert ops.dot(x, w).dtype == np.float32


def test_function_classes_are_exported_behind_wrappers():
    for cls in (math_ops.Add, math_ops.Subtract, math_ops.Multiply, math_ops.Divide,
                math_ops.Power, math_ops.Maximum, math_ops.Minimum, math_ops.MatMul):
        a, b = _positive((2, 2), seed=11), _positive((2, 2), seed=12)
        check_gradients(lambda s, t, cls=cls: cls().apply(s, t), [a, b])
    for cls in (math_ops.Negative, math_ops.Abs, math_ops.Square, math_ops.Sqrt, math_ops.Exp,
                math_ops.Log, math_ops.Log1p):
        check_gradients(lambda t, cls=cls: cls().apply(t), [_positive((3,), seed=13)])
