"""BatchNormalization with tf.keras 2's training, inference and freezing behaviour."""
from .. import constraints, initializers, ops, regularizers
from ..backend import xp as _xp
from ..engine.base_layer import InputSpec, Layer, stateful_updates_allowed
from ..ops.normalization import (batch_norm_train, current_sync_group,
                                 sync_batch_norm_train)
from ..utils.generic_utils import serialize_keras_object


class BatchNormalization(Layer):
    """Normalises activations per channel: batch statistics in training, moving ones otherwise.

    Args:
        axis: channel axis (or list of axes) kept; every other axis is reduced.
        momentum: moving-average momentum (0.99). epsilon: added to the variance (1e-3).
        center, scale: learn beta / gamma.
        *_initializer, *_regularizer, *_constraint: as in Keras.

    Moving statistics change only in training-mode calls: the training steps of
    `fit`/`train_on_batch` (and any step under a recording tape) and direct calls
    `layer(x, training=True)` / `model(x, training=True)`, as in tf.keras; never in
    predict, evaluate or `K.function` (which, as in Keras 2, runs no updates). As tf.keras's
    fused kernel does, 4-D inputs normalised over axis 1 or 3 update the moving
    variance with the unbiased batch variance; other inputs with the biased one.
    With `trainable=False` the layer runs in inference mode, also inside `fit`.
    `synchronized=True` (tf.keras 2.12's flag; `SyncBatchNormalization` is the same)
    computes the training statistics over the whole batch of every data-parallel
    replica (see `SyncBatchNormalization`).

    Input shape: arbitrary. Output shape: same as input.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        for unsupported in ("renorm", "virtual_batch_size", "adjustment"):
            if kwargs.pop(unsupported, None):
                raise ValueError("BatchNormalization: `%s` is not supported by gkeras."
                                 % unsupported)
        kwargs.pop("fused", None)
        kwargs.pop("renorm_clipping", None)
        kwargs.pop("renorm_momentum", None)
        synchronized = bool(kwargs.pop("synchronized", False))
        super().__init__(**kwargs)
        self.synchronized = synchronized
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError("BatchNormalization %r: invalid axis %d for inputs of rank %d"
                                 % (self.name, a, ndim))
        axes = sorted(a % ndim for a in axes)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError("Axis %d of input tensor should have a defined dimension but "
                                 "the layer received an input with shape %s."
                                 % (a, tuple(input_shape)))
        self.axis = axes
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in axes})
        if len(axes) == 1:
            shape = (input_shape[axes[0]],)
        else:
            # as tf.keras: several axes keep the input's rank, with 1 on reduced axes
            shape = tuple(input_shape[i] if i in axes else 1 for i in range(ndim))
        self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", shape,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self._fused_like = ndim == 4 and axes in ([1], [3])
        self.built = True

    def _params(self, shape):
        xp = _xp.xp()
        gamma = self.gamma if self.scale else xp.ones(shape, dtype=self.dtype)
        beta = self.beta if self.center else xp.zeros(shape, dtype=self.dtype)
        return gamma, beta

    def call(self, inputs, training=None):
        shape = self.moving_mean.shape
        gamma, beta = self._params(shape)
        if training and self.trainable:
            count = None
            if self.synchronized:
                y, mean, var, count = sync_batch_norm_train(
                    inputs, gamma, beta, self.axis, self.epsilon, current_sync_group())
            else:
                y, mean, var = batch_norm_train(inputs, gamma, beta, self.axis,
                                                self.epsilon)
            if stateful_updates_allowed():
                self._update_moving(inputs.shape, mean, var, count)
            return y
        bshape = tuple(inputs.shape[i] if i in self.axis else 1 for i in range(inputs.ndim))
        inv = ops.reshape(ops.divide(gamma, ops.sqrt(self.moving_variance + self.epsilon)),
                          bshape)
        shift = ops.reshape(beta, bshape) - ops.reshape(self.moving_mean, bshape) * inv
        return inputs * inv + shift

    def _update_moving(self, input_shape, mean, var, count=None):
        if self._fused_like:
            n = 1
            for i, d in enumerate(input_shape):
                if i not in self.axis:
                    n *= d
            if count is not None:  # synchronised: the whole batch's count
                n = count
            var = var * (n / max(n - 1, 1))
        decay = 1.0 - self.momentum  # tf.keras: moving -= (moving - batch) * (1 - momentum)
        self.moving_mean.data = self.moving_mean.data - (self.moving_mean.data - mean) * decay
        self.moving_variance.data = self.moving_variance.data - (
            self.moving_variance.data - var) * decay

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "moving_mean_initializer": serialize_keras_object(self.moving_mean_initializer),
            "moving_variance_initializer": serialize_keras_object(
                self.moving_variance_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint)})
        if self.synchronized and type(self) is BatchNormalization:
            cfg["synchronized"] = True
        return cfg


class SyncBatchNormalization(BatchNormalization):
    """BatchNormalization whose training statistics span every data-parallel replica
    (tf.keras's `tf.keras.layers.experimental.SyncBatchNormalization`; same arguments and
    config as BatchNormalization; `BatchNormalization(synchronized=True)` is the same).

    Under `multi_gpu_model` / `DataParallelModel` each training step normalises every
    replica's slice with the mean and variance of the WHOLE batch: per step the layer
    all-reduces (sum x, count), then sum (x - mean)^2 over the replicas in its forward pass,
    and (sum dy*gamma, sum dy*gamma*xhat) in its backward pass; so outputs, gradients, the
    moving statistics (updated on the global count) and the trained weights equal
    single-device BatchNormalization on the whole batch, for any replica count and uneven
    slices. Outside data parallelism (one replica) it is exactly BatchNormalization.
    Inference uses the moving statistics, as BatchNormalization.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 **kwargs):
        kwargs.pop("synchronized", None)
        super().__init__(axis=axis, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, synchronized=True, **kwargs)
