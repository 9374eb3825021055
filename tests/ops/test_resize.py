"""gkeras.ops.resize: nearest / bilinear upsampling and zero padding against naive
references (per-pixel loops here, in the tests only), float64 finite-difference gradient
checks, adjoint identities on larger inputs, dtypes, the Keras backend wrappers' argument
checks, and (on a GPU) CuPy against numpy.

Parity with TensorFlow itself is in tests/layers/test_upsampling.py and
test_cropping_padding.py (reference data written by tf-keras 2.21).
"""
import math

import numpy
import pytest

from gkeras import backend as K
from gkeras.autograd import Tape, Variable
from gkeras.autograd.gradient_check import check_gradients
from gkeras.backend import xp as _xp
from gkeras.ops import resize


def naive_bilinear_axis(x, axis, f):
    """TensorFlow's half-pixel bilinear resize along one axis, cell by cell."""
    x = numpy.moveaxis(x, axis, 0)
    n = x.shape[0]
    out = numpy.empty((n * f,) + x.shape[1:], x.dtype)
    for o in range(n * f):
        src = (o + 0.5) / f - 0.5
        lo = math.floor(src)
        w = src - lo
        a, b = x[min(max(lo, 0), n - 1)], x[min(max(lo + 1, 0), n - 1)]
        out[o] = a + (b - a) * x.dtype.type(w)
    return numpy.moveaxis(out, 0, axis)


def naive_bilinear(x, factors):
    for axis in reversed(range(x.ndim)):  # last axis first, as TensorFlow
        if factors[axis] > 1:
            x = naive_bilinear_axis(x, axis, factors[axis])
    return x


def test_bilinear_taps():
    shift, weight = resize.bilinear_taps(5, 2)
    numpy.testing.assert_array_equal(shift, [-1, 0])
    numpy.testing.assert_array_equal(weight, [0.75, 0.25])
    shift, weight = resize.bilinear_taps(5, 3)
    numpy.testing.assert_array_equal(shift, [-1, 0, 0])
    numpy.testing.assert_allclose(weight, [2 / 3, 0, 1 / 3])


@pytest.mark.parametrize("shape,factors", [
    ((2, 3, 4, 2), (1, 2, 2, 1)),
    ((1, 5, 3, 1), (1, 3, 2, 1)),
    ((1, 1, 4, 2), (1, 4, 3, 1)),   # a single row: edges everywhere
    ((1, 2, 2, 1), (1, 5, 7, 1)),
    ((2, 3, 3), (1, 6, 1)),          # one axis
    ((1, 2, 3, 2, 2), (1, 2, 3, 2, 1)),  # three axes
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bilinear_matches_naive(shape, factors, dtype, rng):
    x = rng.normal(size=shape).astype(dtype)
    y = numpy.asarray(resize.upsample_bilinear(x, factors))
    assert y.dtype == dtype
    expected = naive_bilinear(x, factors)
    tol = 1e-6 if dtype == "float32" else 1e-13
    numpy.testing.assert_allclose(y, expected, rtol=tol, atol=tol)


def test_bilinear_properties(rng):
    # constants stay constant; a linear ramp stays linear away from the edges
    ones = numpy.ones((1, 3, 4, 1))
    numpy.testing.assert_allclose(numpy.asarray(resize.upsample_bilinear(ones, (1, 3, 2, 1))),
                                  numpy.ones((1, 9, 8, 1)))
    ramp = numpy.arange(6.0).reshape(1, 6, 1)
    y = numpy.asarray(resize.upsample_bilinear(ramp, (1, 2, 1)))[0, :, 0]
    numpy.testing.assert_allclose(y, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75,
                                      4.25, 4.75, 5])
    x = rng.normal(size=(2, 3, 4, 2))
    assert resize.upsample_bilinear(x, (1, 1, 1, 1)).shape == x.shape


@pytest.mark.parametrize("factors", [(1, 2, 3, 1), (2, 1, 1, 3), (1, 1, 1, 1)])
def test_nearest_matches_repeat(factors, rng):
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    expected = x
    for axis, f in enumerate(factors):
        expected = expected.repeat(f, axis=axis)
    y = numpy.asarray(resize.upsample_nearest(x, factors))
    assert y.dtype == numpy.float32
    numpy.testing.assert_array_equal(y, expected)
    numpy.testing.assert_array_equal(numpy.asarray(K.repeat_elements(x, 3, axis=2)),
                                     x.repeat(3, axis=2))


def test_nearest_keeps_integer_dtypes():
    x = numpy.arange(6, dtype="int32").reshape(1, 2, 3, 1)
    y = numpy.asarray(K.resize_images(x, 2, 2, "channels_last"))
    assert y.dtype == numpy.int32
    numpy.testing.assert_array_equal(y, x.repeat(2, 1).repeat(2, 2))


def test_zero_pad_matches_numpy(rng):
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    widths = ((0, 0), (2, 1), (0, 3))
    numpy.testing.assert_array_equal(numpy.asarray(resize.zero_pad(x, widths)),
                                     numpy.pad(x, widths))
    assert resize.zero_pad(x, ((0, 0),) * 3).shape == x.shape


# ------------------------------------------------------------------ gradients (float64)
@pytest.mark.parametrize("fn,shape", [
    (lambda t: resize.upsample_nearest(t, (1, 2, 3, 1)), (2, 3, 2, 2)),
    (lambda t: resize.upsample_nearest(t, (2, 1, 2)), (2, 3, 2)),
    (lambda t: resize.upsample_bilinear(t, (1, 2, 3, 1)), (2, 3, 4, 2)),
    (lambda t: resize.upsample_bilinear(t, (1, 1, 4, 5)), (1, 2, 3, 2)),
    (lambda t: resize.upsample_bilinear(t, (1, 3, 2, 2, 1)), (1, 2, 3, 2, 1)),
    (lambda t: resize.upsample_bilinear(t, (1, 7, 1)), (2, 1, 3)),   # n = 1
    (lambda t: resize.zero_pad(t, ((1, 0), (0, 2), (3, 1))), (2, 3, 2)),
    (lambda t: resize.resize_images(t, 2, 3, "channels_first", "bilinear"), (1, 2, 3, 2)),
    (lambda t: resize.resize_images(t, 3, 2, "channels_last"), (1, 2, 2, 3)),
    (lambda t: resize.resize_volumes(t, 2, 1, 3, "channels_last"), (1, 2, 2, 2, 2)),
    (lambda t: resize.repeat_elements(t, 2, 0), (2, 3)),
    (lambda t: resize.temporal_padding(t, (0, 2)), (2, 3, 2)),
    (lambda t: resize.spatial_2d_padding(t, ((1, 1), (0, 2))), (1, 2, 3, 2)),
    (lambda t: resize.spatial_3d_padding(t, ((1, 0), (0, 1), (2, 0)), "channels_first"),
     (1, 2, 2, 2, 2)),
])
def test_gradients(fn, shape, rng):
    check_gradients(fn, [rng.normal(size=shape)])


@pytest.mark.parametrize("fn", [
    lambda t: resize.upsample_bilinear(t, (1, 3, 4, 1)),
    lambda t: resize.upsample_nearest(t, (1, 3, 2, 1)),
])
def test_adjoint_on_a_large_input(fn, rng):
    """<A x, r> == <x, A^T r> (the tape's backward is the exact transpose)."""
    x = rng.normal(size=(3, 17, 23, 4))
    v = Variable(x)
    with Tape() as tape:
        y = fn(v)
    r = rng.normal(size=y.shape)
    g, = tape.gradient(y, [v], r)
    numpy.testing.assert_allclose(numpy.sum(numpy.asarray(y) * r),
                                  numpy.sum(x * numpy.asarray(g)), rtol=1e-12)


# ------------------------------------------------------------------ argument checks
@pytest.mark.parametrize("make,error,fragments", [
    (lambda: resize.upsample_nearest(numpy.zeros((1, 2)), (2,)), ValueError, ["1 factors"]),
    (lambda: resize.upsample_bilinear(numpy.zeros((1, 2)), (1, 0)), ValueError,
     ["upsample_bilinear", "factors", "0"]),
    (lambda: resize.upsample_bilinear(numpy.zeros((1, 2)), (1, 1.5)), ValueError,
     ["factors", "1.5"]),
    (lambda: resize.zero_pad(numpy.zeros((1, 2)), ((0, 0), (1, -1))), ValueError,
     ["zero_pad", "widths[1]"]),
    (lambda: resize.zero_pad(numpy.zeros((1, 2)), ((0, 0),)), ValueError, ["zero_pad", "1"]),
    (lambda: K.temporal_padding(numpy.zeros((1, 2, 1)), 1), ValueError,
     ["temporal_padding", "pair"]),
    (lambda: K.spatial_2d_padding(numpy.zeros((1, 2, 2, 1)), ((1, 1), (1, 1, 1))),
     ValueError, ["spatial_2d_padding", "padding[1]"]),
    (lambda: K.resize_volumes(numpy.zeros((1, 2, 2, 1)), 1, 1, 1, "channels_last"),
     ValueError, ["resize_volumes", "5-D"]),
])
def test_bad_arguments(make, error, fragments):
    with pytest.raises(error) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


# ------------------------------------------------------------------ GPU
@pytest.mark.gpu
@pytest.mark.parametrize("function,factors", [
    (resize.UpsampleBilinear, (1, 2, 3, 1)), (resize.UpsampleBilinear, (1, 5, 1, 1)),
    (resize.UpsampleNearest, (1, 2, 3, 1))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cupy_matches_numpy(function, factors, dtype, rng):
    cp = _xp.xp()
    x = rng.normal(size=(4, 13, 11, 6)).astype(dtype)
    f_np, f_cp = function(factors), function(factors)
    y = f_np.forward(numpy, x)
    numpy.testing.assert_allclose(_xp.asnumpy(f_cp.forward(cp, cp.asarray(x))), y,
                                  rtol=1e-6, atol=1e-6)
    gy = rng.normal(size=y.shape).astype(dtype)
    numpy.testing.assert_allclose(_xp.asnumpy(f_cp.backward(cp, cp.asarray(gy))),
                                  f_np.backward(numpy, gy), rtol=1e-6, atol=1e-6)
