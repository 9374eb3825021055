"""gkeras.ops.special: vectorised erf / erfc against Python's math module."""
import math

import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import as_tensor
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as gk_xp
from gkeras.ops.special import erf_array, erfc_array

# A wide grid: dense around the interval edges 0.46875 and 4, log-spaced tiny values,
# both tails, and the point where erfc leaves the normal range (~26.5).
GRID = np.unique(np.concatenate([
    np.linspace(-30.0, 30.0, 6001),
    np.linspace(0.46, 0.48, 201), np.linspace(3.99, 4.01, 201),
    np.geomspace(1e-300, 1.0, 301), -np.geomspace(1e-300, 1.0, 301),
    [0.0, 0.46875, 4.0, 26.0, 26.5, 26.54, 27.0, 40.0, 1e10, 1e300],
]))


def _run(fn, x):
    xp = gk_xp.xp()
    return gk_xp.asnumpy(fn(xp, xp.asarray(x)))


def test_erf_matches_math_erf():
    got = _run(erf_array, GRID)
    expected = np.array([math.erf(v) for v in GRID])
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=1e-300)
    assert np.all(np.abs(got) <= 1.0)


def test_erfc_matches_math_erfc_in_relative_terms():
    got = _run(erfc_array, GRID)
    expected = np.array([math.erfc(v) for v in GRID])
    normal = expected >= np.finfo(np.float64).tiny  # Cody returns 0 once erfc is subnormal
    np.testing.assert_allclose(got[normal], expected[normal], rtol=2e-15, atol=0)
    assert np.all(got[~normal] <= np.finfo(np.float64).tiny)
    np.testing.assert_allclose(got, expected, rtol=2e-15, atol=np.finfo(np.float64).tiny)


def test_erf_special_values_and_symmetry():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    e, c = _run(erf_array, x), _run(erfc_array, x)
    np.testing.assert_array_equal(e[:4], [0.0, 0.0, 1.0, -1.0])
    np.testing.assert_array_equal(c[:4], [1.0, 1.0, 0.0, 2.0])
    assert np.isnan(e[4]) and np.isnan(c[4])
    np.testing.assert_array_equal(_run(erf_array, -GRID), -_run(erf_array, GRID))


def test_float32_in_float32_out():
    x = np.linspace(-5, 5, 101).astype(np.float32)
    e, c = _run(erf_array, x), _run(erfc_array, x)
    assert e.dtype == np.float32 and c.dtype == np.float32
    np.testing.assert_allclose(e, [math.erf(v) for v in x.astype(np.float64)], rtol=1e-7,
                               atol=1e-38)
    np.testing.assert_allclose(c, [math.erfc(v) for v in x.astype(np.float64)], rtol=1e-7)


@pytest.mark.parametrize("op,ref", [(ops.erf, math.erf), (ops.erfc, math.erfc)])
def test_erf_ops_forward_and_gradient(op, ref):
    x = np.array([[-3.0, -1.2, -0.3, 0.0], [0.2, 0.47, 1.5, 4.2]])
    np.testing.assert_allclose(op(as_tensor(x)).numpy(),
                               np.vectorize(ref)(x), rtol=1e-15, atol=1e-300)
    check_gradients(op, [x], atol=1e-9, rtol=1e-7)
