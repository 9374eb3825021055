"""Callbacks: hooks into training, with tf.keras 2.x's classes, signatures and semantics.

`fit` calls, in this order (tf.keras's): ``on_train_begin``; for every epoch
``on_epoch_begin``, then per batch ``on_train_batch_begin`` / ``on_train_batch_end``
(which forward to the Keras 2.2 names ``on_batch_begin`` / ``on_batch_end``), then, when
there is validation data, ``on_test_begin``, ``on_test_batch_begin`` /
``on_test_batch_end`` per validation batch and ``on_test_end`` (whose logs say ``loss``,
not ``val_loss``), then ``on_epoch_end`` with the epoch's logs (``val_*`` included);
finally ``on_train_end`` with the last epoch's logs. All callbacks share one logs dict
per hook call, so a callback that adds a key (ReduceLROnPlateau's ``lr``) is seen by
those after it; History and the progress bar come after the user's callbacks.

Warnings (an unknown monitor key, an unknown mode) go through Python's `warnings`
module with tf.keras's texts.
"""
import collections
import csv
import inspect
import io
import numbers
import os
import tempfile
import warnings

import numpy

from .utils.progbar import Progbar


class Callback:
    """Base class; override the `on_*` hooks you need.

    Attributes:
        model: the model being trained (set by `set_model`).
        params: dict with 'epochs', 'steps', 'verbose'.
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None  # Keras 2.2 attribute, never filled (as in tf.keras)

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Dispatches each hook to a list of callbacks in order.

    Hooks called without `logs` get a fresh empty dict (tf.keras never passes None),
    and every callback of one call receives the same dict.
    """

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = []
        self.model, self.params = None, {}
        for cb in list(callbacks or []):
            self.append(cb)
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def append(self, callback):
        if not isinstance(callback, Callback):
            raise TypeError("callbacks must be gkeras.callbacks.Callback instances, got %r"
                            % (callback,))
        self.callbacks.append(callback)

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        # Keras always passes `logs` (a dict), so user hooks such as
        # LambdaCallback(on_train_begin=lambda logs: ...) may require it.
        n_args = 2 if ("batch" in hook or "epoch" in hook) else 1

        def dispatch(*args, **kwargs):
            if "logs" in kwargs:
                if kwargs["logs"] is None:
                    kwargs["logs"] = {}
            elif len(args) < n_args:
                args = args + ({},) * (n_args - len(args))
            elif len(args) == n_args and args[-1] is None:
                args = args[:-1] + ({},)
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)
        return dispatch


class History(Callback):
    """Records every epoch's logs; `fit` returns it (`history.history['loss']`)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints Keras's progress bar (verbose=1) or one line per epoch (verbose=2)."""

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError("Unknown `count_mode`: %r; expected 'steps' or 'samples'"
                             % (count_mode,))
        self.stateful_metrics = stateful_metrics
        self.progbar = None
        self.seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        verbose = self.params.get("verbose", 1)
        epochs = self.params.get("epochs", 1)
        if verbose and epochs > 1:
            print("Epoch %d/%d" % (epoch + 1, epochs))
        self.seen = 0
        self.progbar = Progbar(self.params.get("steps"), verbose=verbose,
                               stateful_metrics=self.stateful_metrics,
                               unit_name="step")

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self.progbar.update(self.seen, _items(logs), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.progbar.update(self.seen, _items(logs), finalize=True)


def _items(logs):
    return [(k, v) for k, v in (logs or {}).items() if k not in ("batch", "size")]


class LambdaCallback(Callback):
    """A callback built from plain functions (on_epoch_end=lambda epoch, logs: ...).

    Any other hook can be given by name too (on_test_end=lambda logs: ...).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stops training when the loss becomes NaN or infinite (checked after every batch)."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not numpy.isfinite(float(loss)):
            print("Batch %d: Invalid loss, terminating training" % batch)
            self.model.stop_training = True


# ----------------------------------------------------------------- helpers
def _learning_rate_variable(model, who):
    opt = getattr(model, "optimizer", None)
    lr = getattr(opt, "learning_rate", None) if opt is not None else None
    if lr is None:
        raise ValueError('%s: the optimizer must have a "learning_rate" attribute (compile the '
                         'model with a gkeras optimizer first).' % who)
    return lr


def _get_lr(model, who):
    """The current learning rate as a numpy float32 (what tf.keras logs as 'lr')."""
    from . import backend
    return numpy.float32(backend.get_value(_learning_rate_variable(model, who)))


def _set_lr(model, value, who):
    from . import backend
    backend.set_value(_learning_rate_variable(model, who), numpy.float32(value))


def _check_mode(mode, what):
    if mode not in ("auto", "min", "max"):
        warnings.warn("%s mode %s is unknown, fallback to auto mode." % (what, mode))
        return "auto"
    return mode


_UMASK = []


def _umask():
    """The process umask (read once: reading it means setting it)."""
    if not _UMASK:
        umask = os.umask(0o022)
        os.umask(umask)
        _UMASK.append(umask)
    return _UMASK[0]


def _write_atomically(path, text):
    """Replaces `path`'s content with `text` in one step (a temporary file renamed over it)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            f.write(text)
        if os.path.exists(path):
            try:
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ----------------------------------------------------------------- ModelCheckpoint
class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after every epoch or every `save_freq` batches.

    Args:
        filepath: where to save; may hold format fields filled from the epoch (1-based)
            and the logs, e.g. ``'weights.{epoch:02d}-{val_loss:.2f}.h5'``. With an
            integer `save_freq`, ``{batch}`` (1-based) is available too.
        monitor: the logs key compared when `save_best_only`.
        verbose: 1 prints a line whenever a file is (or is not) written.
        save_best_only: write only when `monitor` improves on the best value so far.
        save_weights_only: `model.save_weights(filepath)` instead of `model.save(filepath)`.
        mode: 'min', 'max' or 'auto' ('max' when `monitor` contains 'acc' or starts
            with 'fmeasure', else 'min').
        save_freq: 'epoch', or an integer number of batches between saves.
        options: accepted for compatibility (TensorFlow SaveOptions); unused.
        initial_value_threshold: the starting "best" value for `save_best_only`.
        period: Keras 2.2's alias: save every `period` epochs.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 initial_value_threshold=None, period=None, **kwargs):
        super().__init__()
        unknown = set(kwargs) - {"load_weights_on_restart"}
        if unknown:
            raise TypeError("Unrecognized keyword arguments passed to ModelCheckpoint: %s"
                            % (sorted(unknown),))
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._options = options
        self.initial_value_threshold = initial_value_threshold
        if period is not None:
            warnings.warn("`period` argument is deprecated. Please use `save_freq` to specify "
                          "the frequency in number of batches seen.", DeprecationWarning)
            self.period = int(period)
        else:
            self.period = 1
        if save_freq != "epoch" and (not isinstance(save_freq, numbers.Integral)
                                     or isinstance(save_freq, bool) or save_freq <= 0):
            raise ValueError("Unrecognized save_freq: %r. Expected save_freq are 'epoch' or a "
                             "positive integer (batches between saves)." % (save_freq,))
        mode = _check_mode(mode, "ModelCheckpoint")
        if mode == "min" or (mode == "auto" and not ("acc" in monitor
                                                     or monitor.startswith("fmeasure"))):
            self.monitor_op = numpy.less
            self.best = numpy.inf
        else:
            self.monitor_op = numpy.greater
            self.best = -numpy.inf
        if initial_value_threshold is not None:
            self.best = initial_value_threshold
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        if not self.save_weights_only and not callable(getattr(self.model, "save", None)):
            raise NotImplementedError(
                "ModelCheckpoint(save_weights_only=False) saves whole models with "
                "`model.save`, and whole-model saving is not available in gkeras yet. Pass "
                "`save_weights_only=True` to write the weights (HDF5, reloadable with "
                "`model.load_weights`).")
        if os.path.isdir(self.filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. "
                          "Filepath used is an existing directory: %s" % self.filepath)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        if not (self.save_freq != "epoch" or self.epochs_since_last_save >= self.period):
            return
        self.epochs_since_last_save = 0
        filepath = self._get_file_path(epoch, batch, logs)
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname, exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn("Can save best model only with %s available, skipping."
                              % self.monitor)
                return
            if not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print("\nEpoch %d: %s did not improve from %.5f"
                          % (epoch + 1, self.monitor, self.best))
                return
            if self.verbose > 0:
                print("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s"
                      % (epoch + 1, self.monitor, self.best, current, filepath))
            self.best = current
        elif self.verbose > 0:
            print("\nEpoch %d: saving model to %s" % (epoch + 1, filepath))
        if os.path.isdir(filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. "
                          "Filepath used is an existing directory: %s" % filepath)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError('Failed to format this callback filepath: "%s". Reason: %s '
                           '(available: epoch%s, %s)'
                           % (self.filepath, e, "" if batch is None else ", batch",
                              ", ".join(logs))) from None


# ----------------------------------------------------------------- EarlyStopping
class EarlyStopping(Callback):
    """Stops training when `monitor` has stopped improving.

    Each epoch without an improvement larger than `min_delta` adds one to `wait`; an
    improvement resets it. Training stops once `wait >= patience` (never after the
    first epoch). With `restore_best_weights`, the weights of the best epoch are
    restored when training ends -- also when it ends without stopping early.

    Args:
        monitor: the logs key to watch ('val_loss').
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when stopping / restoring.
        mode: 'min', 'max' or 'auto' ('max' for names ending in 'acc', 'accuracy' or
            'auc').
        baseline: `wait` is reset only by values that also beat the baseline.
        restore_best_weights: restore the best epoch's weights at the end.
        start_from_epoch: epochs of warm-up before monitoring starts.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        mode = _check_mode(mode, "EarlyStopping")
        if mode == "min":
            self.monitor_op = numpy.less
        elif mode == "max":
            self.monitor_op = numpy.greater
        elif monitor.endswith(("acc", "accuracy", "auc")):
            self.monitor_op = numpy.greater
        else:
            self.monitor_op = numpy.less
        if self.monitor_op is numpy.less:
            self.min_delta *= -1
        self.best = numpy.inf if self.monitor_op is numpy.less else -numpy.inf
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # instances can be reused
        self.wait = 0
        self.stopped_epoch = 0
        self.best = numpy.inf if self.monitor_op is numpy.less else -numpy.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # weights to restore even if no epoch ever improves
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %d: early stopping" % (self.stopped_epoch + 1))
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: %d."
                      % (self.best_epoch + 1))
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn("Early stopping conditioned on metric `%s` which is not available. "
                          "Available metrics are: %s" % (self.monitor, ",".join(logs)))
        return value

    def _is_improvement(self, value, reference):
        return bool(self.monitor_op(value - self.min_delta, reference))


# ----------------------------------------------------------------- learning rate
class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` stops improving.

    Writes the learning rate used during the epoch to ``logs['lr']`` (before any
    reduction), so History records it.

    Args:
        monitor: the logs key to watch.
        factor: new_lr = lr * factor (< 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: 'min', 'max' or 'auto' ('max' when `monitor` contains 'acc').
        min_delta: the smallest change that counts as an improvement (`epsilon` in
            Keras 2.2).
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated and will be removed, use "
                          "`min_delta` instead.", DeprecationWarning)
        if kwargs:
            raise TypeError("Unrecognized keyword arguments passed to ReduceLROnPlateau: %s"
                            % (sorted(kwargs),))
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. Got %s"
                             % (factor,))
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self.mode = mode
        self.monitor_op = None
        self._reset()

    def _reset(self):
        self.mode = _check_mode(self.mode, "Learning rate reduction")
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: numpy.less(a, b - self.min_delta)
            self.best = numpy.inf
        else:
            self.monitor_op = lambda a, b: numpy.greater(a, b + self.min_delta)
            self.best = -numpy.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["lr"] = _get_lr(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn("Learning rate reduction is conditioned on metric `%s` which is not "
                          "available. Available metrics are: %s"
                          % (self.monitor, ",".join(logs)))
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model, "ReduceLROnPlateau")
                if old_lr > numpy.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(self.model, new_lr, "ReduceLROnPlateau")
                    if self.verbose > 0:
                        print("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s."
                              % (epoch + 1, new_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


def _takes_two_args(fn):
    """True / False when the signature says whether fn(epoch, lr) binds; None if unknown."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        sig.bind(0, 0.1)
    except TypeError:
        return False
    return True


def _is_real_scalar(v):
    if isinstance(v, numpy.ndarray):
        return v.ndim == 0 and v.dtype.kind in "fiu"
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from `schedule`.

    Args:
        schedule: `schedule(epoch)` or `schedule(epoch, lr)` (epoch 0-based, lr the
            current learning rate as a float) returning the new learning rate.
        verbose: 1 prints each update.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: `schedule` must be a function "
                            "schedule(epoch) or schedule(epoch, lr), got %r" % (schedule,))
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(_get_lr(self.model, "LearningRateScheduler"))
        two = _takes_two_args(self.schedule)
        if two is None:  # no signature: tf.keras's try-the-new-API-first
            try:
                lr = self.schedule(epoch, lr)
            except TypeError:
                lr = self.schedule(epoch)
        else:
            lr = self.schedule(epoch, lr) if two else self.schedule(epoch)
        if not _is_real_scalar(lr):
            raise ValueError('The output of the "schedule" function should be float. '
                             'Got: %r' % (lr,))
        _set_lr(self.model, lr, "LearningRateScheduler")
        if self.verbose > 0:
            print("\nEpoch %d: LearningRateScheduler setting learning rate to %s."
                  % (epoch + 1, lr))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = _get_lr(self.model, "LearningRateScheduler")


# ----------------------------------------------------------------- CSVLogger
class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file, as tf.keras does.

    Columns: ``epoch`` (0-based), then the log keys sorted by name (when the first epoch
    has no ``val_`` keys, ``val_`` versions of every key are added, filled with ``NA``);
    rows end with ``\\r\\n`` (Python's csv 'excel' dialect); floats are written with
    `repr`. The file is rewritten atomically after every epoch, so it always holds
    complete rows.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: keep the file's existing content and add to it (no second header).
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.append_header = True
        self._text = None
        self._header_written = False

    def on_train_begin(self, logs=None):
        self._text = ""
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, "r", newline="", encoding="utf-8") as f:
                self._text = f.read()
            self.append_header = not self._text.split("\n", 1)[0]
        self._header_written = False
        _write_atomically(self.filename, self._text)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._text is None:  # used outside fit
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(["val_" + k for k in self.keys])

        class Dialect(csv.excel):
            delimiter = self.sep

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["epoch"] + self.keys, dialect=Dialect)
        if self.append_header and not self._header_written:
            writer.writeheader()
            self._header_written = True
        row = collections.OrderedDict({"epoch": epoch})
        row.update((k, _csv_value(logs.get(k, "NA"))) for k in self.keys)
        writer.writerow(row)
        self._text += buf.getvalue()
        _write_atomically(self.filename, self._text)

    def on_train_end(self, logs=None):
        self._text = None


def _csv_value(v):
    if isinstance(v, str):
        return v
    if isinstance(v, numpy.ndarray) and v.ndim == 0:
        return v
    if isinstance(v, collections.abc.Iterable):
        return '"[%s]"' % ", ".join(map(str, v))
    return v


class TensorBoard(Callback):
    """Not available: TensorBoard event files need TensorFlow's summary writer."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "gkeras has no TensorBoard callback: writing TensorBoard event files needs "
            "TensorFlow, which gkeras does not use. Record metrics with "
            "gkeras.callbacks.CSVLogger (or History) instead.")
