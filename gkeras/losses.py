"""Keras loss functions by name: each maps (y_true, y_pred) to per-sample losses.

Definitions follow tf.keras 2 (e.g. probability cross-entropies clip to
[epsilon, 1 - epsilon]; a softmax or sigmoid output is turned back into its
logits for a stable cross-entropy, as tf.keras does).
"""
import math

from . import ops
from .autograd.tensor import as_tensor
from .backend import config
from .utils.generic_utils import deserialize_keras_object


def _pair(y_true, y_pred):
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true)
    if y_true.dtype != y_pred.dtype and y_pred.dtype.kind == "f":
        y_true = ops.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), config.epsilon()))
    return ops.mean(diff, axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    first = ops.log(ops.maximum(y_pred, eps) + 1.0)
    second = ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def _signed_labels(y_true):
    """Maps {0, 1} labels to {-1, 1}, as tf.keras's hinge losses do."""
    data = y_true.data
    if ((data == 0) | (data == 1)).all():
        return y_true * 2.0 - 1.0
    return y_true


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _signed_labels(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _signed_labels(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


def log_cosh(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - math.log(2.0), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _pair(y_true, y_pred)
    err = ops.abs(y_pred - y_true)
    quadratic = ops.minimum(err, delta)
    linear = err - quadratic
    return ops.mean(ops.square(quadratic) * 0.5 + linear * delta, axis=-1)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


def _l2_normalize(x, axis=-1):
    norm2 = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(norm2, 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Mean over the last axis of the elementwise binary cross-entropy."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(binary_crossentropy_elementwise(y_true, y_pred, from_logits), axis=-1)


def binary_crossentropy_elementwise(target, output, from_logits=False):
    """K.binary_crossentropy: elementwise, from probabilities or logits."""
    if not from_logits and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        return ops.sigmoid_cross_entropy(output, target)
    eps = config.epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    bce = target * ops.log(output + eps) + (1.0 - target) * ops.log(1.0 - output + eps)
    return -bce


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(y_pred)) over `axis`, from probabilities or logits."""
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("categorical_crossentropy: targets of shape %s do not match outputs "
                         "of shape %s (integer labels need "
                         "'sparse_categorical_crossentropy')" % (y_true.shape, y_pred.shape))
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if not from_logits and y_pred._keras_logits is not None:
        y_pred, from_logits = y_pred._keras_logits, True
    if from_logits:
        return ops.softmax_cross_entropy(y_pred, y_true, axis=axis)
    eps = config.epsilon()
    y_pred = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    y_pred = ops.clip(y_pred, eps, 1.0 - eps)
    return -ops.sum(y_true * ops.log(y_pred), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Cross-entropy with integer class labels."""
    y_pred = as_tensor(y_pred)
    labels = as_tensor(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = ops.reshape(labels, labels.shape[:-1])
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError("sparse_categorical_crossentropy: labels of shape %s do not match "
                         "outputs of shape %s (expected labels of shape %s)"
                         % (labels.shape, y_pred.shape, y_pred.shape[:-1]))
    if not from_logits and y_pred._keras_logits is not None:
        y_pred, from_logits = y_pred._keras_logits, True
    if not from_logits:
        eps = config.epsilon()
        y_pred = ops.log(ops.clip(y_pred, eps, 1.0 - eps))
    return ops.sparse_softmax_cross_entropy(y_pred, labels)


class Loss:
    """A loss object: `__call__(y_true, y_pred, sample_weight)` returns the scalar.

    Reduction is tf.keras's default: sum of weighted per-sample losses divided
    by the number of samples.
    """

    def __init__(self, fn, name=None, **kwargs):
        self.fn, self.kwargs = fn, kwargs
        self.name = name or fn.__name__

    def per_sample(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.per_sample(y_true, y_pred)
        if sample_weight is not None:
            losses = losses * _match_weights(as_tensor(sample_weight), losses)
        return ops.mean(losses)

    def get_config(self):
        return dict(self.kwargs, name=self.name)


def _match_weights(sample_weight, losses):
    """Casts `sample_weight` to the losses' dtype and aligns its rank, as tf.keras does.

    A trailing length-1 axis is squeezed (or one is added), so (N, 1) weights on
    (N,) losses do not broadcast to (N, N).
    """
    if sample_weight.dtype != losses.dtype:
        sample_weight = ops.cast(sample_weight, losses.dtype)
    if sample_weight.ndim == losses.ndim + 1 and sample_weight.shape[-1] == 1:
        return ops.squeeze(sample_weight, -1)
    if sample_weight.ndim == losses.ndim - 1:
        return ops.expand_dims(sample_weight, -1)
    return sample_weight


def _loss_class(fn, default_name, cls_name=None, **defaults):
    def __init__(self, name=default_name, reduction="auto", **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError("%s got unexpected arguments %s" % (type(self).__name__,
                                                                 sorted(unknown)))
        Loss.__init__(self, fn, name=name, **dict(defaults, **kwargs))
    # the class name is what `serialize` writes and `deserialize` looks up
    cls_name = cls_name or "".join(p.capitalize() for p in default_name.split("_"))
    return type(cls_name, (Loss,), {"__init__": __init__,
                                    "__doc__": "Loss object for `%s`." % fn.__name__})


MeanSquaredError = _loss_class(mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class(mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class(mean_absolute_percentage_error,
                                          "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_class(mean_squared_logarithmic_error,
                                          "mean_squared_logarithmic_error")
BinaryCrossentropy = _loss_class(binary_crossentropy, "binary_crossentropy",
                                 from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _loss_class(categorical_crossentropy, "categorical_crossentropy",
                                      from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _loss_class(sparse_categorical_crossentropy,
                                            "sparse_categorical_crossentropy",
                                            from_logits=False)
Hinge = _loss_class(hinge, "hinge")
SquaredHinge = _loss_class(squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class(categorical_hinge, "categorical_hinge")
LogCosh = _loss_class(log_cosh, "log_cosh")
Huber = _loss_class(huber, "huber_loss", "Huber", delta=1.0)
KLDivergence = _loss_class(kl_divergence, "kl_divergence", "KLDivergence")
Poisson = _loss_class(poisson, "poisson")
CosineSimilarity = _loss_class(cosine_similarity, "cosine_similarity", axis=-1)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber
cosine_proximity = cosine_similarity

_FUNCTIONS = {name: obj for name, obj in globals().items()
              if callable(obj) and not name.startswith("_") and name not in (
                  "Loss", "as_tensor", "deserialize_keras_object",
                  "binary_crossentropy_elementwise")}


def serialize(loss):
    """The loss's name (functions) or config (Loss objects)."""
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return loss.__name__


def deserialize(name, custom_objects=None):
    return deserialize_keras_object(name, module_objects=_FUNCTIONS,
                                    custom_objects=custom_objects,
                                    printable_module_name="loss function")


def get(identifier):
    """A loss callable from a name, a config dict, a Loss object or a function.

    Raises:
        ValueError: for unknown names, listing the known ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret loss function identifier: %r (expected a name "
                     "such as 'categorical_crossentropy', or a callable)" % (identifier,))
