// Max and average pooling, 2-D (NHWC) and 3-D (NDHWC), forward and backward.
//
// numpy twins: gkeras/ops/_ref_numpy.py max_pool_2d, max_pool_2d_bwd, avg_pool_2d,
// avg_pool_2d_bwd, max_pool_3d, max_pool_3d_bwd, avg_pool_3d, avg_pool_3d_bwd
// (docs/kernels.md); launchers: gkeras/ops/_ref_cuda.py. The 2-D kernels are the 3-D
// implementation instantiated with depth 1 (D3 = false folds the depth arithmetic away).
//
// Index mapping, window (q, i, j) < (od, oh, ow), tap (a, b, e) < (kd, kh, kw), no dilation:
//   window (q, i, j) covers x[n, q*sd - pd + a, i*sy - pt + b, j*sx - pl + e, c]; taps outside
//   x are padding and take no part (Keras's 'same': never the max, never counted).
//   max:      y = the largest in-bounds value, argmax = its tap (a*kh + b)*kw + e (2-D: b*kw + e),
//             the first in row-major tap order on ties; NaN never wins (strict >). A window
//             with no in-bounds cell gives -inf and the index of its first in-bounds tap, as
//             the twin does.
//   max bwd:  gx[n, z, y, x, c] = sum of gy over the windows holding (z, y, x) whose argmax
//             is the tap that reaches (z, y, x)
//   avg:      y = (sum of the in-bounds cells, row-major) / (number of in-bounds cells)
//   avg bwd:  gx[n, z, y, x, c] = sum over the windows holding (z, y, x) of gy / count(window)
// One thread per OUTPUT element (y for forward, gx for backward). Backward kernels gather,
// visiting windows in decreasing (q, i, j), i.e. taps in increasing row-major order, the
// order in which the twin accumulates, so results are deterministic and equal to the twin's.
//
// Entry points (T = float for _f32, double for _f64; all sizes are int):
//   max_pool_2d_{f32,f64}(const T* x, T* y, int* argmax, n, h, w, c, kh, kw, sy, sx, pt, pl,
//                         oh, ow)
//   max_pool_2d_bwd_{f32,f64}(const T* gy, const int* argmax, T* gx, <same int arguments>)
//   avg_pool_2d_{f32,f64}(const T* x, T* y, <same int arguments>)
//   avg_pool_2d_bwd_{f32,f64}(const T* gy, T* gx, <same int arguments>)
//   max_pool_3d_{f32,f64}(const T* x, T* y, int* argmax, n, d, h, w, c, kd, kh, kw, sd, sy, sx,
//                         pd, pt, pl, od, oh, ow)
//   max_pool_3d_bwd_{f32,f64}(const T* gy, const int* argmax, T* gx, <same int arguments>)
//   avg_pool_3d_{f32,f64}(const T* x, T* y, <same int arguments>)
//   avg_pool_3d_bwd_{f32,f64}(const T* gy, T* gx, <same int arguments>)
#include "common.cuh"

// The pooling geometry; for 2-D (D3 = false) the depth fields are ignored and read as
// d = kd = sd = od = 1, pd = 0.
struct GkPool {
    int n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow;
};

template <typename T, bool D3>
__device__ __forceinline__ void max_pool_impl(const T* __restrict__ x, T* __restrict__ y,
                                              int* __restrict__ argmax, GkPool g) {
    const int d = D3 ? g.d : 1, kd = D3 ? g.kd : 1, sd = D3 ? g.sd : 1;
    const int pd = D3 ? g.pd : 0, od = D3 ? g.od : 1;
    const long long total = (long long)g.n * od * g.oh * g.ow * g.c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = (((s*od + q)*oh + i)*ow + j)*c + ch
        const int ch = (int)(r % g.c);
        r /= g.c;
        const int j = (int)(r % g.ow);
        r /= g.ow;
        const int i = (int)(r % g.oh);
        r /= g.oh;
        const int q = (int)(r % od);
        const long long s = r / od;
        const int z0 = q * sd - pd, y0 = i * g.sy - g.pt, x0 = j * g.sx - g.pl;
        const int a0 = gk_max_int(-z0, 0), a1 = gk_min_int(kd, d - z0);
        const int b0 = gk_max_int(-y0, 0), b1 = gk_min_int(g.kh, g.h - y0);
        const int e0 = gk_max_int(-x0, 0), e1 = gk_min_int(g.kw, g.w - x0);
        T best = gk_neg_inf<T>();
        int arg = (a0 * g.kh + b0) * g.kw + e0;  // the first in-bounds tap
        for (int a = a0; a < a1; ++a) {
            for (int b = b0; b < b1; ++b) {
                const long long row = ((s * d + z0 + a) * g.h + y0 + b) * g.w + x0;
                for (int e = e0; e < e1; ++e) {
                    const T v = x[(row + e) * g.c + ch];
                    if (v > best) {
                        best = v;
                        arg = (a * g.kh + b) * g.kw + e;
                    }
                }
            }
        }
        y[t] = best;
        argmax[t] = arg;
    }
}

template <typename T, bool D3>
__device__ __forceinline__ void max_pool_bwd_impl(const T* __restrict__ gy,
                                                  const int* __restrict__ argmax,
                                                  T* __restrict__ gx, GkPool g) {
    const int d = D3 ? g.d : 1, kd = D3 ? g.kd : 1, sd = D3 ? g.sd : 1;
    const int pd = D3 ? g.pd : 0, od = D3 ? g.od : 1;
    const long long total = (long long)g.n * d * g.h * g.w * g.c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = (((s*d + zz)*h + yy)*w + xx)*c + ch
        const int ch = (int)(r % g.c);
        r /= g.c;
        const int xx = (int)(r % g.w);
        r /= g.w;
        const int yy = (int)(r % g.h);
        r /= g.h;
        const int zz = (int)(r % d);
        const long long s = r / d;
        int q0, q1, i0, i1, j0, j1;
        gk_windows_holding(zz, kd, sd, pd, od, &q0, &q1);
        gk_windows_holding(yy, g.kh, g.sy, g.pt, g.oh, &i0, &i1);
        gk_windows_holding(xx, g.kw, g.sx, g.pl, g.ow, &j0, &j1);
        T sum = T(0);
        for (int q = q1; q >= q0; --q) {
            const int a = zz + pd - q * sd;
            for (int i = i1; i >= i0; --i) {
                const int ab = a * g.kh + yy + g.pt - i * g.sy;
                for (int j = j1; j >= j0; --j) {
                    const int tap = ab * g.kw + xx + g.pl - j * g.sx;
                    const long long o = (((s * od + q) * g.oh + i) * g.ow + j) * g.c + ch;
                    if (argmax[o] == tap) sum += gy[o];
                }
            }
        }
        gx[t] = sum;
    }
}

template <typename T, bool D3>
__device__ __forceinline__ void avg_pool_impl(const T* __restrict__ x, T* __restrict__ y,
                                              GkPool g) {
    const int d = D3 ? g.d : 1, kd = D3 ? g.kd : 1, sd = D3 ? g.sd : 1;
    const int pd = D3 ? g.pd : 0, od = D3 ? g.od : 1;
    const long long total = (long long)g.n * od * g.oh * g.ow * g.c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = (((s*od + q)*oh + i)*ow + j)*c + ch
        const int ch = (int)(r % g.c);
        r /= g.c;
        const int j = (int)(r % g.ow);
        r /= g.ow;
        const int i = (int)(r % g.oh);
        r /= g.oh;
        const int q = (int)(r % od);
        const long long s = r / od;
        const int z0 = q * sd - pd, y0 = i * g.sy - g.pt, x0 = j * g.sx - g.pl;
        const int a0 = gk_max_int(-z0, 0), a1 = gk_min_int(kd, d - z0);
        const int b0 = gk_max_int(-y0, 0), b1 = gk_min_int(g.kh, g.h - y0);
        const int e0 = gk_max_int(-x0, 0), e1 = gk_min_int(g.kw, g.w - x0);
        T sum = T(0);
        for (int a = a0; a < a1; ++a) {
            for (int b = b0; b < b1; ++b) {
                const long long row = ((s * d + z0 + a) * g.h + y0 + b) * g.w + x0;
                for (int e = e0; e < e1; ++e) sum += x[(row + e) * g.c + ch];
            }
        }
        y[t] = sum / T((a1 - a0) * (b1 - b0) * (e1 - e0));
    }
}

template <typename T, bool D3>
__device__ __forceinline__ void avg_pool_bwd_impl(const T* __restrict__ gy, T* __restrict__ gx,
                                                  GkPool g) {
    const int d = D3 ? g.d : 1, kd = D3 ? g.kd : 1, sd = D3 ? g.sd : 1;
    const int pd = D3 ? g.pd : 0, od = D3 ? g.od : 1;
    const long long total = (long long)g.n * d * g.h * g.w * g.c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = (((s*d + zz)*h + yy)*w + xx)*c + ch
        const int ch = (int)(r % g.c);
        r /= g.c;
        const int xx = (int)(r % g.w);
        r /= g.w;
        const int yy = (int)(r % g.h);
        r /= g.h;
        const int zz = (int)(r % d);
        const long long s = r / d;
        int q0, q1, i0, i1, j0, j1;
        gk_windows_holding(zz, kd, sd, pd, od, &q0, &q1);
        gk_windows_holding(yy, g.kh, g.sy, g.pt, g.oh, &i0, &i1);
        gk_windows_holding(xx, g.kw, g.sx, g.pl, g.ow, &j0, &j1);
        T sum = T(0);
        for (int q = q1; q >= q0; --q) {
            const int cq = gk_inside(q, kd, sd, pd, d);
            for (int i = i1; i >= i0; --i) {
                const int cqi = cq * gk_inside(i, g.kh, g.sy, g.pt, g.h);
                for (int j = j1; j >= j0; --j) {
                    const int count = cqi * gk_inside(j, g.kw, g.sx, g.pl, g.w);
                    sum += gy[(((s * od + q) * g.oh + i) * g.ow + j) * g.c + ch] / T(count);
                }
            }
        }
        gx[t] = sum;
    }
}

#define GK_POOL_2D_GEOMETRY                                                                \
    GkPool g = {n, 1, h, w, c, 1, kh, kw, 1, sy, sx, 0, pt, pl, 1, oh, ow};
#define GK_POOL_3D_GEOMETRY                                                                \
    GkPool g = {n, d, h, w, c, kd, kh, kw, sd, sy, sx, pd, pt, pl, od, oh, ow};
#define GK_POOL_2D_ARGS                                                                    \
    int n, int h, int w, int c, int kh, int kw, int sy, int sx, int pt, int pl, int oh, int ow
#define GK_POOL_3D_ARGS                                                                    \
    int n, int d, int h, int w, int c, int kd, int kh, int kw, int sd, int sy, int sx,    \
        int pd, int pt, int pl, int od, int oh, int ow

#define GK_POOLING(SUFFIX, T)                                                              \
    extern "C" __global__ void max_pool_2d_##SUFFIX(                                      \
        const T* __restrict__ x, T* __restrict__ y, int* __restrict__ argmax,             \
        GK_POOL_2D_ARGS) {                                                                 \
        GK_POOL_2D_GEOMETRY max_pool_impl<T, false>(x, y, argmax, g);                      \
    }                                                                                      \
    extern "C" __global__ void max_pool_2d_bwd_##SUFFIX(                                  \
        const T* __restrict__ gy, const int* __restrict__ argmax, T* __restrict__ gx,     \
        GK_POOL_2D_ARGS) {                                                                 \
        GK_POOL_2D_GEOMETRY max_pool_bwd_impl<T, false>(gy, argmax, gx, g);                \
    }                                                                                      \
    extern "C" __global__ void avg_pool_2d_##SUFFIX(const T* __restrict__ x,              \
                                                    T* __restrict__ y, GK_POOL_2D_ARGS) { \
        GK_POOL_2D_GEOMETRY avg_pool_impl<T, false>(x, y, g);                              \
    }                                                                                      \
    extern "C" __global__ void avg_pool_2d_bwd_##SUFFIX(                                  \
        const T* __restrict__ gy, T* __restrict__ gx, GK_POOL_2D_ARGS) {                  \
        GK_POOL_2D_GEOMETRY avg_pool_bwd_impl<T, false>(gy, gx, g);                        \
    }                                                                                      \
    extern "C" __global__ void max_pool_3d_##SUFFIX(                                      \
        const T* __restrict__ x, T* __restrict__ y, int* __restrict__ argmax,             \
        GK_POOL_3D_ARGS) {                                                                 \
        GK_POOL_3D_GEOMETRY max_pool_impl<T, true>(x, y, argmax, g);                       \
    }                                                                                      \
    extern "C" __global__ void max_pool_3d_bwd_##SUFFIX(                                  \
        const T* __restrict__ gy, const int* __restrict__ argmax, T* __restrict__ gx,     \
        GK_POOL_3D_ARGS) {                                                                 \
        GK_POOL_3D_GEOMETRY max_pool_bwd_impl<T, true>(gy, argmax, gx, g);                 \
    }                                                                                      \
    extern "C" __global__ void avg_pool_3d_##SUFFIX(const T* __restrict__ x,              \
                                                    T* __restrict__ y, GK_POOL_3D_ARGS) { \
        GK_POOL_3D_GEOMETRY avg_pool_impl<T, true>(x, y, g);                               \
    }                                                                                      \
    extern "C" __global__ void avg_pool_3d_bwd_##SUFFIX(                                  \
        const T* __restrict__ gy, T* __restrict__ gx, GK_POOL_3D_ARGS) {                  \
        GK_POOL_3D_GEOMETRY avg_pool_bwd_impl<T, true>(gy, gx, g);                         \
    }

GK_INSTANTIATE(GK_POOLING)
