// CPU emulation of the CUDA execution model, enough for the kernels in kernels/*.cu.
//
// A translation unit that includes this header and then an unmodified .cu file compiles
// with the host compiler (g++ -std=c++20 -O2 -shared -fPIC). `__global__` functions become
// ordinary functions; gk_emu_launch(grid, block, kernel, params) runs every thread of every
// block, one after another, with blockIdx/threadIdx/blockDim/gridDim set as on the GPU, and
// takes the kernel's parameters as cuLaunchKernel does: an array of pointers to the values.
//
// Limits (kernels/README.md): threads run sequentially, in order, so a data race, a missing
// atomic or a missing barrier cannot show here; __syncthreads, shared memory and atomics are
// deliberately not provided, so a kernel that needs them fails to compile rather than
// silently passing. Those kernels are tested on the GPU only.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// __restrict__ is a g++ keyword already.

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1)
        : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

// One emulated thread at a time per host thread: thread_local keeps concurrent launches
// from different host threads apart.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

// CUDA's bit-cast intrinsics and math helpers that the kernels use.
inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}
inline int __float_as_int(float f) {
    int i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}
inline double __longlong_as_double(long long i) {
    double d;
    std::memcpy(&d, &i, sizeof d);
    return d;
}
inline long long __double_as_longlong(double d) {
    long long i;
    std::memcpy(&i, &d, sizeof i);
    return i;
}
// fmaxf, expf, sqrt, ...: <cmath> (glibc) declares them in the global namespace.

namespace gk_emu {

template <typename... A, std::size_t... I>
inline void call(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(params[I])...);
}

// Runs kernel<<<grid, block>>>(*params[0], *params[1], ...) on the calling host thread.
template <typename... A>
inline void launch(dim3 grid, dim3 block, void (*kernel)(A...), void** params) {
    gridDim = grid;
    blockDim = block;
    for (unsigned int bz = 0; bz < grid.z; ++bz)
        for (unsigned int by = 0; by < grid.y; ++by)
            for (unsigned int bx = 0; bx < grid.x; ++bx) {
                blockIdx = uint3(bx, by, bz);
                for (unsigned int tz = 0; tz < block.z; ++tz)
                    for (unsigned int ty = 0; ty < block.y; ++ty)
                        for (unsigned int tx = 0; tx < block.x; ++tx) {
                            threadIdx = uint3(tx, ty, tz);
                            call(kernel, params, std::index_sequence_for<A...>{});
                        }
            }
}

}  // namespace gk_emu

// Defines `extern "C" void gk_emu_<kernel>(grid xyz, block xyz, void** params)`, the entry
// point that the ctypes loader (tests/kernels/emulation.py) generates for each kernel.
#define GK_EMU_ENTRY(kernel)                                                                \
    extern "C" void gk_emu_##kernel(unsigned int gx, unsigned int gy, unsigned int gz,      \
                                    unsigned int bx, unsigned int by, unsigned int bz,      \
                                    void** params) {                                        \
        gk_emu::launch(dim3(gx, gy, gz), dim3(bx, by, bz), kernel, params);                 \
    }
