// im2col / col2im for 2-D convolution on NHWC arrays (1-D convolution is h == 1).
//
// numpy twins: gkeras/ops/_ref_numpy.py im2col_2d and col2im_2d (docs/kernels.md);
// launchers: gkeras/ops/_ref_cuda.py.
//
// Index mapping, with 0 <= i < oh, 0 <= j < ow, 0 <= a < kh, 0 <= b < kw:
//   cols[n, i, j, a, b, c] = x[n, i*sy - pt + a*dy, j*sx - pl + b*dx, c]   (0 outside x)
//   gx[n, y, x, c] = sum of cols[n, i, j, a, b, c] over every (a, b), in row-major order,
//                    whose window (i, j) = ((y + pt - a*dy) / sy, (x + pl - b*dx) / sx)
//                    divides exactly and lies inside (oh, ow)
// Both kernels run one thread per OUTPUT element (cols for im2col, gx for col2im): col2im
// gathers instead of scattering with atomics, so it is deterministic, and it adds in the
// same order as the twin (taps in row-major order), so the two agree bit for bit.
//
// Entry points (T = float for _f32, double for _f64; all sizes are int):
//   im2col_2d_{f32,f64}(const T* x, T* cols, n, h, w, c, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow)
//   col2im_2d_{f32,f64}(const T* cols, T* gx, n, h, w, c, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow)
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void im2col_2d_impl(const T* __restrict__ x, T* __restrict__ cols,
                                               int n, int h, int w, int c, int kh, int kw,
                                               int sy, int sx, int pt, int pl, int dy, int dx,
                                               int oh, int ow) {
    const long long total = (long long)n * oh * ow * kh * kw * c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = ((((s*oh + i)*ow + j)*kh + a)*kw + b)*c + ch
        const int ch = (int)(r % c);
        r /= c;
        const int b = (int)(r % kw);
        r /= kw;
        const int a = (int)(r % kh);
        r /= kh;
        const int j = (int)(r % ow);
        r /= ow;
        const int i = (int)(r % oh);
        const long long s = r / oh;
        const int yy = i * sy - pt + a * dy;
        const int xx = j * sx - pl + b * dx;
        cols[t] = (yy >= 0 && yy < h && xx >= 0 && xx < w)
                      ? x[((s * h + yy) * w + xx) * c + ch]
                      : T(0);
    }
}

template <typename T>
__device__ __forceinline__ void col2im_2d_impl(const T* __restrict__ cols, T* __restrict__ gx,
                                               int n, int h, int w, int c, int kh, int kw,
                                               int sy, int sx, int pt, int pl, int dy, int dx,
                                               int oh, int ow) {
    const long long total = (long long)n * h * w * c;
    GK_GRID_STRIDE(t, total) {
        long long r = t;  // t = ((s*h + yy)*w + xx)*c + ch
        const int ch = (int)(r % c);
        r /= c;
        const int xx = (int)(r % w);
        r /= w;
        const int yy = (int)(r % h);
        const long long s = r / h;
        T sum = T(0);
        for (int a = 0; a < kh; ++a) {
            const int ty = yy + pt - a * dy;  // = i*sy for the window i that tap a reaches
            if (ty < 0) break;                // decreases with a
            if (ty % sy != 0 || ty / sy >= oh) continue;
            const int i = ty / sy;
            for (int b = 0; b < kw; ++b) {
                const int tx = xx + pl - b * dx;
                if (tx < 0) break;
                if (tx % sx != 0 || tx / sx >= ow) continue;
                const int j = tx / sx;
                sum += cols[((((s * oh + i) * ow + j) * kh + a) * kw + b) * c + ch];
            }
        }
        gx[t] = sum;
    }
}

#define GK_IM2COL_2D(SUFFIX, T)                                                              \
    extern "C" __global__ void im2col_2d_##SUFFIX(                                          \
        const T* __restrict__ x, T* __restrict__ cols, int n, int h, int w, int c, int kh,  \
        int kw, int sy, int sx, int pt, int pl, int dy, int dx, int oh, int ow) {           \
        im2col_2d_impl<T>(x, cols, n, h, w, c, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow);     \
    }                                                                                        \
    extern "C" __global__ void col2im_2d_##SUFFIX(                                          \
        const T* __restrict__ cols, T* __restrict__ gx, int n, int h, int w, int c, int kh, \
        int kw, int sy, int sx, int pt, int pl, int dy, int dx, int oh, int ow) {           \
        col2im_2d_impl<T>(cols, gx, n, h, w, c, kh, kw, sy, sx, pt, pl, dy, dx, oh, ow);    \
    }

GK_INSTANTIATE(GK_IM2COL_2D)
