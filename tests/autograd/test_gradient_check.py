"""The finite-difference checker itself: it accepts right gradients and names wrong ones."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Function
from gkeras.autograd.gradient_check import check_gradients, numerical_gradient


class _WrongSquare(Function):
    """x ** 2 with a gradient that is wrong at one element."""

    def forward(self, xp, x):
        self.x = x
        return x * x

    def backward(self, xp, gy):
        g = 2 * self.x * gy
        g.reshape(-1)[-1] += 1.0
        return g


class _WrongShape(Function):
    def forward(self, xp, x):
        return x.sum()

    def backward(self, xp, gy):
        return xp.ones(3)


def test_numerical_gradient_of_a_quadratic():
    a = np.array([1.0, -2.0, 0.5])
    (g,) = numerical_gradient(lambda x: float(np.sum(x ** 2)), [a])
    np.testing.assert_allclose(g, 2 * a, atol=1e-8)
    np.testing.assert_array_equal(a, [1.0, -2.0, 0.5])  # restored after probing


def test_numerical_gradient_uses_directions_for_large_arrays():
    a = np.random.default_rng(0).normal(size=(50, 50))
    (pairs,) = numerical_gradient(lambda x: float(np.sum(x ** 2)), [a], directions=2)
    assert len(pairs) == 2
    for d, value in pairs:
        assert abs(value - float(np.sum(2 * a * d))) < 1e-6


def test_accepts_correct_gradients_of_several_inputs_and_any_output_shape():
    a, b = np.random.default_rng(1).normal(size=(2, 3)), np.random.default_rng(2).normal(size=3)
    check_gradients(lambda x, y: ops.tanh(x) * y, [a, b])
    check_gradients(lambda x, y: ops.sum(x * y), [a, b])


def test_names_the_input_and_worst_index_of_a_wrong_gradient():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(AssertionError, match=r"input 0: gradient mismatch at index \(1, 1\)"):
        check_gradients(lambda t: _WrongSquare().apply(t), [x])


def test_catches_wrong_gradients_of_large_inputs_by_direction():
    x = np.random.default_rng(3).normal(size=(60, 40))
    check_gradients(ops.square, [x])
    with pytest.raises(AssertionError, match="directional derivative"):
        check_gradients(lambda t: _WrongSquare().apply(t), [x])


def test_reports_a_gradient_of_the_wrong_shape():
    with pytest.raises(AssertionError, match="gradient shape"):
        check_gradients(lambda t: _WrongShape().apply(t), [np.ones((2, 2))])


def test_checks_in_float64_even_for_float32_inputs():
    x32 = np.array([0.3, -0.7], dtype=np.float32)
    check_gradients(ops.exp, [x32], atol=1e-9, rtol=1e-8)
