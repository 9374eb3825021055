// vol2col / col2vol (im2col / col2im) for 3-D convolution on NDHWC arrays.
//
// numpy twins: gkeras/ops/_ref_numpy.py im2col_3d and col2im_3d (docs/kernels.md);
// launchers: gkeras/ops/_ref_cuda.py.
//
// Index mapping, with window (q, i, j) < (od, oh, ow) and tap (a, b, e) < (kd, kh, kw):
//   cols[n, q, i, j, a, b, e, c] = x[n, q*sd - pd + a*dd, i*sy - pt + b*dy, j*sx - pl + e*dx, c]
//                                  (0 outside x)
//   gx[n, z, y, x, c] = sum of cols[n, q, i, j, a, b, e, c] over every tap (a, b, e), in
//                       row-major order, whose window q = (z + pd - a*dd) / sd,
//                       i = (y + pt - b*dy) / sy, j = (x + pl - e*dx) / sx divides exactly
//                       and lies inside (od, oh, ow)
// One thread per OUTPUT element; col2im gathers (no atomics: deterministic) in the twin's
// order (taps row-major), so the two agree bit for bit.
//
// Entry points (T = float for _f32, double for _f64; all sizes are int):
//   im2col_3d_{f32,f64}(const T* x, T* cols, n, d, h, w, c, kd, kh, kw, sd, sy, sx,
//                       pd, pt, pl, dd, dy, dx, od, oh, ow)
//   col2im_3d_{f32,f64}(const T* cols, T* gx, <the same int arguments>)
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void im2col_3d_impl(const T* __restrict__ x, T* __restrict__ cols,
                                               int n, int d, int h, int w, int c, int kd,
                                               int kh, int kw, int sd, int sy, int sx, int pd,
                                               int pt, int pl, int dd, int dy, int dx, int od,
                                               int oh, int ow) {
    const long long total = (long long)n * od * oh * ow * kd * kh * kw * c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = (((((((s*od + q)*oh + i)*ow + j)*kd + a)*kh + b)*kw + e)*c + ch
        const int ch = (int)(r % c);
        r /= c;
        const int e = (int)(r % kw);
        r /= kw;
        const int b = (int)(r % kh);
        r /= kh;
        const int a = (int)(r % kd);
        r /= kd;
        const int j = (int)(r % ow);
        r /= ow;
        const int i = (int)(r % oh);
        r /= oh;
        const int q = (int)(r % od);
        const long long s = r / od;
        const int zz = q * sd - pd + a * dd;
        const int yy = i * sy - pt + b * dy;
        const int xx = j * sx - pl + e * dx;
        cols[t] = (zz >= 0 && zz < d && yy >= 0 && yy < h && xx >= 0 && xx < w)
                      ? x[(((s * d + zz) * h + yy) * w + xx) * c + ch]
                      : T(0);
    }
}

template <typename T>
__device__ __forceinline__ void col2im_3d_impl(const T* __restrict__ cols, T* __restrict__ gx,
                                               int n, int d, int h, int w, int c, int kd,
                                               int kh, int kw, int sd, int sy, int sx, int pd,
                                               int pt, int pl, int dd, int dy, int dx, int od,
                                               int oh, int ow) {
    const long long total = (long long)n * d * h * w * c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = (((s*d + zz)*h + yy)*w + xx)*c + ch
        const int ch = (int)(r % c);
        r /= c;
        const int xx = (int)(r % w);
        r /= w;
        const int yy = (int)(r % h);
        r /= h;
        const int zz = (int)(r % d);
        const long long s = r / d;
        T sum = T(0);
        for (int a = 0; a < kd; ++a) {
            const int tz = zz + pd - a * dd;
            if (tz < 0) break;
            if (tz % sd != 0 || tz / sd >= od) continue;
            const int q = tz / sd;
            for (int b = 0; b < kh; ++b) {
                const int ty = yy + pt - b * dy;
                if (ty < 0) break;
                if (ty % sy != 0 || ty / sy >= oh) continue;
                const int i = ty / sy;
                for (int e = 0; e < kw; ++e) {
                    const int tx = xx + pl - e * dx;
                    if (tx < 0) break;
                    if (tx % sx != 0 || tx / sx >= ow) continue;
                    const int j = tx / sx;
                    sum += cols[((((((s * od + q) * oh + i) * ow + j) * kd + a) * kh + b) * kw +
                                 e) * c + ch];
                }
            }
        }
        gx[t] = sum;
    }
}

#define GK_VOL2COL(SUFFIX, T)                                                                \
    extern "C" __global__ void im2col_3d_##SUFFIX(                                          \
        const T* __restrict__ x, T* __restrict__ cols, int n, int d, int h, int w, int c,   \
        int kd, int kh, int kw, int sd, int sy, int sx, int pd, int pt, int pl, int dd,     \
        int dy, int dx, int od, int oh, int ow) {                                           \
        im2col_3d_impl<T>(x, cols, n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, dd,  \
                          dy, dx, od, oh, ow);                                              \
    }                                                                                        \
    extern "C" __global__ void col2im_3d_##SUFFIX(                                          \
        const T* __restrict__ cols, T* __restrict__ gx, int n, int d, int h, int w, int c,  \
        int kd, int kh, int kw, int sd, int sy, int sx, int pd, int pt, int pl, int dd,     \
        int dy, int dx, int od, int oh, int ow) {                                           \
        col2im_3d_impl<T>(cols, gx, n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, dd, \
                          dy, dx, od, oh, ow);                                              \
    }

GK_INSTANTIATE(GK_VOL2COL)
