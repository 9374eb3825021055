"""NVRTC, CUDA's run-time compiler (the one CuPy uses), driven through ctypes, for tests.

It needs no GPU and no driver: `compile_source` turns CUDA C++ into PTX or a cubin
exactly as `cupy.RawModule` would before loading it. The library comes from the
`nvidia-cuda-nvrtc` wheel of setup.py's `test` extra (or a CUDA toolkit); `find_library`
says where it looked when there is none.
"""
import ctypes
import ctypes.util
import glob
import os
import sys

# Most specific first: the wheel of setup.py's `test` extra (CUDA 13), the CUDA 12 wheel,
# then CUDA toolkits.
_WHEEL_PATTERNS = ("nvidia/cu13/lib/libnvrtc.so.*", "nvidia/cuda_nvrtc/lib/libnvrtc.so.*",
                   "nvidia/*/lib/libnvrtc.so*")
_TOOLKIT_PATTERNS = ("/usr/local/cuda*/lib64/libnvrtc.so*",
                     "/usr/local/cuda*/targets/*/lib/libnvrtc.so*")


class NvrtcError(RuntimeError):
    """A compilation failed; the message holds NVRTC's log."""


def _candidates():
    if os.environ.get("GKERAS_NVRTC"):
        yield os.environ["GKERAS_NVRTC"]
    for entry in sys.path:
        for pattern in _WHEEL_PATTERNS:
            yield from sorted(glob.glob(os.path.join(entry or ".", pattern)))
    found = ctypes.util.find_library("nvrtc")
    if found:
        yield found
    for pattern in _TOOLKIT_PATTERNS:
        yield from sorted(glob.glob(pattern), reverse=True)


def find_library():
    """Path of a loadable libnvrtc, or None; skips the builtins and `.alt` variants."""
    for path in _candidates():
        base = os.path.basename(path)
        if "builtins" in base or ".alt." in base:
            continue
        try:
            ctypes.CDLL(path)
        except OSError:
            continue
        return path
    return None


class Nvrtc:
    """The few NVRTC entry points the tests need."""

    def __init__(self, path):
        self.path = path
        lib = self._lib = ctypes.CDLL(path)
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        lib.nvrtcGetErrorString.argtypes = [ctypes.c_int]
        lib.nvrtcCreateProgram.argtypes = [
            ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
            ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p)]
        lib.nvrtcCompileProgram.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_char_p)]
        for name in ("nvrtcGetProgramLogSize", "nvrtcGetPTXSize", "nvrtcGetCUBINSize"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        for name in ("nvrtcGetProgramLog", "nvrtcGetPTX", "nvrtcGetCUBIN"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.nvrtcDestroyProgram.argtypes = [ctypes.POINTER(ctypes.c_void_p)]

    def version(self):
        major, minor = ctypes.c_int(), ctypes.c_int()
        self._check(self._lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)),
                    "nvrtcVersion")
        return major.value, minor.value

    def _check(self, status, what):
        if status != 0:
            raise NvrtcError("%s: %s" % (what, self._lib.nvrtcGetErrorString(status).decode()))

    def _read(self, prog, size_fn, get_fn):
        size = ctypes.c_size_t()
        self._check(size_fn(prog, ctypes.byref(size)), size_fn.__name__)
        buf = ctypes.create_string_buffer(size.value)
        self._check(get_fn(prog, buf), get_fn.__name__)
        return buf.raw[:size.value]

    def compile_source(self, source, name, options, output="ptx"):
        """Compiles `source`; returns (PTX text or cubin bytes, the compiler's log).

        Args:
            source: the CUDA C++ text.
            name: the program's file name, for messages.
            options: NVRTC options, e.g. ('-std=c++14', '--gpu-architecture=sm_90').
            output: 'ptx' (needs a virtual architecture, compute_XX) or 'cubin' (sm_XX).

        Raises:
            NvrtcError: compilation failed; the log says why.
        """
        prog = ctypes.c_void_p()
        self._check(self._lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(),
                                                 name.encode(), 0, None, None),
                    "nvrtcCreateProgram")
        try:
            opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
            status = self._lib.nvrtcCompileProgram(prog, len(options), opts)
            log = self._read(prog, self._lib.nvrtcGetProgramLogSize,
                             self._lib.nvrtcGetProgramLog).rstrip(b"\0").decode(errors="replace")
            if status != 0:
                raise NvrtcError("NVRTC could not compile %s (%s):\n%s" % (
                    name, self._lib.nvrtcGetErrorString(status).decode(), log))
            if output == "ptx":
                ptx = self._read(prog, self._lib.nvrtcGetPTXSize, self._lib.nvrtcGetPTX)
                return ptx.rstrip(b"\0").decode(), log
            return self._read(prog, self._lib.nvrtcGetCUBINSize, self._lib.nvrtcGetCUBIN), log
        finally:
            self._lib.nvrtcDestroyProgram(ctypes.byref(prog))
