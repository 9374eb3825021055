"""The loops behind fit / evaluate / predict, over arrays, generators and Sequences."""
import inspect
import warnings

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
        self.exhausted = False  # arrays never run out

    def end_epoch(self):
        pass

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
    """Batches from a Python generator or a `Sequence` yielding (x, y[, sample_weight]).

    A `Sequence` is indexed afresh every epoch (in shuffled order when `shuffle`); its
    `on_epoch_end` runs once per epoch, through `end_epoch`. A generator is one stream
    read across epochs. `steps=None` means `len(sequence)` batches, or -- for evaluate
    and predict only -- every batch until the generator ends. Running out before
    `steps` batches warns (tf.keras's "Your input ran out of data") and sets
    `exhausted`.
    """

    _ran_out_words = {"fit": ("training", "`steps_per_epoch * epochs`"),
                      "validation": ("validation", "`validation_steps * epochs`"),
                      "evaluate": ("evaluation", "`steps`"),
                      "predict": ("prediction", "`steps`")}

    def __init__(self, model, data, steps, shuffle=False, class_weight=None, what="fit",
                 epochs=1):
        self.model, self.data, self.shuffle = model, data, shuffle
        self.class_weight = class_weight
        self.what = what
        self.is_sequence = _is_sequence(data)
        if self.is_sequence and len(data) == 0 and steps is None:
            raise ValueError("The Sequence given to `%s` is empty (len() == 0): it has no "
                             "batches." % _public_name(what))
        if steps is None and not self.is_sequence and what in ("fit", "validation"):
            arg = "steps_per_epoch" if what == "fit" else "validation_steps"
            raise ValueError("`%s=None` is only valid for a generator based on the "
                             "`gkeras.utils.Sequence` class. Please specify `%s` (how many "
                             "batches make an epoch) or use the `gkeras.utils.Sequence` "
                             "class." % (arg, arg))
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, (int, numpy.integer)) \
                    or steps < 1:
                arg = {"fit": "steps_per_epoch", "validation": "validation_steps"}.get(
                    what, "steps")
                raise ValueError("`%s` must be a positive integer, got %r" % (arg, steps))
            steps = int(steps)
        self.steps = steps
        self.epochs = max(int(epochs), 1)
        self.exhausted = False
        self._warned = False
        self._iterator = None if self.is_sequence else iter(data)

    def num_steps(self):
        if self.steps is None and self.is_sequence:
            return len(self.data)
        return self.steps

    def _ran_out(self):
        self.exhausted = True
        if self._warned or self.steps is None:
            return
        self._warned = True
        doing, need = self._ran_out_words[self.what]
        hint = ("a Sequence yields len(sequence) = %d batches per epoch" % len(self.data)
                if self.is_sequence else
                "a Python generator should loop over its data forever (`while True:`)")
        warnings.warn("Your input ran out of data; interrupting %s. Make sure that your "
                      "dataset or generator can generate at least %s batches (in this "
                      "case, %d batches); %s." % (doing, need, self.steps * self.epochs,
                                                   hint))

    def raw_batches(self):
        """Yields the items the generator or Sequence produces, one epoch's worth."""
        if self.is_sequence:
            n = len(self.data)
            order = numpy.arange(n)
            if self.shuffle:
                _random.host_rng().shuffle(order)
            for i in range(n if self.steps is None else self.steps):
                if i >= n:
                    self._ran_out()
                    return
                yield self.data[int(order[i])]
            return
        i = 0
        while self.steps is None or i < self.steps:
            try:
                item = next(self._iterator)
            except StopIteration:
                self._ran_out()
                return
            i += 1
            yield item

    def batches(self):
        """Yields standardized (xs, ys, sws) for fit / evaluate."""
        for item in self.raw_batches():
            if not isinstance(item, tuple) or len(item) not in (2, 3):
                raise ValueError("Output of generator should be a tuple (x, y) or "
                                 "(x, y, sample_weight), found: %s" % (_describe(item),))
            x, y = item[0], item[1]
            sw = item[2] if len(item) == 3 else None
            if y is None:
                raise ValueError("Output of generator should be a tuple (x, y) or "
                                 "(x, y, sample_weight) with targets y, found y=None.")
            yield self.model._standardize(x, y, sw, self.class_weight)

    def inputs(self):
        """Yields standardized input lists for predict: items may be x, (x,), (x, y) or
        (x, y, sample_weight)."""
        for item in self.raw_batches():
            if isinstance(item, tuple):
                if len(item) not in (1, 2, 3):
                    raise ValueError("Output of generator for predict should be x, or a tuple "
                                     "(x,), (x, y) or (x, y, sample_weight), found: %s"
                                     % (_describe(item),))
                item = item[0]
            yield self.model._standardize(item)[0]

    def end_epoch(self):
        """Runs the Sequence's `on_epoch_end` (once per epoch, as tf.keras does)."""
        if self.is_sequence and hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()


def _public_name(what):
    return {"validation": "fit (validation_data)"}.get(what, what)


def _is_sequence(data):
    return isinstance(data, Sequence) or (
        hasattr(data, "__getitem__") and hasattr(data, "__len__")
        and not hasattr(data, "shape") and not isinstance(data, (list, tuple, dict, str)))


def _describe(item):
    if isinstance(item, tuple):
        return "a tuple of %d elements" % len(item)
    if hasattr(item, "shape"):
        return "%s of shape %s" % (type(item).__name__, tuple(item.shape))
    return type(item).__name__


def is_generator_like(x):
    """True for generators, iterators and Sequences (not arrays, lists or dicts)."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict, str)):
        return False
    return _is_sequence(x) or inspect.isgenerator(x) or hasattr(x, "__next__")


def _check_generator_args(x, y, sample_weight):
    kind = "`gkeras.utils.Sequence`" if _is_sequence(x) else "a Python generator"
    if y is not None:
        raise ValueError("`y` argument is not supported when using %s as input: the "
                         "generator yields (x, y) itself." % kind)
    if sample_weight is not None:
        raise ValueError("`sample_weight` argument is not supported when using %s as input: "
                         "yield (x, y, sample_weight) instead." % kind)


# ---------------------------------------------------------------- fit
def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split,
        validation_data, shuffle, class_weight, sample_weight, initial_epoch,
        steps_per_epoch, validation_steps, validation_batch_size, validation_freq):
    """Keras's training loop; returns the History callback."""
    n_epochs = max(epochs - initial_epoch, 1)
    if is_generator_like(x):
        _check_generator_args(x, y, sample_weight)
        if validation_split:
            raise ValueError("`validation_split` is only supported for array inputs, not for "
                             "generators or Sequences; pass `validation_data` instead.")
        train = GeneratorSource(model, x, steps_per_epoch, shuffle=bool(shuffle),
                                class_weight=class_weight, epochs=n_epochs)
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
                             validation_batch_size or batch_size or 32, validation_steps,
                             n_epochs)

    # tf.keras's order: the user's callbacks, then History, then the progress bar; a
    # History or ProgbarLogger among the user's callbacks is used instead of a new one
    cbs = _callback_objects(callbacks)
    history = next((c for c in cbs if isinstance(c, callbacks_module.History)), None)
    if history is None:
        history = callbacks_module.History()
        cbs.append(history)
    if verbose and not any(isinstance(c, callbacks_module.ProgbarLogger) for c in cbs):
        cbs.append(callbacks_module.ProgbarLogger(stateful_metrics=model.metrics_names))
    params = {"epochs": epochs, "steps": train.num_steps(), "verbose": verbose}
    cb_list = callbacks_module.CallbackList(cbs, model=model, params=params)

    model.stop_training = False
    cb_list.on_train_begin()
    training_logs = None
    for epoch in range(initial_epoch, epochs):
        cb_list.on_epoch_begin(epoch)
        acc = LogAccumulator()
        steps_run = 0
        for step, (xs_b, ys_b, sws_b) in enumerate(train.batches()):
            cb_list.on_train_batch_begin(step)
            acc.add(model._train_step(xs_b, ys_b, sws_b))
            steps_run += 1
            cb_list.on_train_batch_end(step, acc.result())
            if model.stop_training:
                break
        if steps_run == 0:  # the input ran out before this epoch: nothing to report
            break
        epoch_logs = acc.result()
        if val is not None and _validate_now(epoch, validation_freq):
            val_logs = run_test_loop(model, val, verbose=0, callbacks=cbs)
            epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
        cb_list.on_epoch_end(epoch, epoch_logs)
        train.end_epoch()
        training_logs = epoch_logs
        if model.stop_training or train.exhausted:
            break
    cb_list.on_train_end(training_logs)
    return history


def _callback_objects(callbacks):
    """A fresh list of the Callback objects in `callbacks` (a list or a CallbackList)."""
    if isinstance(callbacks, callbacks_module.CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, callbacks_module.Callback):
        raise TypeError("`callbacks` must be a list of Callback instances, got a single %s; "
                        "pass [callback]." % type(callbacks).__name__)
    return list(callbacks or [])


def _validate_now(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _validation_source(model, validation_data, val_arrays, batch_size, steps, epochs):
    if val_arrays is not None:
        return ArraySource(*val_arrays, batch_size=batch_size)
    if validation_data is None:
        return None
    if is_generator_like(validation_data):
        return GeneratorSource(model, validation_data, steps, what="validation",
                               epochs=epochs)
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` should be a tuple (x_val, y_val) or "
                         "(x_val, y_val, val_sample_weights), or a generator; got %s."
                         % (_describe(validation_data),))
    sw = validation_data[2] if len(validation_data) == 3 else None
    xs, ys, sws = model._standardize(validation_data[0], validation_data[1], sw)
    return ArraySource(xs, ys, sws, batch_size=batch_size)


# ---------------------------------------------------------------- evaluate / predict
def run_test_loop(model, source, verbose=0, callbacks=None, params=None):
    """Averages loss and metrics over every batch of `source`.

    `callbacks` is a list of Callback objects (fit passes its own, so validation calls
    their on_test_* hooks); `params` is set on them only for a standalone evaluate.
    """
    progbar = Progbar(source.num_steps(), verbose=verbose,
                      stateful_metrics=model.metrics_names) if verbose in (1, 2) else None
    cb_list = callbacks_module.CallbackList(callbacks, model=model, params=params)
    cb_list.on_test_begin()
    acc = LogAccumulator()
    step = -1
    for step, (xs, ys, sws) in enumerate(source.batches()):
        if ys is None:
            raise ValueError("Evaluation needs target data `y`.")
        cb_list.on_test_batch_begin(step)
        acc.add(model._test_step(xs, ys, sws))
        logs = acc.result()
        cb_list.on_test_batch_end(step, logs)
        if progbar is not None:
            progbar.update(step + 1, list(logs.items()), finalize=False)
    source.end_epoch()
    logs = acc.result()
    if not logs:
        if isinstance(source, GeneratorSource):
            what = ("validation data" if source.what == "validation" else "input")
            raise ValueError("Your %s ran out of data: the %s produced no batches to "
                             "evaluate. Make sure it can generate %s" % (
                                 what, "Sequence" if source.is_sequence else "generator",
                                 "at least `validation_steps * epochs` batches (a Python "
                                 "generator should loop forever with `while True:`)."
                                 if source.what == "validation" else "at least one batch."))
        raise ValueError("No data to evaluate: the input is empty.")
    cb_list.on_test_end(logs)
    if progbar is not None:  # tf.keras's ProgbarLogger finalizes in on_test_end
        progbar.update(step + 1, list(logs.items()), finalize=True)
    return logs


def evaluate(model, x, y, batch_size, verbose, sample_weight, steps, callbacks):
    if is_generator_like(x):
        _check_generator_args(x, y, sample_weight)
        source = GeneratorSource(model, x, steps, what="evaluate")
    else:
        xs, ys, sws = model._standardize(x, y, sample_weight)
        if ys is None:
            raise ValueError("`evaluate` needs target data `y`.")
        source = ArraySource(xs, ys, sws, training_utils.check_batch_size(batch_size),
                             steps=steps)
    params = {"epochs": 1, "steps": source.num_steps(), "verbose": verbose}
    return run_test_loop(model, source, verbose=verbose, callbacks=_callback_objects(callbacks),
                         params=params)


def predict(model, x, batch_size, verbose, steps, callbacks):
    """Concatenated outputs over all batches (a list for several outputs)."""
    gen = None
    if is_generator_like(x):
        gen = GeneratorSource(model, x, steps, what="predict")
        batches = gen.inputs()
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
    cb_list = callbacks_module.CallbackList(
        _callback_objects(callbacks), model=model,
        params={"epochs": 1, "steps": total, "verbose": verbose})
    cb_list.on_predict_begin()
    outputs = None
    step = -1
    for step, xs_b in enumerate(batches):
        cb_list.on_predict_batch_begin(step)
        outs = model._predict_step(xs_b)
        outputs = [[o] for o in outs] if outputs is None else [
            acc + [o] for acc, o in zip(outputs, outs)]
        cb_list.on_predict_batch_end(step, {"outputs": outs})
        if progbar is not None:
            progbar.update(step + 1, finalize=False)
    if gen is not None:
        gen.end_epoch()
    cb_list.on_predict_end()
    if outputs is None:
        raise ValueError("No data to predict on: the input is empty%s."
                         % (" (the generator produced no batches)" if gen is not None else ""))
    if progbar is not None:  # tf.keras's ProgbarLogger finalizes in on_predict_end
        progbar.update(step + 1, finalize=True)
    result = [numpy.concatenate(o, axis=0) for o in outputs]
    return result if len(result) > 1 else result[0]
