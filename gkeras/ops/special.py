"""Special functions: the error function and its complement, vectorised.

numpy has no `erf`, so this implements W. J. Cody's rational Chebyshev
approximations ("Rational Chebyshev approximations for the error function",
Math. Comp. 23 (1969), 631-637; the coefficients of Netlib SPECFUN's CALERF).
Their maximal relative error is below 1e-16 in each of the three intervals
|x| <= 0.46875, 0.46875 < |x| <= 4 and |x| > 4. Every interval is evaluated on
the whole array and the results are selected with `where`, so the same code
runs on numpy and CuPy without Python loops over elements. Inputs of lower
precision are computed in float64 and rounded back.
"""
import math as _pymath

from ..autograd.function import Function
from ._util import as_tensor

# erf(x) = x * P(x^2) / Q(x^2) for |x| <= 0.46875
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc(x) = exp(-x^2) * P(x) / Q(x) for 0.46875 < x <= 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
# erfc(x) = exp(-x^2) / x * (1/sqrt(pi) + P(1/x^2) / (x^2 Q(1/x^2))) for x > 4
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875
_XBIG = 26.543  # erfc underflows to 0 beyond this


def _erf_small(xp, x):
    """erf(x) for |x| <= 0.46875 (x^2 P / Q)."""
    z = x * x
    num, den = _A[4] * z, z
    for i in range(3):
        num = (num + _A[i]) * z
        den = (den + _B[i]) * z
    return x * (num + _A[3]) / (den + _B[3])


def _exp_minus_square(xp, y):
    """exp(-y*y) without the rounding error of squaring y (Cody's splitting)."""
    ysq = xp.trunc(y * 16.0) / 16.0
    return xp.exp(-ysq * ysq) * xp.exp(-(y - ysq) * (y + ysq))


def _erfc_large(xp, y):
    """erfc(y) for y > 0.46875, elementwise; garbage (but finite) elsewhere."""
    mid = xp.minimum(y, 4.0)
    num, den = _C[8] * mid, mid
    for i in range(7):
        num = (num + _C[i]) * mid
        den = (den + _D[i]) * mid
    r_mid = (num + _C[7]) / (den + _D[7])
    big = xp.clip(y, 4.0, _XBIG)
    z = 1.0 / (big * big)
    num, den = _P[5] * z, z
    for i in range(4):
        num = (num + _P[i]) * z
        den = (den + _Q[i]) * z
    r_big = (_SQRPI - z * (num + _P[4]) / (den + _Q[4])) / big
    r = xp.where(y <= 4.0, r_mid, r_big) * _exp_minus_square(xp, xp.minimum(y, _XBIG))
    return xp.where(y < _XBIG, r, 0.0)


def _as_float64(xp, x):
    return x if x.dtype == xp.float64 else x.astype(xp.float64)


def erf_array(xp, x):
    """erf of a float array (numpy or CuPy), in the array's dtype."""
    x64 = _as_float64(xp, x)
    y = xp.abs(x64)
    small = _erf_small(xp, xp.where(y <= _THRESH, x64, 0.0))
    large = (0.5 - _erfc_large(xp, y)) + 0.5
    out = xp.where(y <= _THRESH, small, xp.where(x64 < 0, -large, large))
    out = xp.where(xp.isnan(x64), x64, out)
    return out.astype(x.dtype, copy=False)


def erfc_array(xp, x):
    """erfc = 1 - erf of a float array, accurate also where erf is close to 1."""
    x64 = _as_float64(xp, x)
    y = xp.abs(x64)
    small = 1.0 - _erf_small(xp, xp.where(y <= _THRESH, x64, 0.0))
    large = _erfc_large(xp, y)
    out = xp.where(y <= _THRESH, small, xp.where(x64 < 0, 2.0 - large, large))
    out = xp.where(xp.isnan(x64), x64, out)
    return out.astype(x.dtype, copy=False)


_TWO_OVER_SQRT_PI = 2.0 / _pymath.sqrt(_pymath.pi)


class Erf(Function):
    """erf(x); derivative 2 / sqrt(pi) * exp(-x^2)."""

    def forward(self, xp, x):
        self.x = x
        return erf_array(xp, x)

    def backward(self, xp, gy):
        return gy * (_TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x))


class Erfc(Function):
    """erfc(x) = 1 - erf(x); derivative -2 / sqrt(pi) * exp(-x^2)."""

    def forward(self, xp, x):
        self.x = x
        return erfc_array(xp, x)

    def backward(self, xp, gy):
        return gy * (-_TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x))


def erf(x):
    """The error function, elementwise (float inputs)."""
    return Erf().apply(as_tensor(x))


def erfc(x):
    """The complementary error function 1 - erf(x), accurate for large x."""
    return Erfc().apply(as_tensor(x))
