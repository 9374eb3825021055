"""Collectives between the replicas of one process (single controller).

A communicator joins `size` replicas; replica `r` holds its arrays on its own device. Each
collective takes a list with one array per replica (index = replica rank) and works in place:

* `allreduce_sum(arrays)`: every array becomes the element-wise sum of all of them;
* `broadcast(arrays, root=0)`: every array becomes a copy of `arrays[root]`.

`InProcessCommunicator` simulates N replicas with numpy (or one array module) in one
process: it is what CI runs (`GKERAS_SIMULATED_DEVICES=N`). `NCCLCommunicator` runs the same
collectives between N CUDA devices of one process with NCCL (`cupy.cuda.nccl`), one NCCL
communicator per device, launched as one NCCL group on each device's current stream.

`MPICommunicator` (host arrays, `MPI.Allreduce`) and `NCCLMPICommunicator` (one GPU per
rank, the NCCL unique id broadcast over MPI) join processes instead: each rank passes a
list holding its own array only (see `gkeras.distributed.mpi`).
"""
import numpy as _numpy

from ..backend import cuda as _cuda
from ..backend import xp as _xp


class Communicator:
    """The interface: `size`, `devices`, `allreduce_sum`, `broadcast`, `device_scope`."""

    #: number of replicas joined
    size = 1
    #: one entry per replica: a CUDA device id, or None for the host
    devices = (None,)

    def allreduce_sum(self, arrays):
        """Sums `arrays` (one per replica, same shape and dtype) into each of them."""
        raise NotImplementedError

    def broadcast(self, arrays, root=0):
        """Copies `arrays[root]` into every other array of `arrays`."""
        raise NotImplementedError

    def device_scope(self, rank):
        """A context manager under which replica `rank`'s arrays are created and used."""
        return _NullScope()

    def _check(self, arrays):
        if len(arrays) != self.size:
            raise ValueError("%s joins %d replicas but got %d arrays."
                             % (type(self).__name__, self.size, len(arrays)))
        shape, dtype = arrays[0].shape, arrays[0].dtype
        for a in arrays[1:]:
            if a.shape != shape or a.dtype != dtype:
                raise ValueError("All replicas' arrays must have one shape and dtype: got "
                                 "%s %s and %s %s." % (shape, dtype, a.shape, a.dtype))


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class InProcessCommunicator(Communicator):
    """N simulated replicas on the host (numpy): the reference the NCCL path must equal.

    The sum is taken in rank order (a[0] + a[1] + ...) and the same result is written to
    every replica, so the replicas stay bit-identical.
    """

    def __init__(self, size):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("InProcessCommunicator needs a positive replica count, got %r"
                             % (size,))
        self.size = size
        self.devices = (None,) * size

    def allreduce_sum(self, arrays):
        self._check(arrays)
        total = arrays[0].copy()
        for a in arrays[1:]:
            total += a
        for a in arrays:
            a[...] = total
        return arrays

    def broadcast(self, arrays, root=0):
        self._check(arrays)
        for r, a in enumerate(arrays):
            if r != root:
                a[...] = arrays[root]
        return arrays


_NCCL_DTYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
                "float64": "NCCL_FLOAT64", "int32": "NCCL_INT32", "int64": "NCCL_INT64"}


class NCCLCommunicator(Communicator):
    """NCCL between CUDA devices `device_ids` of this process (one communicator each).

    Each device gets its own non-blocking stream, current under `device_scope(rank)`.
    Collectives run as one NCCL group (`groupStart` / `groupEnd`) on those streams: no
    host round trip, and the calls return once enqueued.
    Needs NCCL: `cupy.cuda.nccl.available` must be True (`pip install nvidia-nccl-cu12` or
    `nvidia-nccl-cu13`); otherwise the constructor raises RuntimeError saying so.
    """

    def __init__(self, device_ids):
        device_ids = [int(d) for d in device_ids]
        if not device_ids:
            raise ValueError("NCCLCommunicator needs at least one device id.")
        if len(set(device_ids)) != len(device_ids):
            raise ValueError("NCCLCommunicator: device ids repeat: %s" % (device_ids,))
        self._nccl = _cuda.nccl()  # raises with the install hint when NCCL is missing
        self.size = len(device_ids)
        self.devices = tuple(device_ids)
        # one communicator per device, created together (ncclCommInitAll)
        self._comms = self._nccl.NcclCommunicator.initAll(list(device_ids))
        # and one stream per device: a replica's kernels, copies and collectives queue
        # on its own device and stream, so the devices work concurrently while the host
        # only enqueues
        self._streams = [_cuda.new_stream(d) for d in device_ids]

    def device_scope(self, rank):
        """Replica `rank`'s device, with its stream current."""
        return _cuda.device_stream(self.devices[rank], self._streams[rank])

    def _dtype(self, dtype):
        name = _NCCL_DTYPES.get(str(dtype))
        if name is None:
            raise TypeError("NCCLCommunicator cannot reduce arrays of dtype %s." % (dtype,))
        return getattr(self._nccl, name)

    def _group(self, arrays, call):
        """Queues `call(comm, array, nccl dtype, stream pointer)` for every replica, on its
        device and stream, as one NCCL group."""
        self._check(arrays)
        nccl, dtype = self._nccl, self._dtype(arrays[0].dtype)
        nccl.groupStart()
        try:
            for rank, (comm, a) in enumerate(zip(self._comms, arrays)):
                with self.device_scope(rank):
                    call(comm, a, dtype, self._streams[rank].ptr)
        finally:
            nccl.groupEnd()
        return arrays

    def allreduce_sum(self, arrays):
        return self._group(arrays, lambda comm, a, dtype, stream: comm.allReduce(
            a.data.ptr, a.data.ptr, a.size, dtype, self._nccl.NCCL_SUM, stream))

    def broadcast(self, arrays, root=0):
        return self._group(arrays, lambda comm, a, dtype, stream: comm.broadcast(
            a.data.ptr, a.data.ptr, a.size, dtype, root, stream))


# ---------------------------------------------------------------- across processes (MPI)
MPI_INSTALL_HINT = (
    "Multi-process training needs mpi4py and an MPI implementation: "
    "pip install 'gkeras[mpi]' (mpi4py and mpich from PyPI; mpich provides mpiexec in the "
    "virtualenv's bin/ directory), then launch with `mpiexec -n P python train.py`.")


def import_mpi():
    """`mpi4py.MPI`, or RuntimeError saying how to install it."""
    try:
        from mpi4py import MPI
    except Exception as e:  # not installed, or no MPI library behind it
        raise RuntimeError("%s (importing mpi4py failed: %s: %s)"
                           % (MPI_INSTALL_HINT, type(e).__name__, e)) from None
    return MPI


class MPICommunicator(Communicator):
    """Collectives between the processes (ranks) of an MPI communicator, on host arrays.

    Multi-process communicators differ from the single-controller ones above in one way:
    each process holds only its own replica, so every collective takes a list with this
    process's array alone (`len(arrays) == 1`) and every rank calls it. `size` is the
    number of ranks, `rank` this process's. Device (CuPy) arrays are copied to the host,
    reduced with `MPI.Allreduce` and copied back; `NCCLMPICommunicator` avoids that.
    """

    def __init__(self, mpi_comm=None):
        self._MPI = import_mpi()
        self.mpi_comm = self._MPI.COMM_WORLD if mpi_comm is None else mpi_comm
        self.size = self.mpi_comm.Get_size()
        self.rank = self.mpi_comm.Get_rank()
        self.devices = (None,)

    def _check(self, arrays):
        if len(arrays) != 1:
            raise ValueError("%s: each process passes its own array only (a list of one), "
                             "got %d arrays." % (type(self).__name__, len(arrays)))

    def allreduce_sum(self, arrays):
        self._check(arrays)
        a = arrays[0]
        host = numpy_ascontiguous(_xp.asnumpy(a))
        self.mpi_comm.Allreduce(self._MPI.IN_PLACE, host, op=self._MPI.SUM)
        if host is not a:
            a[...] = host if _xp.get_array_module(a) is _numpy else _xp.asarray(host)
        return arrays

    def broadcast(self, arrays, root=0):
        self._check(arrays)
        a = arrays[0]
        host = numpy_ascontiguous(_xp.asnumpy(a))
        self.mpi_comm.Bcast(host, root=root)
        if host is not a:
            a[...] = host if _xp.get_array_module(a) is _numpy else _xp.asarray(host)
        return arrays

    # host-side helpers on Python objects (logs, predictions, random states)
    def allgather_object(self, obj):
        """The list of every rank's `obj` (pickled), in rank order."""
        return self.mpi_comm.allgather(obj)

    def broadcast_object(self, obj, root=0):
        """`obj` of rank `root`, on every rank."""
        return self.mpi_comm.bcast(obj, root=root)

    def barrier(self):
        self.mpi_comm.Barrier()


class NCCLMPICommunicator(MPICommunicator):
    """NCCL between the GPUs of the ranks of an MPI communicator: one GPU per rank.

    Rank 0 creates the NCCL unique id (`nccl.get_unique_id()`) and broadcasts it over MPI;
    every rank then joins one NCCL communicator (`NcclCommunicator(size, uid, rank)`) on
    its device, by default its local rank (among the ranks on its node) modulo the node's
    GPU count. Collectives run on the current CuPy stream without a host round trip; the
    object helpers (logs) still go over MPI.
    """

    def __init__(self, mpi_comm=None, device_id=None):
        super().__init__(mpi_comm)
        self._nccl = _cuda.nccl()  # raises with the install hint when NCCL is missing
        if device_id is None:
            local = self.mpi_comm.Split_type(self._MPI.COMM_TYPE_SHARED, key=self.rank)
            device_id = local.Get_rank() % max(_cuda.device_count(), 1)
            local.Free()
        self.devices = (int(device_id),)
        uid = self.mpi_comm.bcast(self._nccl.get_unique_id() if self.rank == 0 else None,
                                  root=0)
        with _cuda.device(self.devices[0]):
            self._comm = self._nccl.NcclCommunicator(self.size, uid, self.rank)
        self._stream = _cuda.new_stream(self.devices[0])

    def device_scope(self, rank=0):
        """This rank's device, with the stream its work and collectives queue on."""
        return _cuda.device_stream(self.devices[0], self._stream)

    def _dtype(self, dtype):
        return NCCLCommunicator._dtype(self, dtype)

    def allreduce_sum(self, arrays):
        self._check(arrays)
        a = arrays[0]
        with self.device_scope():
            self._comm.allReduce(a.data.ptr, a.data.ptr, a.size, self._dtype(a.dtype),
                                 self._nccl.NCCL_SUM, self._stream.ptr)
        return arrays

    def broadcast(self, arrays, root=0):
        self._check(arrays)
        a = arrays[0]
        with self.device_scope():
            self._comm.broadcast(a.data.ptr, a.data.ptr, a.size, self._dtype(a.dtype), root,
                                 self._stream.ptr)
        return arrays


def numpy_ascontiguous(a):
    """`a` itself when it is a C-contiguous numpy array, else a contiguous copy."""
    return _numpy.ascontiguousarray(a)
