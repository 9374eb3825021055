"""Batch-axis parallelism for the numpy (CPU) path.

OpenBLAS threads the GEMMs, but every other numpy pass of a training step (im2col's
copy, col2im's tap adds, pooling, bias + relu, dropout's mask) runs on one core. numpy
releases the GIL inside ufunc loops, copies and BLAS calls, so those passes can use every
core when the work is split along the BATCH axis.

`run(fn, n, item_bytes)` does exactly that and nothing else: it cuts the batch `range(n)`
into contiguous blocks and calls `fn(lo, hi)` once per block, each thread taking the next
block not yet taken (so a thread the host slows down does fewer blocks instead of
holding up the others). It is never a Python loop over samples or pixels: there are at
least a few blocks per thread, cut further only to keep a block's arrays near the size
of a core's L2 cache (chains of passes over one block then run from cache), so a batch
is a few dozen blocks at most. Every block runs the same vectorised
numpy calls on its slice and writes a disjoint slice of an output the caller
preallocated, so results are bit-for-bit those of the one-block computation. Block
boundaries depend on the array sizes only, never on the thread count, so a block-wise
reduction (per-block partial sums, added by the caller in block order) gives the same
bits whatever the number of threads.

BLAS. After each threaded GEMM, OpenBLAS's worker threads busy-wait for more work (its
THREAD_TIMEOUT, 2^28 cycles by default: ~0.1 s), holding the cores our threads need:
measured, a parallel pass right after a GEMM ran no faster than on one core. So while
gkeras runs its GEMMs, `blas_single()` sets OpenBLAS (the library numpy uses, found
among the loaded libraries, as threadpoolctl does) to one thread, and `matmul` splits
each large GEMM into blocks run on these threads; no OpenBLAS worker is ever woken, and
the setting is restored when the GEMM returns. Where that control is not available
(another BLAS, another OS), GEMMs keep the BLAS's own threading and `run` still
parallelises the other passes.

Memory. `tune_malloc` keeps glibc from returning the large arrays of a step to the OS
only to page-fault them again in the next one (see its docstring).

Threads: `GKERAS_CPU_THREADS`, else `OMP_NUM_THREADS`, else `OPENBLAS_NUM_THREADS`,
else the cores this process may run on (`os.sched_getaffinity`), capped at 8.
"""
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy

# Work below this many bytes (all arrays a call touches) stays on the calling thread:
# waking a worker costs ~20-50 us.
PARALLEL_MIN_BYTES = 2 << 20
# Target bytes per block (all arrays of one block): about half a core's L2 cache.
BLOCK_BYTES = 1 << 20
# Work large enough for threads is cut into at least this many blocks (a fixed number,
# not the thread count, so that blocks still depend on the sizes only).
MIN_BLOCKS = 8
MAX_THREADS = 8
# GEMMs: blocks of about this many bytes of operands, at least GEMM_MIN_BLOCKS of them
# when the GEMM is large enough to split; GEMMs under GEMM_MIN_FLOPS are not split.
GEMM_BLOCK_BYTES = 8 << 20
GEMM_MIN_BLOCKS = 8
GEMM_MIN_FLOPS = 1 << 24

_state = {"threads": None, "pool": None, "pid": None}
_lock = threading.Lock()
_local = threading.local()


def _env_threads():
    for var in ("GKERAS_CPU_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                n = int(value.split(",")[0])
            except ValueError:
                continue
            if n >= 1:
                return n
    return None


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def num_threads():
    """Threads the numpy passes use (the calling thread included)."""
    if _state["threads"] is None:
        n = _env_threads()
        cores = _cores()
        n = min(cores, MAX_THREADS) if n is None else min(n, cores, MAX_THREADS)
        _state["threads"] = max(1, n)
    return _state["threads"]


def set_num_threads(n):
    """Overrides the thread count (None: back to the environment's); for tests and tuning."""
    with _lock:
        pool = _state["pool"]
        _state["pool"] = None
        _state["threads"] = None if n is None else max(1, min(int(n), MAX_THREADS))
    with _blas_lock:
        if not _blas["depth"]:
            _blas["libs"] = None  # looked up again: none are controlled with one thread
    if pool is not None:
        pool.shutdown(wait=True)


def _mark_worker():
    _local.worker = True


def _after_fork_in_child():
    # the child has only the forking thread: no pool, and no lock may stay held
    global _lock, _blas_lock
    _lock, _blas_lock = threading.Lock(), threading.Lock()
    _state["pool"] = None
    if _blas["depth"]:
        for (_, set_), n in zip(_blas["libs"], _blas["saved"]):
            set_(n)
        _blas["depth"] = 0


def _pool():
    pid = os.getpid()
    if _state["pool"] is None or _state["pid"] != pid:  # a forked child has no threads
        with _lock:
            if _state["pool"] is None or _state["pid"] != pid:
                _state["pool"] = ThreadPoolExecutor(num_threads() - 1,
                                                    thread_name_prefix="gkeras-cpu",
                                                    initializer=_mark_worker)
                _state["pid"] = pid
    return _state["pool"]


def blocks(n, item_bytes, block_bytes=None, min_blocks=1):
    """Contiguous (lo, hi) blocks covering range(n), each about `block_bytes` of work.

    At least `min_blocks` of them (and at most n). Depends on the sizes only (not on
    the thread count), so per-block partial results are reproducible.
    """
    if n <= 0:
        return []
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    count = max(min_blocks, -(-int(n * item_bytes) // block_bytes))
    count = min(n, max(1, count))
    return [(n * i // count, n * (i + 1) // count) for i in range(count)]


class _Queue:
    """The blocks of one `run_blocks` call, taken in order by whichever thread is free."""

    def __init__(self, fn, parts):
        self.fn, self.parts = fn, parts
        self.results = [None] * len(parts)
        self._next = 0
        self._lock = threading.Lock()
        self.failed = False

    def drain(self):
        """Runs blocks until none is left (or one has failed somewhere)."""
        while True:
            with self._lock:
                index = self._next
                if index >= len(self.parts) or self.failed:
                    return
                self._next += 1
            try:
                self.results[index] = self.fn(*self.parts[index])
            except BaseException:
                self.failed = True  # the others stop taking blocks
                raise


def run_blocks(fn, parts, parallel=True):
    """Calls `fn(lo, hi)` for each (lo, hi) of `parts`; returns the results in order.

    Every thread (the calling one included) takes the next block not yet taken, so a
    thread slowed down (by the host, or by the Python work it does between numpy calls)
    does fewer blocks instead of keeping the others waiting. Results are stored by block
    index, so they do not depend on which thread ran which block. `fn` must only write
    outputs at rows [lo, hi) of its arrays, and may call BLAS only inside `blas_single()`.
    """
    threads = min(num_threads(), len(parts))
    if threads <= 1 or not parallel or getattr(_local, "worker", False):  # nested: inline
        return [fn(lo, hi) for lo, hi in parts]
    queue = _Queue(fn, parts)
    futures = [_pool().submit(queue.drain) for _ in range(threads - 1)]
    _local.worker = True  # a run nested in a block stays on its thread
    try:
        queue.drain()
    finally:
        _local.worker = False
        # wait for every worker before returning or raising: none may still be writing
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return queue.results


def run(fn, n, item_bytes, block_bytes=None):
    """Calls `fn(lo, hi)` on blocks of the batch range(n); returns the results in block order.

    `item_bytes` is the number of bytes one batch item makes the call touch (inputs,
    outputs and temporaries); it sizes the blocks and decides whether to use threads.
    """
    large = n * item_bytes >= PARALLEL_MIN_BYTES
    if large and not _malloc["tuned"]:
        tune_malloc()
    return run_blocks(fn, blocks(n, item_bytes, block_bytes, MIN_BLOCKS if large else 1),
                      parallel=large)


# ---------------------------------------------------------------------------- allocator
_malloc = {"tuned": False}
MMAP_THRESHOLD = 1 << 30
TRIM_THRESHOLD = 2 << 30


def tune_malloc():
    """Keeps freed large arrays in glibc's heap instead of returning them to the OS.

    By default glibc serves every allocation above 32 MiB (and, until its dynamic
    threshold adapts, above 128 KiB) with a fresh mmap, and trims the heap top, so each
    training step page-faults and zero-fills its large temporaries again: measured
    ~6000 faults and 15-20 ms of a 170 ms mnist_cnn step. Raising the mmap and trim
    thresholds lets the next step reuse the same memory. Process-wide and glibc-only
    (a no-op elsewhere); done once, the first time gkeras runs a large CPU pass.
    Set GKERAS_CPU_MALLOC_TUNING=0 to leave the allocator alone.
    """
    with _lock:
        if _malloc["tuned"]:
            return
        _malloc["tuned"] = True
    if os.environ.get("GKERAS_CPU_MALLOC_TUNING", "1").strip() in ("0", "false", "no"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018  (glibc only)
    except (OSError, AttributeError):
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, MMAP_THRESHOLD)
    mallopt(m_trim_threshold, TRIM_THRESHOLD)


# ---------------------------------------------------------------------------- BLAS threads
_blas = {"libs": None, "depth": 0, "saved": None}
_blas_lock = threading.Lock()


def _find_openblas():
    """[(get, set)] thread-count functions of the OpenBLAS libraries this process loaded."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split(None, 5)[5].strip() for line in f
                            if len(line.split(None, 5)) == 6
                            and "openblas" in os.path.basename(line.split(None, 5)[5]).lower()})
    except OSError:
        return []
    found = []
    for path in paths:
        try:  # already loaded: RTLD_NOLOAD returns its handle, never loads a new copy
            lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | getattr(os, "RTLD_LOCAL", 0))
        except (OSError, AttributeError):
            continue
        for prefix in ("scipy_", ""):
            for suffix in ("64_", ""):
                get = getattr(lib, "%sopenblas_get_num_threads%s" % (prefix, suffix), None)
                set_ = getattr(lib, "%sopenblas_set_num_threads%s" % (prefix, suffix), None)
                if get is not None and set_ is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    set_.restype, set_.argtypes = None, [ctypes.c_int]
                    found.append((get, set_))
                    break
            else:
                continue
            break
    return found


def _openblas():
    if _blas["libs"] is None:
        with _blas_lock:
            if _blas["libs"] is None:
                _blas["libs"] = _find_openblas() if num_threads() > 1 else []
    return _blas["libs"]


@contextlib.contextmanager
def blas_single():
    """OpenBLAS on one thread for the duration; yields whether that control exists.

    Nesting and concurrent use are counted: the first entry saves and sets, the last
    exit restores. GEMMs made inside (on any thread) neither spawn nor wake OpenBLAS's
    workers; `matmul` and the blocks of `run` provide the parallelism instead.
    """
    libs = _openblas()
    if not libs:
        yield False
        return
    with _blas_lock:
        if _blas["depth"] == 0:
            _blas["saved"] = [get() for get, _ in libs]
            for _, set_ in libs:
                set_(1)
        _blas["depth"] += 1
    try:
        yield True
    finally:
        with _blas_lock:
            _blas["depth"] -= 1
            if _blas["depth"] == 0:
                for (_, set_), n in zip(libs, _blas["saved"]):
                    set_(n)


def matmul(a, b):
    """a @ b for 2-D arrays: numpy.matmul, split into blocks on the threads when large.

    The longest of the three axes is split: rows of `a` or columns of `b` (each block
    writes its slice of the result), or the inner axis (per-block partial products,
    added in block order). Blocks depend on the sizes only.
    """
    dtype = numpy.result_type(a, b)
    if dtype.kind not in "fc":  # no BLAS involved
        return numpy.matmul(a, b)
    with blas_single() as single:
        m, k = a.shape
        n = b.shape[1]
        if not single or 2 * m * n * k < GEMM_MIN_FLOPS:
            return numpy.matmul(a, b)
        size = dtype.itemsize
        if m >= n and m >= k:
            out = numpy.empty((m, n), dtype=dtype)
            parts = blocks(m, (k + n) * size, GEMM_BLOCK_BYTES, GEMM_MIN_BLOCKS)
            run_blocks(lambda lo, hi: numpy.matmul(a[lo:hi], b, out=out[lo:hi]), parts)
            return out
        if n >= k:
            out = numpy.empty((m, n), dtype=dtype)
            parts = blocks(n, (k + m) * size, GEMM_BLOCK_BYTES, GEMM_MIN_BLOCKS)
            run_blocks(lambda lo, hi: numpy.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), parts)
            return out
        parts = blocks(k, (m + n) * size, GEMM_BLOCK_BYTES, GEMM_MIN_BLOCKS)
        partial = run_blocks(lambda lo, hi: numpy.matmul(a[:, lo:hi], b[lo:hi]), parts)
        out = partial[0]
        for p in partial[1:]:
            out += p
        return out


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
