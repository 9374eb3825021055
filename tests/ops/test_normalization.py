"""Fused batch-normalization op: forward against numpy, backward by finite differences."""
import numpy
import pytest

from gkeras.autograd.gradient_check import check_gradients
from gkeras.ops.normalization import batch_norm_train


@pytest.mark.parametrize("shape, axes", [((6, 3), (1,)), ((4, 3, 2, 2), (1,)),
                                         ((4, 2, 2, 3), (3,)), ((5, 4, 3), (2,)),
                                         ((3, 4, 5), (1, 2))])
def test_batch_norm_train_gradients(shape, axes, rng):
    pshape = tuple(shape[a] for a in axes)
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(pshape), rng.standard_normal(pshape)
    check_gradients(lambda x, g, b: batch_norm_train(x, g, b, axes, 1e-3)[0], [x, gamma, beta])


def test_batch_norm_train_forward_and_statistics(rng):
    x = rng.standard_normal((8, 3)) * 3 + 2
    gamma, beta = numpy.array([1.0, 2.0, 0.5]), numpy.array([0.0, -1.0, 3.0])
    y, mean, var = batch_norm_train(x, gamma, beta, (1,), 1e-3)
    expected = (x - x.mean(0)) / numpy.sqrt(x.var(0) + 1e-3) * gamma + beta
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    numpy.testing.assert_allclose(mean, x.mean(0), rtol=1e-12)
    numpy.testing.assert_allclose(var, x.var(0), rtol=1e-12)
