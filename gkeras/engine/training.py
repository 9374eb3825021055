"""Model: compile / fit / evaluate / predict and the per-batch steps.

The tape opens in exactly one place, `_train_step`; prediction and
evaluation record nothing.
"""
import warnings

from .. import optimizers
from ..autograd.tape import Tape
from ..autograd.tensor import Tensor
from ..backend import xp as _xp
from . import training_loops, training_utils
from .base_layer import outer_call, to_list
from .compile_utils import LossesContainer, MetricsContainer
from .network import Network


class Model(Network):
    """A trainable graph of layers: `Model(inputs, outputs)` (Keras's functional API)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compiled = None

    # ------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, run_eagerly=None, **kwargs):
        """Configures training: optimizer, per-output losses and metrics.

        The list of trainable weights is fixed here, as in Keras: changing
        `layer.trainable` afterwards takes effect at the next `compile`.
        """
        unknown = set(kwargs) - {"steps_per_execution", "jit_compile", "target_tensors"}
        if unknown:
            raise TypeError("Invalid keyword argument(s) in `compile()`: %s"
                            % (sorted(unknown),))
        self._ensure_built()
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._losses = LossesContainer(loss, loss_weights, self.output_names)
        self._metrics = MetricsContainer(metrics, weighted_metrics, self.output_names)
        self._metrics_resolved = False
        self._compile_config = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                                "weighted_metrics": weighted_metrics,
                                "sample_weight_mode": sample_weight_mode}
        # Freezing is a property of compile: the layers' `trainable` flags (restored in
        # fit / train_on_batch) and the trainable weights they give. A Sequential
        # without an input shape builds on its first batch: its weights are collected then.
        self._compiled_trainable_state = training_utils.get_trainable_state(self)
        self._collected_trainable_weights = self.trainable_weights if self.built else None
        self._trainable_discrepancy_warned = False
        self._compiled = True

    def _ensure_built(self):
        if not self._is_graph_network:
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")

    def _check_compiled(self, what):
        if not self._compiled:
            raise RuntimeError("You must compile your model before %s. Use "
                               "`model.compile(optimizer, loss)`." % what)

    @property
    def metrics_names(self):
        """'loss', then each output's loss (several outputs), then the metrics."""
        if not self._compiled:
            return []
        names = ["loss"]
        if len(self.output_names) > 1:
            names += ["%s_loss" % n for n, fn in zip(self.output_names, self._losses.fns)
                      if fn is not None]
        return names + self._metrics.names

    # ------------------------------------------------------------ steps
    def _forward(self, xs, training):
        """Runs the model as one outermost call: `self.losses` then holds this call's
        activity penalties (and the weight penalties)."""
        self._clear_losses()
        with outer_call():
            outs = self.call(xs if len(xs) > 1 else xs[0], training=training)
        return to_list(outs)

    def _batch_logs(self, total, per_output, y_pred, ys, sws):
        """(name, sum, count) triples for one batch: losses weighted by batch size."""
        n = len(ys[0]) if ys else 0
        out = [("loss", total.data * n, n)]
        if len(self.output_names) > 1:
            for name, loss in zip(self.output_names, per_output):
                if loss is not None:
                    out.append(("%s_loss" % name, loss.data * n, n))
        if not self._metrics_resolved:
            self._metrics.resolve([p.shape for p in y_pred], ys)
            self._metrics_resolved = True
        out += self._metrics.batch_values(ys, y_pred, sws)
        return out

    def _prepare_targets(self, ys):
        xp = _xp.xp()
        out = []
        for y, shape in zip(ys, self._output_shapes()):
            # tf.keras: targets one rank short of an output whose last axis is 1 get that
            # axis ((N,) labels for a (N, 1) sigmoid output); sparse labels stay as they are
            if y.ndim == len(shape) - 1 and shape[-1] == 1:
                y = y[..., None]
            out.append(xp.asarray(y))
        return out

    def _output_shapes(self):
        return [t.shape for t in self.outputs]

    def _total_loss(self, y_pred, ys, sws):
        """The compiled loss plus `self.losses` (weight and activity penalties), as
        tf.keras adds them in training and in evaluation."""
        total, per_output = self._losses(ys, y_pred, sws)
        for penalty in self.losses:
            total = total + penalty
        return total, per_output

    def _train_step(self, xs, ys, sws):
        """One optimizer update on a batch; returns the batch's (name, sum, count) logs."""
        xp = _xp.xp()
        xs = [Tensor(xp.asarray(x)) for x in xs]
        ys = self._prepare_targets(ys)
        sws = [None if w is None else xp.asarray(w) for w in sws]
        if self._collected_trainable_weights is None:
            self._collected_trainable_weights = self.trainable_weights
        if getattr(self, "_trainable_check_pending", False):
            self._check_trainable_weights_consistency()
        weights = self._collected_trainable_weights
        with Tape() as tape:
            y_pred = self._forward(xs, training=True)
            total, per_output = self._total_loss(y_pred, ys, sws)
        grads = tape.gradient(total, weights)
        self.optimizer.apply_gradients(zip(grads, weights))
        return self._batch_logs(total, per_output, y_pred, ys, sws)

    def _check_trainable_weights_consistency(self):
        """Keras 2.2's warning when the user's `trainable` flags give other trainable
        weights than those collected at compile (which still train). Checked at the first
        step of each fit / train_on_batch; warned at most once per compile."""
        self._trainable_check_pending = False
        if self._trainable_discrepancy_warned:
            return
        user_state = getattr(self, "_user_trainable_state", None)
        current = (self.trainable_weights if user_state is None else
                   training_utils.trainable_weights_in_state(self, user_state))
        if {id(w) for w in current} != {id(w) for w in self._collected_trainable_weights}:
            self._trainable_discrepancy_warned = True
            warnings.warn(training_utils.TRAINABLE_DISCREPANCY_WARNING, UserWarning,
                          stacklevel=2)

    def _test_step(self, xs, ys, sws):
        xp = _xp.xp()
        xs = [Tensor(xp.asarray(x)) for x in xs]
        ys = self._prepare_targets(ys)
        sws = [None if w is None else xp.asarray(w) for w in sws]
        y_pred = self._forward(xs, training=False)
        total, per_output = self._total_loss(y_pred, ys, sws)
        return self._batch_logs(total, per_output, y_pred, ys, sws)

    def _predict_step(self, xs):
        xp = _xp.xp()
        outs = self._forward([Tensor(xp.asarray(x)) for x in xs], training=False)
        return [_xp.asnumpy(o.data) for o in outs]

    # ------------------------------------------------------------ data
    def _standardize(self, x, y=None, sample_weight=None, class_weight=None):
        xs = training_utils.standardize_arrays(
            x, self.input_names, [t.shape for t in self.inputs], "input", model_name=self.name)
        if xs is None:
            raise ValueError("No input data provided: pass `x`.")
        xs = [training_utils.expand_trailing(a, t.shape) for a, t in zip(xs, self.inputs)]
        ys = training_utils.standardize_arrays(y, self.output_names, None, "target")
        sws = training_utils.standardize_sample_weights(sample_weight, self.output_names)
        training_utils.check_cardinality(xs, ys, sws)
        if ys is not None:
            sws = training_utils.check_sample_weight_shapes(sws, ys, self._output_shapes(),
                                                            self.output_names)
        if ys is not None and class_weight is not None:
            per_out = training_utils.standardize_class_weights(class_weight, self.output_names)
            cws = [training_utils.class_weights_to_sample_weights(yy, cw, name)
                   for yy, cw, name in zip(ys, per_out, self.output_names)]
            sws = [c if s is None else (s if c is None else _combine(s, c))
                   for s, c in zip(sws, cws)]
        return xs, ys, sws

    # ------------------------------------------------------------ public API
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False):
        """Trains for `epochs` epochs; returns a History (see Keras's Model.fit)."""
        self._check_compiled("training")
        with training_utils.RespectCompiledTrainableState(self):
            return training_loops.fit(
                self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                callbacks=callbacks, validation_split=validation_split,
                validation_data=validation_data, shuffle=shuffle, class_weight=class_weight,
                sample_weight=sample_weight, initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
                validation_batch_size=validation_batch_size, validation_freq=validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the data: a scalar, or a list in `metrics_names` order."""
        self._check_compiled("evaluating")
        logs = training_loops.evaluate(self, x, y, batch_size=batch_size, verbose=verbose,
                                       sample_weight=sample_weight, steps=steps,
                                       callbacks=callbacks)
        return _format_results(logs, self.metrics_names, return_dict)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, **kwargs):
        """Model outputs for `x`, batch by batch, as numpy arrays."""
        return training_loops.predict(self, x, batch_size=batch_size, verbose=verbose,
                                      steps=steps, callbacks=callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One update on one batch; returns the loss (and metrics) of that batch."""
        self._check_compiled("training")
        xs, ys, sws = self._standardize(x, y, sample_weight, class_weight)
        if ys is None:
            raise ValueError("train_on_batch needs targets `y`.")
        with training_utils.RespectCompiledTrainableState(self):
            logs = training_loops.reduce_logs(self._train_step(xs, ys, sws))
        return _format_results(logs, self.metrics_names, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """Loss (and metrics) of one batch, without updating."""
        self._check_compiled("evaluating")
        xs, ys, sws = self._standardize(x, y, sample_weight)
        if ys is None:
            raise ValueError("test_on_batch needs targets `y`.")
        logs = training_loops.reduce_logs(self._test_step(xs, ys, sws))
        return _format_results(logs, self.metrics_names, return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch."""
        xs, _, _ = self._standardize(x)
        outs = self._predict_step(xs)
        return outs if len(outs) > 1 else outs[0]

    # Keras 2.2 names
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2.2's fit on a generator or Sequence (same as `fit`)."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, class_weight=class_weight,
                        shuffle=shuffle, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2.2's evaluate on a generator or Sequence."""
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2.2's predict on a generator or Sequence."""
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints Keras's table of layers, output shapes and parameter counts."""
        from ..utils.layer_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None,
             **kwargs):
        """Saves the whole model in ONE file: architecture, weights, training
        configuration (loss, metrics, optimizer) and optimizer state.

        Keras's HDF5 layout (what tf-keras writes for '.h5'), or a `.keras` archive when
        the path ends in '.keras' (or `save_format='keras'`). The file is written to a
        temporary name and renamed when complete. `gkeras.models.load_model(filepath)`
        returns a compiled model that resumes training where this one stopped.
        """
        from ..saving.saving_api import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   save_format=save_format, **kwargs)

    def save_weights(self, filepath, overwrite=True, save_format=None):
        """Writes all layer weights to an HDF5 file in Keras's layout (atomically).

        gkeras always writes HDF5, whatever the suffix; TensorFlow checkpoints
        (`save_format='tf'`) do not exist here.
        """
        if save_format not in (None, "h5", "hdf5"):
            raise ValueError("save_weights: unsupported save_format %r; gkeras writes Keras's "
                             "HDF5 format (save_format='h5')." % (save_format,))
        from ..saving import hdf5_format
        hdf5_format.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Loads weights saved by `save_weights` (or a whole-model `.h5` file).

        Args:
            by_name: load only layers whose names match a saved layer.
            skip_mismatch: with `by_name`, skip (with a warning) layers whose weight
                count or shapes differ instead of raising.
        """
        from ..saving import hdf5_format
        if not self.built:
            raise ValueError("Unable to load weights into an unbuilt model: build it first "
                             "(give the first layer an `input_shape`, or call `build`).")
        hdf5_format.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The model's architecture as a Keras JSON string."""
        import json
        from ..saving.serialization import model_to_dict
        return json.dumps(model_to_dict(self), **kwargs)

    def to_yaml(self, **kwargs):
        raise RuntimeError("Method `model.to_yaml()` has been removed from Keras and gkeras "
                           "because YAML loading can execute arbitrary code. Use "
                           "`model.to_json()` instead.")


def _combine(sample_weight, class_sample_weight):
    """sample_weight * class weight (per-timestep weights times each sample's class)."""
    while class_sample_weight.ndim < sample_weight.ndim:
        class_sample_weight = class_sample_weight[..., None]
    return sample_weight * class_sample_weight


def _format_results(logs, names, return_dict):
    if return_dict:
        return {k: logs[k] for k in names if k in logs}
    values = [logs[k] for k in names if k in logs]
    return values[0] if len(values) == 1 else values
