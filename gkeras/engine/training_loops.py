"""The loops behind fit / evaluate / predict, over arrays, generators and Sequences."""
import inspect

import numpy

from .. import callbacks as callbacks_module
from ..backend import random as _random
from ..backend import xp as _xp
from ..utils.data_utils import Sequence
from ..utils.progbar import Progbar
from . import training_utils


class LogAccumulator:
    """Epoch averages of (name, sum, count) triples, kept on the device until read."""

    def __init__(self):
        self.totals = {}

    def add(self, triples):
        for name, total, count in triples:
            if name in self.totals:
                self.totals[name][0] = self.totals[name][0] + total
                self.totals[name][1] = self.totals[name][1] + count
            else:
                self.totals[name] = [total, count]

    def result(self):
        return {k: _ratio(s, c) for k, (s, c) in self.totals.items()}


def _ratio(total, count):
    count = float(_xp.asnumpy(count))
    return float(_xp.asnumpy(total)) / count if count else 0.0


def reduce_logs(triples):
    """The averages of one batch's (name, sum, count) triples."""
    acc = LogAccumulator()
    acc.add(triples)
    return acc.result()


# ---------------------------------------------------------------- data sources
class ArraySource:
    """Batches of in-memory arrays; reshuffles every epoch when asked."""

    def __init__(self, xs, ys, sws, batch_size, shuffle=False, steps=None):
        self.xs, self.ys, self.sws = xs, ys, sws
        self.n = len(xs[0])
        self.batch_size, self.shuffle = batch_size, shuffle
        self.steps = steps
        self._pending = None  # indices left over when steps < one pass

    def num_steps(self):
        if self.steps is not None:
            return self.steps
        return -(-self.n // self.batch_size)

    def _order(self):
        if self.shuffle == "batch":
            starts = numpy.arange(0, self.n, self.batch_size)
            _random.host_rng().shuffle(starts)
            return numpy.concatenate([numpy.arange(s, min(s + self.batch_size, self.n))
                                      for s in starts])
        if self.shuffle:
            return _random.host_rng().permutation(self.n)
        return None

    def batches(self):
        """Yields (xs, ys, sws) lists for one epoch."""
        if self.steps is None:
            order = self._order()
            for start, stop in training_utils.batch_slices(self.n, self.batch_size):
                idx = slice(start, stop) if order is None else order[start:stop]
                yield self._take(idx)
            return
        for _ in range(self.steps):
            if self._pending is None or len(self._pending) == 0:
                order = self._order()
                self._pending = numpy.arange(self.n) if order is None else order
            idx, self._pending = (self._pending[:self.batch_size],
                                  self._pending[self.batch_size:])
            yield self._take(idx)

    def _take(self, idx):
        def take(arrays):
            return None if arrays is None else [None if a is None else a[idx] for a in arrays]
        return take(self.xs), take(self.ys), take(self.sws)


class GeneratorSource:
    """Batches from a Python generator or a `Sequence` yielding (x, y[, sample_weight])."""

    def __init__(self, model, data, steps, shuffle=False, class_weight=None, what="fit"):
        self.model, self.data, self.shuffle = model, data, shuffle
        self.class_weight = class_weight
        self.is_sequence = isinstance(data, Sequence) or (
            hasattr(data, "__getitem__") and hasattr(data, "__len__")
            and not hasattr(data, "shape") and not isinstance(data, (list, tuple, dict)))
        if steps is None:
            if self.is_sequence:
                steps = len(data)
            else:
                raise ValueError("When using a generator in `%s`, you must specify how many "
                                 "batches make an epoch: pass `steps_per_epoch` (fit) or "
                                 "`steps` (evaluate/predict)." % what)
        self.steps = int(steps)
        self._iterator = None if self.is_sequence else iter(data)

    def num_steps(self):
        return self.steps

    def raw_batches(self):
        """Yields the items the generator or Sequence produces, one epoch's worth."""
        if self.is_sequence:
            order = numpy.arange(len(self.data))
            if self.shuffle:
                _random.host_rng().shuffle(order)
            for i in range(self.steps):
                yield self.data[int(order[i % len(order)])]
            if hasattr(self.data, "on_epoch_end"):
                self.data.on_epoch_end()
            return
        for _ in range(self.steps):
            try:
                yield next(self._iterator)
            except StopIteration:
                return

    def batches(self):
        for item in self.raw_batches():
            if not isinstance(item, tuple) or len(item) not in (2, 3):
                raise ValueError("Output of generator should be a tuple (x, y) or "
                                 "(x, y, sample_weight), found: %s" % (_describe(item),))
            x, y = item[0], item[1]
            sw = item[2] if len(item) == 3 else None
            yield self.model._standardize(x, y, sw, self.class_weight)


def _describe(item):
    if isinstance(item, tuple):
        return "a tuple of %d elements" % len(item)
    return type(item).__name__


def is_generator_like(x):
    """True for generators, iterators and Sequences (not arrays, lists or dicts)."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict)):
        return False
    return isinstance(x, Sequence) or inspect.isgenerator(x) or hasattr(x, "__next__") or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__"))


# ---------------------------------------------------------------- fit
def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split,
        validation_data, shuffle, class_weight, sample_weight, initial_epoch,
        steps_per_epoch, validation_steps, validation_batch_size, validation_freq):
    """Keras's training loop; returns the History callback."""
    if is_generator_like(x):
        if validation_split:
            raise ValueError("`validation_split` is only supported for array inputs, not for "
                             "generators or Sequences; pass `validation_data` instead.")
        train = GeneratorSource(model, x, steps_per_epoch, shuffle=bool(shuffle),
                                class_weight=class_weight)
        val_arrays = None
    else:
        batch_size = training_utils.check_batch_size(batch_size)
        xs, ys, sws = model._standardize(x, y, sample_weight, class_weight)
        if ys is None:
            raise ValueError("`fit` needs target data `y` for a model with outputs %s."
                             % (model.output_names,))
        val_arrays = None
        if validation_data is None and validation_split:
            (xs, ys, sws), val_arrays = training_utils.split_validation(
                [xs, ys, sws], validation_split, len(xs[0]))
        train = ArraySource(xs, ys, sws, batch_size, shuffle=shuffle, steps=steps_per_epoch)
    val = _validation_source(model, validation_data, val_arrays,
                             validation_batch_size or batch_size or 32, validation_steps)

    history = callbacks_module.History()
    # tf.keras's order: the user's callbacks, then History, then the progress bar
    cbs = list(callbacks or []) + [history]
    if verbose:
        cbs.append(callbacks_module.ProgbarLogger(stateful_metrics=model.metrics_names))
    params = {"epochs": epochs, "steps": train.num_steps(), "verbose": verbose}
    cb_list = callbacks_module.CallbackList(cbs, model=model, params=params)

    model.stop_training = False
    cb_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        cb_list.on_epoch_begin(epoch)
        acc = LogAccumulator()
        for step, (xs_b, ys_b, sws_b) in enumerate(train.batches()):
            cb_list.on_train_batch_begin(step, {"batch": step, "size": len(xs_b[0])})
            acc.add(model._train_step(xs_b, ys_b, sws_b))
            cb_list.on_train_batch_end(step, acc.result())
            if model.stop_training:
                break
        epoch_logs = acc.result()
        if val is not None and _validate_now(epoch, validation_freq):
            val_logs = run_test_loop(model, val, verbose=0, callbacks=cbs)
            epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
        cb_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    cb_list.on_train_end()
    return history


def _validate_now(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _validation_source(model, validation_data, val_arrays, batch_size, steps):
    if val_arrays is not None:
        return ArraySource(*val_arrays, batch_size=batch_size)
    if validation_data is None:
        return None
    if is_generator_like(validation_data):
        return GeneratorSource(model, validation_data, steps, what="fit validation")
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` should be a tuple (x_val, y_val) or "
                         "(x_val, y_val, val_sample_weights), or a generator; got %s."
                         % (_describe(validation_data),))
    sw = validation_data[2] if len(validation_data) == 3 else None
    xs, ys, sws = model._standardize(validation_data[0], validation_data[1], sw)
    return ArraySource(xs, ys, sws, batch_size=batch_size)


# ---------------------------------------------------------------- evaluate / predict
def run_test_loop(model, source, verbose=0, callbacks=None):
    """Averages loss and metrics over every batch of `source`."""
    progbar = Progbar(source.num_steps(), verbose=verbose,
                      stateful_metrics=model.metrics_names) if verbose in (1, 2) else None
    cb_list = callbacks_module.CallbackList(callbacks, model=model)
    cb_list.on_test_begin()
    acc = LogAccumulator()
    step = 0
    for step, (xs, ys, sws) in enumerate(source.batches()):
        if ys is None:
            raise ValueError("Evaluation needs target data `y`.")
        cb_list.on_test_batch_begin(step)
        acc.add(model._test_step(xs, ys, sws))
        logs = acc.result()
        cb_list.on_test_batch_end(step, logs)
        if progbar is not None:
            progbar.update(step + 1, list(logs.items()), finalize=False)
    logs = acc.result()
    if not logs:
        raise ValueError("No data to evaluate: the input is empty.")
    cb_list.on_test_end(logs)
    if progbar is not None:  # tf.keras's ProgbarLogger finalizes in on_test_end
        progbar.update(step + 1, list(logs.items()), finalize=True)
    return logs


def evaluate(model, x, y, batch_size, verbose, sample_weight, steps, callbacks):
    if is_generator_like(x):
        source = GeneratorSource(model, x, steps, what="evaluate")
    else:
        xs, ys, sws = model._standardize(x, y, sample_weight)
        if ys is None:
            raise ValueError("`evaluate` needs target data `y`.")
        source = ArraySource(xs, ys, sws, training_utils.check_batch_size(batch_size),
                             steps=steps)
    return run_test_loop(model, source, verbose=verbose, callbacks=callbacks)


def predict(model, x, batch_size, verbose, steps, callbacks):
    """Concatenated outputs over all batches (a list for several outputs)."""
    if is_generator_like(x):
        gen = GeneratorSource(model, x, steps, what="predict")
        batches = ((model._standardize(item[0] if isinstance(item, tuple) else item)[0])
                   for item in gen.raw_batches())
        total = gen.num_steps()
    else:
        xs, _, _ = model._standardize(x)
        bs = training_utils.check_batch_size(batch_size)
        slices = training_utils.batch_slices(len(xs[0]), bs)
        if steps is not None:
            slices = slices[:steps]
        batches = ([a[start:stop] for a in xs] for start, stop in slices)
        total = len(slices)
    progbar = Progbar(total, verbose=verbose) if verbose in (1, 2) else None
    cb_list = callbacks_module.CallbackList(callbacks, model=model)
    cb_list.on_predict_begin()
    outputs = None
    for step, xs_b in enumerate(batches):
        cb_list.on_predict_batch_begin(step)
        outs = model._predict_step(xs_b)
        outputs = [[o] for o in outs] if outputs is None else [
            acc + [o] for acc, o in zip(outputs, outs)]
        cb_list.on_predict_batch_end(step, {"outputs": outs})
        if progbar is not None:
            progbar.update(step + 1, finalize=False)
    cb_list.on_predict_end()
    if outputs is None:
        raise ValueError("No data to predict on: the input is empty.")
    if progbar is not None:  # tf.keras's ProgbarLogger finalizes in on_predict_end
        progbar.update(step + 1, finalize=True)
    result = [numpy.concatenate(o, axis=0) for o in outputs]
    return result if len(result) > 1 else result[0]
