// Global max and average pooling over the flattened spatial axis, forward and backward.
//
// numpy twins: gkeras/ops/_ref_numpy.py global_max_pool, global_max_pool_bwd,
// global_avg_pool, global_avg_pool_bwd (docs/kernels.md); launchers: gkeras/ops/_ref_cuda.py.
//
// Index mapping, x (N, S, C) with the spatial axes flattened by the caller:
//   max:      y[n, c] = max over s of x[n, s, c]; argmax[n, c] = the first such s
//             (strict >, so NaN never wins)
//   max bwd:  gx[n, s, c] = gy[n, c] if s == argmax[n, c] else 0
//   avg:      y[n, c] = (sum over s of x[n, s, c], s increasing) / S
//   avg bwd:  gx[n, s, c] = gy[n, c] / S
// One thread per OUTPUT element: forward threads run down s for one (n, c); neighbouring
// threads hold neighbouring channels, so each step's loads are coalesced.
//
// Entry points (T = float for _f32, double for _f64; all sizes are int):
//   global_max_pool_{f32,f64}(const T* x, T* y, int* argmax, int n, int s, int c)
//   global_max_pool_bwd_{f32,f64}(const T* gy, const int* argmax, T* gx, int n, int s, int c)
//   global_avg_pool_{f32,f64}(const T* x, T* y, int n, int s, int c)
//   global_avg_pool_bwd_{f32,f64}(const T* gy, T* gx, int n, int s, int c)
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void global_max_pool_impl(const T* __restrict__ x, T* __restrict__ y,
                                                     int* __restrict__ argmax, int n, int s,
                                                     int c) {
    const long long total = (long long)n * c;
    GK_GRID_STRIDE(t, total) {  // t = sample*c + ch
        const long long base = (t / c) * s * c + t % c;
        T best = s > 0 ? x[base] : gk_neg_inf<T>();
        int arg = 0;
        for (int k = 1; k < s; ++k) {
            const T v = x[base + (long long)k * c];
            if (v > best) {
                best = v;
                arg = k;
            }
        }
        y[t] = best;
        argmax[t] = arg;
    }
}

template <typename T>
__device__ __forceinline__ void global_max_pool_bwd_impl(const T* __restrict__ gy,
                                                         const int* __restrict__ argmax,
                                                         T* __restrict__ gx, int n, int s,
                                                         int c) {
    const long long total = (long long)n * s * c;
    GK_GRID_STRIDE(t, total) {  // t = (sample*s + k)*c + ch
        const long long sc = (long long)s * c;
        const long long o = (t / sc) * c + t % c;  // sample*c + ch
        const int k = (int)((t % sc) / c);
        gx[t] = argmax[o] == k ? gy[o] : T(0);
    }
}

template <typename T>
__device__ __forceinline__ void global_avg_pool_impl(const T* __restrict__ x, T* __restrict__ y,
                                                     int n, int s, int c) {
    const long long total = (long long)n * c;
    GK_GRID_STRIDE(t, total) {  // t = sample*c + ch
        const long long base = (t / c) * s * c + t % c;
        T sum = T(0);
        for (int k = 0; k < s; ++k) sum += x[base + (long long)k * c];
        y[t] = sum / T(s);
    }
}

template <typename T>
__device__ __forceinline__ void global_avg_pool_bwd_impl(const T* __restrict__ gy,
                                                         T* __restrict__ gx, int n, int s,
                                                         int c) {
    const long long total = (long long)n * s * c;
    GK_GRID_STRIDE(t, total) {  // t = (sample*s + k)*c + ch
        const long long sc = (long long)s * c;
        gx[t] = gy[(t / sc) * c + t % c] / T(s);
    }
}

#define GK_GLOBAL_POOLING(SUFFIX, T)                                                         \
    extern "C" __global__ void global_max_pool_##SUFFIX(                                    \
        const T* __restrict__ x, T* __restrict__ y, int* __restrict__ argmax, int n, int s, \
        int c) {                                                                             \
        global_max_pool_impl<T>(x, y, argmax, n, s, c);                                      \
    }                                                                                        \
    extern "C" __global__ void global_max_pool_bwd_##SUFFIX(                                \
        const T* __restrict__ gy, const int* __restrict__ argmax, T* __restrict__ gx, int n, \
        int s, int c) {                                                                      \
        global_max_pool_bwd_impl<T>(gy, argmax, gx, n, s, c);                                \
    }                                                                                        \
    extern "C" __global__ void global_avg_pool_##SUFFIX(const T* __restrict__ x,            \
                                                        T* __restrict__ y, int n, int s,    \
                                                        int c) {                             \
        global_avg_pool_impl<T>(x, y, n, s, c);                                              \
    }                                                                                        \
    extern "C" __global__ void global_avg_pool_bwd_##SUFFIX(                                \
        const T* __restrict__ gy, T* __restrict__ gx, int n, int s, int c) {                \
        global_avg_pool_bwd_impl<T>(gy, gx, n, s, c);                                        \
    }

GK_INSTANTIATE(GK_GLOBAL_POOLING)
