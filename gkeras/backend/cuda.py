"""Loader of the CUDA kernels in `kernels/*.cu` (the GPU half of `docs/kernels.md`).

Finds the kernel sources (the copy installed inside the package, `gkeras/_kernels/`, or
the repository checkout's `kernels/` for editable installs), reads a `.cu` file with its
quoted `#include`s inlined, compiles it with `cupy.RawModule` once per process and device,
and launches its `extern "C"` entry points over a 1-D grid (the kernels use grid-stride
loops, so any grid size is correct; the cap only bounds the launch).

With `backend/xp.py`, this is the only module that imports cupy, and only when a kernel
is first needed: finding and reading the sources works without cupy or a GPU.
"""
import contextlib
import os
import re
from pathlib import Path

import numpy

#: The kernel source files, one per family (kernels/README.md lists their entry points).
KERNEL_FILES = ("im2col.cu", "vol2col.cu", "pooling.cu", "global_pooling.cu")

#: NVRTC options used for every file (the tests compile with the same ones).
COMPILE_OPTIONS = ("-std=c++14",)

#: Threads per block of every launch, and the most blocks one launch uses.
THREADS = 256
MAX_BLOCKS = 65535

#: Environment variable naming a kernel directory that overrides the search.
ENV_VAR = "GKERAS_KERNELS_DIR"

_DTYPE_SUFFIX = {numpy.dtype(numpy.float32): "f32", numpy.dtype(numpy.float64): "f64"}
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"[ \t]*$', re.M)
_PRAGMA_ONCE = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+once[ \t]*$", re.M)
_INT32 = numpy.iinfo(numpy.int32)

_modules = {}  # (file name, device id) -> cupy.RawModule
_kernels = {}  # (file name, kernel name, device id) -> cupy.RawKernel


def _candidate_dirs():
    """Where kernel sources may be, in the order searched."""
    package = Path(__file__).resolve().parents[1]  # .../gkeras
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]))
    dirs.append(package / "_kernels")  # installed (wheel / non-editable) layout
    dirs.append(package.parent / "kernels")  # repository checkout (editable install)
    return dirs


def kernels_dir():
    """The directory holding the kernel sources.

    Returns:
        A `Path`: `$GKERAS_KERNELS_DIR` if set, else the package's `_kernels/`, else the
        checkout's `kernels/`; the first that holds every file of `KERNEL_FILES`.

    Raises:
        FileNotFoundError: no candidate holds the sources.
    """
    dirs = _candidate_dirs()
    for d in dirs:
        if all((d / name).is_file() for name in KERNEL_FILES):
            return d
    raise FileNotFoundError(
        "gkeras cannot find its CUDA kernel sources (%s); looked in: %s. Reinstall gkeras, "
        "or set %s to a directory holding them."
        % (", ".join(KERNEL_FILES), ", ".join(str(d) for d in dirs), ENV_VAR))


def read_source(filename, directory=None):
    """The text of kernel file `filename` with its quoted `#include`s inlined.

    Inlining makes the text self-contained, so CuPy's compile cache (keyed by the source
    text) notices a change in `common.cuh` too; each header is inlined once.

    Args:
        filename: a file of `KERNEL_FILES` (or any file in the kernel directory).
        directory: where to read from; `kernels_dir()` by default.

    Returns:
        The source as a string.

    Raises:
        FileNotFoundError: the file or one of its includes is missing.
    """
    directory = Path(directory) if directory is not None else kernels_dir()
    seen = set()

    def expand(name):
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError("kernel source %s not found in %s" % (name, directory))
        seen.add(name)
        text = _PRAGMA_ONCE.sub("", path.read_text(encoding="utf-8"))

        def include(match):
            header = match.group(1)
            if header in seen:
                return "// (%s already included)" % header
            return "// begin %s\n%s\n// end %s" % (header, expand(header), header)

        return _INCLUDE.sub(include, text)

    return expand(filename)


def kernel_name(base, dtype):
    """The entry point of kernel `base` for `dtype`: `im2col_2d` -> `im2col_2d_f32`.

    Raises:
        TypeError: `dtype` is neither float32 nor float64.
    """
    suffix = _DTYPE_SUFFIX.get(numpy.dtype(dtype))
    if suffix is None:
        raise TypeError("the CUDA kernel %s takes float32 or float64 arrays, got %s"
                        % (base, numpy.dtype(dtype)))
    return "%s_%s" % (base, suffix)


def _cupy():
    import cupy  # the GPU gate: only here and in backend/xp.py
    return cupy


def get_module(filename):
    """The compiled `cupy.RawModule` of `filename` on the current device (cached)."""
    cupy = _cupy()
    device = cupy.cuda.Device().id
    key = (filename, device)
    module = _modules.get(key)
    if module is None:
        module = cupy.RawModule(code=read_source(filename), options=COMPILE_OPTIONS)
        try:
            module.compile()  # NVRTC runs here (or its cached cubin loads) ...
        except Exception as e:  # ... so that a failure names our file
            raise RuntimeError("compiling the CUDA kernels of %s for device %d failed: %s"
                               % (filename, device, e)) from e
        _modules[key] = module
    return module


def get_kernel(filename, name):
    """The kernel `name` (e.g. `'im2col_2d_f32'`) of `filename` on the current device."""
    cupy = _cupy()
    key = (filename, name, cupy.cuda.Device().id)
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = _kernels[key] = get_module(filename).get_function(name)
    return kernel


def grid_size(size, threads=THREADS, max_blocks=MAX_BLOCKS):
    """Blocks for `size` elements: one thread each, at most `max_blocks` (grid-stride)."""
    return max(1, min(-(-size // threads), max_blocks))


def _kernel_arg(value, name):
    """`value` as CuPy must receive it for a kernel taking `int` or a pointer."""
    if isinstance(value, (bool, numpy.bool_)):
        raise TypeError("kernel %s: got a bool argument %r" % (name, value))
    if isinstance(value, (int, numpy.integer)):
        if not _INT32.min <= int(value) <= _INT32.max:
            raise OverflowError("kernel %s: the int argument %d does not fit in int32"
                                % (name, value))
        return numpy.int32(value)
    if not getattr(value, "flags", None) or not value.flags.c_contiguous:
        raise ValueError("kernel %s: array arguments must be C-contiguous arrays" % name)
    return value


def launch(filename, name, size, *args):
    """Runs kernel `name` of `filename` with one thread per element of `size` outputs.

    Args:
        filename: the kernel file, e.g. `'im2col.cu'`.
        name: the entry point, e.g. `'im2col_2d_f32'` (see `kernel_name`).
        size: the number of output elements (the grid-stride loop's bound).
        *args: the kernel's arguments in order: C-contiguous device arrays for pointers,
            Python ints for `int` parameters (passed as int32).
    """
    if size == 0:
        return  # an empty grid is a launch error in CUDA
    params = tuple(_kernel_arg(a, name) for a in args)
    kernel = get_kernel(filename, name)
    kernel((grid_size(size),), (THREADS,), params)


# ---------------------------------------------------------------------- devices and NCCL
NCCL_INSTALL_HINT = (
    "NCCL is not available to CuPy (cupy.cuda.nccl.available is False). Install the NCCL "
    "wheel matching your CUDA major version, e.g. `pip install nvidia-nccl-cu12` (CUDA 12) "
    "or `pip install nvidia-nccl-cu13` (CUDA 13), in the same environment as cupy; "
    "`python -c \"import cupy.cuda.nccl as n; print(n.available)\"` must then print True.")


def device_count():
    """The number of CUDA devices CuPy sees (0 when cupy or a driver is missing)."""
    try:
        return int(_cupy().cuda.runtime.getDeviceCount())
    except Exception:  # no cupy, no driver
        return 0


def device(device_id):
    """A context manager making `device_id` the current CUDA device (`cupy.cuda.Device`)."""
    return _cupy().cuda.Device(int(device_id))


def new_stream(device_id):
    """A new non-blocking CUDA stream on device `device_id` (a replica's own stream)."""
    cp = _cupy()
    with cp.cuda.Device(int(device_id)):
        return cp.cuda.Stream(non_blocking=True)


@contextlib.contextmanager
def device_stream(device_id, stream):
    """Makes `device_id` the current CUDA device and `stream` its current stream."""
    with _cupy().cuda.Device(int(device_id)), stream:
        yield


def current_device():
    """The id of the current CUDA device."""
    return int(_cupy().cuda.Device().id)


def nccl():
    """`cupy.cuda.nccl`, checked to be usable; raises RuntimeError (with how to install
    NCCL) when it is not."""
    try:
        from cupy.cuda import nccl as module  # the GPU gate (see the module docstring)
    except Exception as e:  # cupy missing, or built without NCCL support
        raise RuntimeError("%s (importing cupy.cuda.nccl failed: %s: %s)"
                           % (NCCL_INSTALL_HINT, type(e).__name__, e)) from None
    if not getattr(module, "available", False):
        raise RuntimeError(NCCL_INSTALL_HINT)
    return module
