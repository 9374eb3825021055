"""DataParallelModel: one model, `size` replicas, every batch split across them.

Each training step:

1. the batch of B samples is split into `size` contiguous slices whose sizes differ by at
   most one (`split_sizes`: the first B % size slices get one more); with B < size the last
   replicas get no sample and contribute zero gradients;
2. every replica with samples runs forward and backward on its slice, on its own device
   and stream: one host thread first queues every slice's copy (`_stage`), then every
   replica's work, and copies nothing back before the all-reduce, so on GPUs the devices
   compute concurrently while the host enqueues;
3. each replica's gradients, scaled by its share n_r / B, are packed into one flat buffer,
   and the buffers are summed with one all-reduce: every replica then holds the gradient
   of the whole batch's loss (losses are means over samples, so sum_r n_r/B * grad_r is
   exactly the single-device gradient, sample weights and weight penalties included);
4. every replica applies the same update with its own optimizer copy, so the replicas stay
   bit-identical; non-trainable state (BatchNormalization's moving statistics, taken from
   replica 0's slice as Keras's towers did) is broadcast from replica 0.

Synchronised BatchNormalization (`SyncBatchNormalization`, or `BatchNormalization(
synchronized=True)`): its statistics and the two reductions of its input gradient are
summed over the replicas inside the forward and backward passes, so the replicas must run
in lockstep. When the model holds such a layer, step 2 runs every replica with samples on
its own thread (`_Lockstep`), in turn: one thread runs at a time, in rank order, and hands
over at each collective; the last rank sums the contributions in rank order and rank 0
resumes. Between collectives the work is thus the sequential loop's, in the same order
(dropout draws and sums included): deterministic. Each replica seeds its backward pass
with its share n_r / B (instead of scaling its gradients afterwards), so the synchronised
backward sums gradients of the whole batch's loss. Every replica then holds the whole
batch's moving statistics.

The loss and metrics are returned as (name, sum, count) triples per slice, so their
averages weight each slice by its size and equal the single-device values on the batch.

Replica 0 is the template model itself: this model is built on the template's inputs and
outputs, so it shares its layers and weights, and `save` writes an ordinary single-device
model. Other replicas are clones kept equal to it (weights are copied from replica 0 at
the start of every fit / evaluate / predict / *_on_batch call).
"""
import threading

from .. import optimizers
from ..autograd.tape import Tape
from ..autograd.tensor import Tensor
from ..backend import xp as _xp
from ..engine.training import Model
from ..ops.normalization import sync_group_scope


def split_sizes(n, parts):
    """Sizes of `parts` contiguous slices of `n` samples (first n % parts get one more)."""
    base, extra = divmod(int(n), int(parts))
    return [base + (1 if r < extra else 0) for r in range(parts)]


def has_sync_batchnorm(model):
    """Whether `model` holds a synchronised BatchNormalization (`SyncBatchNormalization`
    or `BatchNormalization(synchronized=True)`), nested models included."""
    def walk(layers):
        for layer in layers:
            if getattr(layer, "synchronized", False) is True:
                return True
            if walk(getattr(layer, "layers", None) or []):
                return True
        return False
    return walk(getattr(model, "layers", None) or [])


class DataParallelModel(Model):
    """A model training its template on `communicator.size` replicas (see module doc)."""

    #: the class name written to model files: this is an ordinary functional model there
    _saved_class_name = "Functional"

    def __init__(self, template, communicator):
        super().__init__(inputs=template.inputs, outputs=template.outputs, name=template.name)
        self._template = template
        self._comm = communicator
        self._replicas = [self]
        weights = template.get_weights()
        from ..models import clone_model
        for rank in range(1, communicator.size):
            with communicator.device_scope(rank):
                replica = clone_model(template)
                replica.set_weights(weights)
            self._replicas.append(replica)
        self._replica_optimizers = None
        self._optimizer_source = None

    @property
    def communicator(self):
        return self._comm

    @property
    def replicas(self):
        """The replica models; `replicas[0]` is this model (the template's layers)."""
        return list(self._replicas)

    # ------------------------------------------------------------ replica bookkeeping
    def _replica_weights(self, rank, weights):
        """Replica `rank`'s counterparts of the template's `weights`."""
        if rank == 0:
            return list(weights)
        index = {id(w): i for i, w in enumerate(self._template.weights)}
        theirs = self._replicas[rank].weights
        return [theirs[index[id(w)]] for w in weights]

    def _broadcast_weights(self, weights):
        """Copies replica 0's `weights` to every other replica, as one flat buffer."""
        if self._comm.size == 1 or not weights:
            return
        flats = []
        for rank in range(self._comm.size):
            with self._comm.device_scope(rank):
                xp = _xp.xp()
                mine = self._replica_weights(rank, weights)
                flats.append(xp.concatenate([xp.ravel(w.data).astype("float64")
                                             for w in mine]))
        self._comm.broadcast(flats, root=0)
        for rank in range(1, self._comm.size):
            with self._comm.device_scope(rank):
                _unflatten_into(flats[rank], self._replica_weights(rank, weights))

    def sync_replicas(self):
        """Makes every replica's weights equal to replica 0's (the template's)."""
        self._broadcast_weights(self._template.weights)

    def replicas_in_sync(self):
        """True when every replica's weights equal replica 0's bit for bit."""
        ref = [_xp.asnumpy(w.data) for w in self._template.weights]
        for rank in range(1, self._comm.size):
            for a, w in zip(ref, self._replica_weights(rank, self._template.weights)):
                b = _xp.asnumpy(w.data)
                if a.shape != b.shape or not (a == b).all():
                    return False
        return True

    def _optimizers(self):
        """One optimizer per replica: replica 0 uses `self.optimizer`, others copies."""
        if self._optimizer_source is not self.optimizer:
            opt = self.optimizer
            copies = [opt]
            for rank in range(1, self._comm.size):
                with self._comm.device_scope(rank):
                    copy = optimizers.get({"class_name": type(opt).__name__,
                                           "config": opt.get_config()})
                    copy.iterations.assign(_xp.asnumpy(opt.iterations.data))
                copies.append(copy)
            self._replica_optimizers = copies
            self._optimizer_source = opt
            # an optimizer that already holds slot state (resumed training) cannot be
            # copied slot for slot: replica 0 then updates and broadcasts its weights
            self._broadcast_updates = len(opt.weights) > 1
        return self._replica_optimizers

    def _has_sync_bn(self):
        """Whether the template holds a synchronised BatchNormalization (nested too)."""
        if getattr(self, "_sync_bn_cache", None) is None:
            self._sync_bn_cache = (has_sync_batchnorm(self._template),)
        return self._sync_bn_cache[0]

    # ------------------------------------------------------------ steps
    def _slices(self, n):
        """(rank, start, stop) of every replica that gets samples."""
        out, start = [], 0
        for rank, size in enumerate(split_sizes(n, self._comm.size)):
            if size:
                out.append((rank, start, start + size))
            start += size
        return out

    def _stage(self, xs, ys, sws, slices):
        """{rank: (inputs, targets, sample weights)}: each replica's slices on its device.

        All copies are queued before any replica's compute, so that on GPUs no copy
        waits behind a running replica: the devices then compute concurrently while the
        host enqueues (one stream per device), until the all-reduce.
        """
        staged = {}
        for rank, start, stop in slices:
            with self._comm.device_scope(rank):
                xp = _xp.xp()
                xs_r = [Tensor(xp.asarray(x[start:stop])) for x in xs]
                ys_r = sws_r = None
                if ys is not None:
                    ys_r = self._prepare_targets([y[start:stop] for y in ys])
                    sws_r = [None if w is None else xp.asarray(w[start:stop]) for w in sws]
                staged[rank] = (xs_r, ys_r, sws_r)
        return staged

    def _replica_forward(self, rank, staged, training):
        """Replica `rank` on its staged slice: (y_pred, total, per_output, ys, sws)."""
        replica = self._replicas[rank]
        xs_r, ys_r, sws_r = staged
        y_pred = replica._forward(xs_r, training=training)
        if ys_r is None:
            return y_pred, None, None, None, None
        total, per_output = self._losses(ys_r, y_pred, sws_r)
        for penalty in replica.losses:
            total = total + penalty
        return y_pred, total, per_output, ys_r, sws_r

    def _train_step(self, xs, ys, sws):
        if self._collected_trainable_weights is None:
            self._collected_trainable_weights = self.trainable_weights
        if getattr(self, "_trainable_check_pending", False):
            self._check_trainable_weights_consistency()
        weights = self._collected_trainable_weights
        xs = [_xp.asnumpy(x) if _xp.get_array_module(x) is not _xp.xp() else x for x in xs]
        n = len(xs[0])
        opts = self._optimizers()
        comm = self._comm
        logs, flats, per_rank = [], [None] * comm.size, [None] * comm.size
        slices = self._slices(n)
        active = {rank: (start, stop) for rank, start, stop in slices}
        staged = self._stage(xs, ys, sws, slices)
        sync = self._has_sync_bn()

        def replica_step(rank):
            with comm.device_scope(rank):
                xp = _xp.xp()
                mine = per_rank[rank]
                start, stop = active[rank]
                share = (stop - start) / float(n)
                with Tape() as tape:
                    y_pred, total, per_output, ys_r, sws_r = self._replica_forward(
                        rank, staged[rank], training=True)
                if sync:  # seed with the share: the synchronised backward needs it
                    grads = tape.gradient(total, mine, xp.full_like(total.data, share))
                    share = 1.0
                else:
                    grads = tape.gradient(total, mine)
                connected = [g is not None for g in grads]
                return _flatten(grads, mine, share), \
                    self._batch_logs(total, per_output, y_pred, ys_r, sws_r), connected

        for rank in range(comm.size):
            with comm.device_scope(rank):
                per_rank[rank] = self._replica_weights(rank, weights)
                if rank not in active:
                    flats[rank] = _xp.xp().zeros(_flat_size(per_rank[rank]),
                                                 dtype=_flat_dtype(per_rank[rank]))
        ranks = sorted(active)
        if sync and len(ranks) > 1:
            results = _Lockstep(ranks).run(replica_step)
        elif sync:
            with sync_group_scope(None):
                results = [replica_step(ranks[0])]
        else:
            results = [replica_step(rank) for rank in ranks]
        for rank, (flat, rank_logs, _) in zip(ranks, results):
            flats[rank] = flat
            logs += rank_logs
        # every replica runs the same graph: one replica's None gradients (weights the
        # loss does not depend on) are everyone's, and the optimizers skip them
        connected = results[0][2]
        comm.allreduce_sum(flats)
        ranks = [0] if getattr(self, "_broadcast_updates", False) else range(comm.size)
        for rank in ranks:
            with comm.device_scope(rank):
                grads = _unflatten(flats[rank], per_rank[rank])
                grads = [g if c else None for g, c in zip(grads, connected)]
                opts[rank].apply_gradients(zip(grads, per_rank[rank]))
        if getattr(self, "_broadcast_updates", False):
            self._broadcast_weights(weights)
        state = [w for w in self._template.weights if not w.trainable
                 or not any(w is t for t in weights)]
        self._broadcast_weights(state)
        return logs

    def _test_step(self, xs, ys, sws):
        logs = []
        slices = self._slices(len(xs[0]))
        staged = self._stage(xs, ys, sws, slices)
        for rank, _, _ in slices:
            with self._comm.device_scope(rank):
                y_pred, total, per_output, ys_r, sws_r = self._replica_forward(
                    rank, staged[rank], training=False)
                logs += self._batch_logs(total, per_output, y_pred, ys_r, sws_r)
        return logs

    def _predict_step(self, xs):
        import numpy
        slices = self._slices(len(xs[0]))
        staged = self._stage(xs, None, None, slices)
        outputs = []
        for rank, _, _ in slices:  # every replica queued before the first copy back
            with self._comm.device_scope(rank):
                outputs.append(self._replica_forward(rank, staged[rank], False)[0])
        parts = []
        for (rank, _, _), y_pred in zip(slices, outputs):
            with self._comm.device_scope(rank):
                parts.append([_xp.asnumpy(o.data) for o in y_pred])
        return [numpy.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]

    # ------------------------------------------------------------ public API
    def fit(self, *args, **kwargs):
        self.sync_replicas()
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        self.sync_replicas()
        return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        self.sync_replicas()
        return super().predict(*args, **kwargs)

    def train_on_batch(self, *args, **kwargs):
        self.sync_replicas()
        return super().train_on_batch(*args, **kwargs)

    def test_on_batch(self, *args, **kwargs):
        self.sync_replicas()
        return super().test_on_batch(*args, **kwargs)

    def predict_on_batch(self, *args, **kwargs):
        self.sync_replicas()
        return super().predict_on_batch(*args, **kwargs)


class _Lockstep:
    """Runs `fn(rank)` for `ranks` on one thread each, one thread at a time, in turn.

    Each thread is the sync group (`allreduce`) of its replica: a thread reaching a
    collective deposits its array and hands over to the next rank; the last rank sums the
    deposits in rank order (float64, on the host: per-channel statistics are small), and
    rank 0 resumes, then 1, ... each reading the sum. An exception on any thread stops
    them all and is raised by `run`; ranks that reach different numbers of collectives
    raise RuntimeError instead of hanging.
    """

    def __init__(self, ranks):
        self.ranks = list(ranks)
        self._cond = threading.Condition()
        self._turn = 0
        self._slots = [None] * len(self.ranks)
        self._result = None
        self._error = None
        self._finished = [False] * len(self.ranks)

    class _Member:
        def __init__(self, owner, index):
            self.owner, self.index = owner, index
            self.size = len(owner.ranks)

        def allreduce(self, array):
            return self.owner._allreduce(self.index, array)

    def _wait_turn(self, index):
        # called with the condition held
        while self._turn != index and self._error is None:
            self._cond.wait()
        if self._error is not None:
            raise _Aborted()

    def _pass_turn(self, index):
        self._turn = (index + 1) % len(self.ranks)
        self._cond.notify_all()

    def _allreduce(self, index, array):
        import numpy
        xp = _xp.get_array_module(array)
        with self._cond:
            self._slots[index] = _xp.asnumpy(array).astype("float64")
            if index == len(self.ranks) - 1:
                shapes = {s.shape for s in self._slots}
                if len(shapes) != 1 or any(self._finished):
                    self._error = RuntimeError(
                        "SyncBatchNormalization: the replicas' collectives do not match.")
                    self._cond.notify_all()
                    raise _Aborted()
                total = self._slots[0].copy()
                for s in self._slots[1:]:
                    total += s
                self._result = total
                self._turn = 0
                self._cond.notify_all()
            else:
                self._pass_turn(index)
            self._wait_turn(index)
            result = numpy.array(self._result)
        return xp.asarray(result)

    def run(self, fn):
        results = [None] * len(self.ranks)

        def body(index, rank):
            try:
                with self._cond:
                    self._wait_turn(index)
                with sync_group_scope(_Lockstep._Member(self, index)):
                    results[index] = fn(rank)
                with self._cond:
                    self._finished[index] = True
                    if index < len(self.ranks) - 1 and not all(self._finished):
                        if self._turn == index:
                            self._pass_turn(index)
                    if not all(self._finished) and index == len(self.ranks) - 1:
                        # the last rank ended while others wait at a collective
                        self._error = RuntimeError(
                            "SyncBatchNormalization: the replicas' collectives do not match.")
                    self._cond.notify_all()
            except _Aborted:
                pass
            except BaseException as e:  # noqa: BLE001 - re-raised by run
                with self._cond:
                    if self._error is None:
                        self._error = e
                    self._cond.notify_all()

        threads = [threading.Thread(target=body, args=(i, r), daemon=True)
                   for i, r in enumerate(self.ranks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self._error is not None:
            raise self._error
        return results


class ProcessSyncGroup:
    """The sync group of a process holding one replica of a multi-process communicator
    (MPI ranks: `allreduce_sum` takes a list holding this process's array only).

    A multi-process trainer runs each rank's training step under
    `gkeras.ops.normalization.sync_group_scope(ProcessSyncGroup(comm))`, seeding its
    backward pass with its share n_r / B as `DataParallelModel` does, and every rank must
    run the step (a rank with no sample would leave the others waiting).
    """

    def __init__(self, communicator):
        self.communicator = communicator

    def allreduce(self, array):
        buf = array.copy()
        self.communicator.allreduce_sum([buf])
        return buf


class _Aborted(Exception):
    """Another replica's thread failed: this one stops."""


def _flatten(grads, weights, share):
    """`grads` (None: zero) times `share`, packed into one flat buffer of the weights'
    dtype (what one all-reduce sums)."""
    xp = _xp.xp()
    if not weights:
        return xp.zeros(0, "float32")
    return xp.concatenate([
        (xp.zeros(w.data.size, dtype=w.data.dtype) if g is None
         else xp.ravel(g.data if isinstance(g, Tensor) else g) * share
         ).astype(_flat_dtype(weights), copy=False)
        for g, w in zip(grads, weights)])


def _flat_dtype(weights):
    return weights[0].data.dtype if weights else "float32"


def _flat_size(weights):
    return int(sum(w.data.size for w in weights))


def _unflatten(flat, weights):
    out, offset = [], 0
    for w in weights:
        size = w.data.size
        out.append(flat[offset:offset + size].reshape(w.data.shape).astype(w.data.dtype,
                                                                           copy=False))
        offset += size
    return out


def _unflatten_into(flat, weights):
    for w, value in zip(weights, _unflatten(flat, weights)):
        w.data = value.copy()
