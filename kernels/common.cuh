// Helpers shared by every kernel family in kernels/*.cu.
//
// Rules for the kernels that include this header (kernels/README.md says why):
//   * NVRTC-compatible: no standard headers (no <cstdint>, no <cmath>); only CUDA builtins.
//   * One thread per output element in a grid-stride loop (GK_GRID_STRIDE), 64-bit flat
//     indices, no __syncthreads, no atomics, no shared memory: backward passes gather, so
//     results are deterministic and the source also runs on the CPU through cpu_emu.h.
//   * Entry points are `extern "C" __global__` wrappers named `<op>_f32` / `<op>_f64`
//     around one `template <typename T> __device__` implementation.
#pragma once

// for (long long i = first index of this thread; i < n; i += threads in the grid)
#define GK_GRID_STRIDE(i, n)                                                       \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// Instantiates `extern "C"` entry points for float (`_f32`) and double (`_f64`):
// GK_INSTANTIATE(MACRO) expands MACRO(f32, float) and MACRO(f64, double).
#define GK_INSTANTIATE(MACRO) MACRO(f32, float) MACRO(f64, double)

template <typename T>
__device__ __forceinline__ T gk_neg_inf();

template <>
__device__ __forceinline__ float gk_neg_inf<float>() {
    return __int_as_float(0xff800000);
}

template <>
__device__ __forceinline__ double gk_neg_inf<double>() {
    return __longlong_as_double(0xfff0000000000000LL);
}

__device__ __forceinline__ int gk_max_int(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ int gk_min_int(int a, int b) { return a < b ? a : b; }

// Windows i (0 <= i < o) of `k` taps, stride `s`, `p` cells of padding before, that hold
// input cell `y`: i*s - p <= y <= i*s - p + k - 1. Sets [*lo, *hi] (empty when lo > hi).
__device__ __forceinline__ void gk_windows_holding(int y, int k, int s, int p, int o,
                                                   int* lo, int* hi) {
    const int first = y + p - k + 1;  // the lowest window start that still reaches y
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = gk_min_int((y + p) / s, o - 1);  // y + p >= 0 as y >= 0 and p >= 0
}

// Number of cells of [i*s - p, i*s - p + k) inside [0, m).
__device__ __forceinline__ int gk_inside(int i, int k, int s, int p, int m) {
    const int start = i * s - p;
    return gk_min_int(start + k, m) - gk_max_int(start, 0);
}
