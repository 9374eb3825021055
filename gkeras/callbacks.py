"""Callbacks: hooks into training (History, progress bar, lambdas)."""
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
    """Dispatches each hook to a list of callbacks in order."""

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError("callbacks must be gkeras.callbacks.Callback instances, got %r"
                                % (cb,))
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        # Keras always passes `logs` (a dict), so user hooks such as
        # LambdaCallback(on_train_begin=lambda logs: ...) may require it.
        n_args = 2 if ("batch" in hook or "epoch" in hook) else 1

        def dispatch(*args, **kwargs):
            if len(args) < n_args and "logs" not in kwargs:
                args = args + ({},) * (n_args - len(args))
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
    """A callback built from plain functions (on_epoch_end=lambda epoch, logs: ...)."""

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
    """Stops training when the loss becomes NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not numpy.isfinite(loss):
            print("Batch %d: Invalid loss, terminating training" % batch)
            self.model.stop_training = True
