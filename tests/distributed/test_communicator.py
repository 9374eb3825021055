"""NCCLCommunicator's use of devices and streams, against a recording stand-in for CuPy.

No GPU here: the stand-in records which device and stream each NCCL call is queued on
(and performs the sums on numpy buffers), so the structure the GPU path relies on, one
stream per device and every collective one NCCL group on those streams, is checked in CI.
"""
import types

import numpy as np
import pytest

from gkeras.backend import cuda as gk_cuda
from gkeras.distributed import NCCLCommunicator


class _Recorder:
    def __init__(self):
        self.device = 0
        self.stream = None
        self.calls = []  # every NCCL call, in order
        self.pending = []  # the calls of the open group
        self.in_group = 0
        self.buffers = {}


def _fake_cupy(rec):
    class Device:
        def __init__(self, device_id=None):
            self.id = rec.device if device_id is None else device_id

        def __enter__(self):
            self.previous, rec.device = rec.device, self.id
            return self

        def __exit__(self, *exc):
            rec.device = self.previous

    class Stream:
        count = 0

        def __init__(self, non_blocking=False):
            Stream.count += 1
            self.ptr, self.device, self.non_blocking = 1000 + Stream.count, rec.device, \
                non_blocking

        def __enter__(self):
            assert rec.device == self.device, "a stream is made current on its own device"
            self.previous, rec.stream = rec.stream, self
            return self

        def __exit__(self, *exc):
            rec.stream = self.previous

    return types.SimpleNamespace(cuda=types.SimpleNamespace(Device=Device, Stream=Stream))


def _fake_nccl(rec):
    class Comm:
        def __init__(self, device_id):
            self.device_id = device_id

        def _record(self, op, ptr, stream_ptr, root=None):
            assert rec.in_group, "collectives are queued inside one NCCL group"
            call = (op, self.device_id, rec.device, stream_ptr, ptr, root)
            rec.calls.append(call)
            rec.pending.append(call)

        def allReduce(self, send, recv, count, dtype, op, stream_ptr):
            self._record("allreduce", recv, stream_ptr)

        def broadcast(self, send, recv, count, dtype, root, stream_ptr):
            self._record("broadcast", recv, stream_ptr, root)

    class NcclCommunicator:
        @staticmethod
        def initAll(ids):
            return [Comm(d) for d in ids]

    def group_start():
        rec.in_group += 1

    def group_end():
        rec.in_group -= 1
        group, rec.pending = rec.pending, []
        arrays = [rec.buffers[ptr] for _, _, _, _, ptr, _ in group]
        if group and group[0][0] == "allreduce":
            total = sum(a.copy() for a in arrays)
            for a in arrays:
                a[...] = total
        elif group:
            for a in arrays:
                a[...] = arrays[group[0][5]]

    return types.SimpleNamespace(available=True, NcclCommunicator=NcclCommunicator,
                                 groupStart=group_start, groupEnd=group_end,
                                 NCCL_SUM=0, NCCL_FLOAT32=7, NCCL_FLOAT64=8)


class _DeviceArray:
    """A numpy buffer with CuPy's `.data.ptr`, `.size`, `.shape` and `.dtype`."""

    def __init__(self, rec, values):
        self.host = np.array(values, dtype="float32")
        self.data = types.SimpleNamespace(ptr=id(self))
        self.size, self.shape, self.dtype = self.host.size, self.host.shape, self.host.dtype
        rec.buffers[id(self)] = self.host


@pytest.fixture
def fake_gpus(monkeypatch):
    rec = _Recorder()
    cupy, nccl = _fake_cupy(rec), _fake_nccl(rec)
    monkeypatch.setattr(gk_cuda, "_cupy", lambda: cupy)
    monkeypatch.setattr(gk_cuda, "nccl", lambda: nccl)
    return rec


def test_one_stream_per_device_and_collectives_on_them(fake_gpus):
    rec = fake_gpus
    comm = NCCLCommunicator([3, 5])
    assert comm.size == 2 and comm.devices == (3, 5)
    streams = comm._streams
    assert [s.device for s in streams] == [3, 5] and all(s.non_blocking for s in streams)
    assert streams[0].ptr != streams[1].ptr
    # a replica's scope makes its device and its stream current, and restores both
    for rank in range(2):
        with comm.device_scope(rank):
            assert rec.device == comm.devices[rank] and rec.stream is streams[rank]
    assert rec.stream is None
    arrays = [_DeviceArray(rec, [1.0, 2.0]), _DeviceArray(rec, [10.0, 20.0])]
    comm.allreduce_sum(arrays)
    queued = [(op, dev, cur, ptr) for op, dev, cur, ptr, *_ in rec.calls]
    assert queued == [("allreduce", 3, 3, streams[0].ptr), ("allreduce", 5, 5, streams[1].ptr)]
    for a in arrays:
        np.testing.assert_array_equal(a.host, [11.0, 22.0])
    arrays[1].host[...] = [7.0, 8.0]
    comm.broadcast(arrays, root=1)
    np.testing.assert_array_equal(arrays[0].host, [7.0, 8.0])
    assert rec.in_group == 0


def test_errors(fake_gpus):
    with pytest.raises(ValueError, match="repeat"):
        NCCLCommunicator([0, 0])
    with pytest.raises(ValueError, match="at least one device"):
        NCCLCommunicator([])
    comm = NCCLCommunicator([0])
    bad = _DeviceArray(fake_gpus, [1.0])
    bad.dtype = np.dtype("complex64")
    with pytest.raises(TypeError, match="complex64"):
        comm.allreduce_sum([bad])
