"""Data parallelism across processes and machines with MPI (in the style of Horovod).

Launch P processes with the virtualenv's `mpiexec` (`pip install 'gkeras[mpi]'` installs
mpi4py and mpich, whose `mpiexec` lands next to `python`)::

    mpiexec -n 4 python train.py

and in `train.py` wrap the model once, before `compile`::

    from gkeras.distributed import mpi
    mpi.init()                              # optional: the first use initialises
    model = mpi.distributed_model(model)    # rank 0's initial weights go to every rank
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["acc"])
    model.fit(x, y, batch_size=256, epochs=10, callbacks=[ModelCheckpoint("m.h5")])

Every rank loads the same data and calls the same methods. The semantics are those of
single-process training on the *global* batch: of each batch of B samples (the same
batches, in the same shuffled order, on every rank: rank 0's shuffling state is
broadcast at the start of `fit`) rank r takes its contiguous slice (`split_sizes`, sizes
differ by at most one; a rank whose slice is empty contributes zero gradients); its
gradients, scaled by its share n_r / B, are summed over the ranks with one all-reduce of
a flat buffer, and every rank applies the same update. The result equals single-process
training on the whole batch (to float rounding). Loss and metrics are (sum, count)
triples summed over the ranks, so they are averages weighted by slice sizes, identical on
every rank (EarlyStopping, ReduceLROnPlateau decide the same everywhere).

Only rank 0 prints (`verbose` and the callbacks' `verbose` are forced to 0 elsewhere) and
writes files: `save` / `save_weights` (and so ModelCheckpoint) write on rank 0 and then
wait at a barrier; CSVLogger runs on rank 0 only. `predict` returns the whole output on
every rank. Non-trainable state (BatchNormalization's moving statistics, from rank 0's
slice) is broadcast from rank 0 after each step. A model holding a synchronised
BatchNormalization (`SyncBatchNormalization` or `BatchNormalization(synchronized=True)`,
nested models included) runs each training step under
`sync_group_scope(ProcessSyncGroup(comm))` on every rank, an empty slice included (it
joins the collectives with zero sums and a zero count), seeding its backward pass with
its share n_r / B: statistics are those of the whole batch, so every rank's moving
statistics equal single-process BatchNormalization's (the broadcast changes nothing). The
model file is an ordinary
single-process model (this model shares the wrapped model's layers).

Collectives: `MPICommunicator` (mpi4py `Allreduce` on host arrays) on the CPU;
`NCCLMPICommunicator` (one GPU per rank, the NCCL unique id broadcast over MPI) when
gkeras computes on CuPy and NCCL is available.
"""
import inspect

from .. import callbacks as _callbacks
from ..autograd.tape import Tape
from ..autograd.tensor import Tensor
from ..backend import cuda as _cuda
from ..backend import random as _random
from ..backend import xp as _xp
from ..engine.training import Model
from .communicator import (MPI_INSTALL_HINT, MPICommunicator,  # noqa: F401
                           NCCLMPICommunicator, import_mpi)
from ..ops.normalization import sync_group_scope
from .data_parallel import (ProcessSyncGroup, _flat_dtype, _flat_size, _flatten, _unflatten,
                            _unflatten_into, has_sync_batchnorm, split_sizes)

_state = {"comm": None}


def init(communicator=None, nccl=None):
    """Initialises multi-process training (idempotent); returns the communicator.

    Args:
        communicator: a ready communicator (an `MPICommunicator`, or anything with its
            methods); default: one over `MPI.COMM_WORLD`.
        nccl: True for NCCL between GPUs, False for MPI on host arrays, None (default)
            for NCCL when gkeras computes on CuPy and NCCL is available.
    Raises RuntimeError saying `pip install 'gkeras[mpi]'` when mpi4py is missing.
    """
    if communicator is not None:
        _state["comm"] = communicator
        return communicator
    if _state["comm"] is not None:
        return _state["comm"]
    import_mpi()  # the clear error first
    use_nccl = nccl
    if use_nccl is None:
        use_nccl = _xp.is_gpu() and _nccl_available()
    if use_nccl:
        comm = NCCLMPICommunicator()
        _cuda.device(comm.devices[0]).use()  # this rank computes on its own GPU
    else:
        comm = MPICommunicator()
    _state["comm"] = comm
    return comm


def _nccl_available():
    try:
        _cuda.nccl()
    except RuntimeError:
        return False
    return True


def communicator():
    """The communicator (`init()` on first use)."""
    return init()


def rank():
    """This process's rank (0..size-1)."""
    return communicator().rank


def size():
    """The number of processes."""
    return communicator().size


def is_root():
    """True on rank 0 (the one that prints and writes files)."""
    return rank() == 0


def barrier():
    """Waits until every rank gets here."""
    communicator().barrier()


def broadcast_weights(model, root=0):
    """Copies rank `root`'s weights of `model` to every rank (one flat buffer)."""
    _broadcast_variables(communicator(), model.weights, root)


def distributed_model(model):
    """`model` trained data-parallel over the MPI ranks (see the module doc).

    Returns a `DistributedModel` sharing `model`'s layers; compile it (a compiled `model`
    is recompiled with its own settings). Rank 0's weights are broadcast to every rank.
    """
    return DistributedModel(model, communicator())


# files written by these callbacks are written on rank 0 only
_ROOT_ONLY_CALLBACKS = (_callbacks.CSVLogger, _callbacks.ProgbarLogger)


class DistributedModel(Model):
    """A model whose every batch is split across the MPI ranks (see the module doc)."""

    #: the class name written to model files: an ordinary functional model there
    _saved_class_name = "Functional"

    def __init__(self, template, communicator):
        super().__init__(inputs=template.inputs, outputs=template.outputs, name=template.name)
        self._template = template
        self._comm = communicator
        _broadcast_variables(communicator, template.weights, 0)
        if getattr(template, "_compiled", None):
            config = dict(template._compile_config)
            self.compile(optimizer=template.optimizer, **config)

    @property
    def communicator(self):
        return self._comm

    @property
    def rank(self):
        return self._comm.rank

    # ------------------------------------------------------------ synchronisation
    def sync(self):
        """Rank 0's weights, optimizer state and shuffling state on every rank."""
        _broadcast_variables(self._comm, self._template.weights, 0)
        if self.optimizer is not None:
            ours = self._comm.allgather_object(len(self.optimizer.weights))
            if len(set(ours)) == 1:  # same slots everywhere (e.g. all fresh or all loaded)
                _broadcast_variables(self._comm, self.optimizer.weights, 0)
        rng = _random.host_rng()
        rng.bit_generator.state = self._comm.broadcast_object(rng.bit_generator.state, 0)

    def _slice(self, n):
        """This rank's [start, stop) of a batch of n samples."""
        sizes = split_sizes(n, self._comm.size)
        start = sum(sizes[:self._comm.rank])
        return start, start + sizes[self._comm.rank]

    def _reduce_logs(self, triples):
        """Every rank's (name, sum, count) triples summed per name, on every rank."""
        mine = [(name, float(_xp.asnumpy(s)), float(_xp.asnumpy(c)))
                for name, s, c in triples]
        totals = {}
        for theirs in self._comm.allgather_object(mine):
            for name, s, c in theirs:
                if name in totals:
                    totals[name][0] += s
                    totals[name][1] += c
                else:
                    totals[name] = [s, c]
        return [(name, s, c) for name, (s, c) in totals.items()]

    def _slice_forward(self, xs, ys, sws, start, stop, training):
        xp = _xp.xp()
        xs_r = [Tensor(xp.asarray(x[start:stop])) for x in xs]
        y_pred = self._forward(xs_r, training=training)
        if ys is None:
            return y_pred, None, None, None, None
        ys_r = self._prepare_targets([y[start:stop] for y in ys])
        sws_r = [None if w is None else xp.asarray(w[start:stop]) for w in sws]
        total, per_output = self._total_loss(y_pred, ys_r, sws_r)
        return y_pred, total, per_output, ys_r, sws_r

    # ------------------------------------------------------------ steps
    def _train_step(self, xs, ys, sws):
        if self._collected_trainable_weights is None:
            self._collected_trainable_weights = self.trainable_weights
        if getattr(self, "_trainable_check_pending", False):
            self._check_trainable_weights_consistency()
        weights = self._collected_trainable_weights
        xp = _xp.xp()
        n = len(xs[0])
        start, stop = self._slice(n)
        logs = []
        size = int(sum(w.data.size for w in weights))
        if self._has_sync_bn():
            flat, logs = self._sync_slice_step(xs, ys, sws, start, stop, n, weights)
        elif stop > start:
            with Tape() as tape:
                y_pred, total, per_output, ys_r, sws_r = self._slice_forward(
                    xs, ys, sws, start, stop, training=True)
            grads = tape.gradient(total, weights)
            share = (stop - start) / float(n)
            flat = _flatten_grads(grads, weights, share)
            logs = self._batch_logs(total, per_output, y_pred, ys_r, sws_r)
        else:
            flat = xp.zeros(size + len(weights), dtype=_flat_dtype(weights))
        if size:
            # one more value per weight: 1 where this rank's loss depends on it (a rank
            # with no sample knows nothing); summed, > 0 marks the weights that get a
            # gradient, and the optimizer skips the others, as without MPI
            self._comm.allreduce_sum([flat])
            grads = _unflatten(flat[:size], weights)
            connected = flat[size:] > 0
            self.optimizer.apply_gradients(
                zip([g if c else None for g, c in zip(grads, connected)], weights))
        ids = {id(w) for w in weights}
        state = [w for w in self._template.weights if not w.trainable or id(w) not in ids]
        _broadcast_variables(self._comm, state, 0)
        return self._reduce_logs(logs)

    def _has_sync_bn(self):
        """Whether the model holds a synchronised BatchNormalization (nested too)."""
        if getattr(self, "_sync_bn_cache", None) is None:
            self._sync_bn_cache = (has_sync_batchnorm(self._template),)
        return self._sync_bn_cache[0]

    def _sync_slice_step(self, xs, ys, sws, start, stop, n, weights):
        """This rank's forward/backward with synchronised BatchNormalization: (flat, logs).

        Runs under `sync_group_scope(ProcessSyncGroup(comm))` on every rank, an empty
        slice included (zero-size arrays: it adds zero sums and a zero count to the
        collectives, which every rank must join in the same order), and seeds the
        backward pass with the share n_r / B, so the synchronised backward sums gradients
        of the whole batch's loss.
        """
        import contextlib
        import warnings

        import numpy
        xp = _xp.xp()
        empty = stop <= start
        share = (stop - start) / float(n)
        with contextlib.ExitStack() as stack:
            if empty:  # the loss and metrics of no sample are 0/0: not warned about
                stack.enter_context(numpy.errstate(all="ignore"))
                stack.enter_context(warnings.catch_warnings())
                warnings.simplefilter("ignore", RuntimeWarning)
            stack.enter_context(sync_group_scope(ProcessSyncGroup(self._comm)))
            with Tape() as tape:
                y_pred, total, per_output, ys_r, sws_r = self._slice_forward(
                    xs, ys, sws, start, stop, training=True)
            grads = tape.gradient(total, weights, xp.full_like(total.data, share))
        if empty:  # the empty slice's loss is 0/0: it adds no log and zero gradients
            return xp.zeros(_flat_size(weights) + len(weights), dtype=_flat_dtype(weights)), []
        flat = _flatten_grads(grads, weights, 1.0)
        return flat, self._batch_logs(total, per_output, y_pred, ys_r, sws_r)

    def _test_step(self, xs, ys, sws):
        start, stop = self._slice(len(xs[0]))
        logs = []
        if stop > start:
            y_pred, total, per_output, ys_r, sws_r = self._slice_forward(
                xs, ys, sws, start, stop, training=False)
            logs = self._batch_logs(total, per_output, y_pred, ys_r, sws_r)
        return self._reduce_logs(logs)

    def _predict_step(self, xs):
        import numpy
        start, stop = self._slice(len(xs[0]))
        mine = None
        if stop > start:
            y_pred = self._slice_forward(xs, None, None, start, stop, False)[0]
            mine = [_xp.asnumpy(o.data) for o in y_pred]
        parts = [p for p in self._comm.allgather_object(mine) if p is not None]
        return [numpy.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]

    # ------------------------------------------------------------ public API
    def _quiet(self, verbose, callbacks):
        """Rank 0 keeps `verbose` and `callbacks`; other ranks print and log nothing."""
        if self._comm.rank == 0:
            return verbose, callbacks
        if isinstance(callbacks, _callbacks.CallbackList):
            callbacks = list(callbacks.callbacks)
        kept = [c for c in (callbacks or []) if not isinstance(c, _ROOT_ONLY_CALLBACKS)]
        for c in kept:
            if isinstance(getattr(c, "verbose", None), (int, bool)):
                c.verbose = 0
        return 0, kept

    def _call_quietly(self, method, default_verbose, args, kwargs):
        bound = inspect.signature(method).bind(self, *args, **kwargs)
        params = dict(bound.arguments)
        params.pop("self")
        params.update(params.pop("kwargs", {}))
        params["verbose"], params["callbacks"] = self._quiet(
            params.get("verbose", default_verbose), params.get("callbacks"))
        return method(self, **params)

    def fit(self, *args, **kwargs):
        self.sync()
        return self._call_quietly(Model.fit, 1, args, kwargs)

    def evaluate(self, *args, **kwargs):
        return self._call_quietly(Model.evaluate, 1, args, kwargs)

    def predict(self, *args, **kwargs):
        return self._call_quietly(Model.predict, 0, args, kwargs)

    def save(self, *args, **kwargs):
        """Writes the model on rank 0, then waits for it on every rank."""
        if self._comm.rank == 0:
            super().save(*args, **kwargs)
        self._comm.barrier()

    def save_weights(self, *args, **kwargs):
        """Writes the weights on rank 0, then waits for them on every rank."""
        if self._comm.rank == 0:
            super().save_weights(*args, **kwargs)
        self._comm.barrier()


def _broadcast_variables(comm, variables, root):
    """Copies rank `root`'s `variables` to every rank, as one flat float64 buffer."""
    if comm.size == 1 or not variables:
        return
    xp = _xp.xp()
    flat = xp.concatenate([xp.ravel(xp.asarray(v.data)).astype("float64")
                           for v in variables])
    comm.broadcast([flat], root=root)
    if comm.rank != root:
        _unflatten_into(flat, variables)


def _flatten_grads(grads, weights, share):
    """`grads` (None: zero) times `share`, packed into one flat buffer, followed by one
    value per weight: 1 where its gradient exists, 0 where it is None."""
    flat = _flatten(grads, weights, share)
    if not weights:
        return flat
    xp = _xp.xp()
    return xp.concatenate([flat, xp.asarray([g is not None for g in grads], dtype=flat.dtype)])
