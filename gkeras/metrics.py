"""Keras metrics by name: functions of (y_true, y_pred) giving per-sample values.

Metrics run outside the tape on raw arrays of the active array module; the
training loop averages them over all samples of an epoch, as tf.keras's
stateful metrics do. Any loss name is also a metric.
"""
from . import losses
from .autograd.tensor import Tensor, unwrap
from .backend import xp as _xp
from .utils.generic_utils import deserialize_keras_object


def _arrays(y_true, y_pred):
    return unwrap(y_true), unwrap(y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _arrays(y_true, y_pred)
    xp = _xp.get_array_module(y_pred)
    return xp.mean((y_true == (y_pred > threshold)).astype(y_pred.dtype), axis=-1)


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(y_pred.dtype)


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true.astype(y_pred.dtype) == y_pred.argmax(axis=-1)).astype(y_pred.dtype)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _arrays(y_true, y_pred)
    return _in_top_k(y_pred, y_true.argmax(axis=-1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _arrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return _in_top_k(y_pred, y_true.astype("int64"), k)


def _in_top_k(y_pred, labels, k):
    """1 where the label's score is among the k largest (ties count as in, as TF)."""
    xp = _xp.get_array_module(y_pred)
    target = xp.take_along_axis(y_pred, labels[..., None], axis=-1)
    higher = (y_pred > target).sum(axis=-1)
    return (higher < k).astype(y_pred.dtype)


def _loss_metric(fn):
    def metric(y_true, y_pred):
        value = fn(y_true, y_pred)
        return value.data if isinstance(value, Tensor) else value
    metric.__name__ = fn.__name__
    metric.__doc__ = "The `%s` loss used as a metric." % fn.__name__
    return metric


mean_squared_error = mse = MSE = _loss_metric(losses.mean_squared_error)
mean_absolute_error = mae = MAE = _loss_metric(losses.mean_absolute_error)
mean_absolute_percentage_error = mape = MAPE = _loss_metric(losses.mean_absolute_percentage_error)
mean_squared_logarithmic_error = msle = MSLE = _loss_metric(
    losses.mean_squared_logarithmic_error)
hinge = _loss_metric(losses.hinge)
squared_hinge = _loss_metric(losses.squared_hinge)
categorical_hinge = _loss_metric(losses.categorical_hinge)
logcosh = log_cosh = _loss_metric(losses.log_cosh)
kl_divergence = kld = KLD = kullback_leibler_divergence = _loss_metric(losses.kl_divergence)
poisson = _loss_metric(losses.poisson)
cosine_similarity = cosine_proximity = _loss_metric(losses.cosine_similarity)
binary_crossentropy = _loss_metric(losses.binary_crossentropy)
categorical_crossentropy = _loss_metric(losses.categorical_crossentropy)
sparse_categorical_crossentropy = _loss_metric(losses.sparse_categorical_crossentropy)

_FUNCTIONS = {name: obj for name, obj in globals().items()
              if callable(obj) and not name.startswith("_")
              and name not in ("Tensor", "unwrap", "deserialize_keras_object")}


def accuracy_for(output_shape, target_ndim, target_last_dim):
    """Keras's choice for 'accuracy'/'acc' from the output and target shapes."""
    if output_shape[-1] == 1:
        return binary_accuracy
    if target_ndim < len(output_shape) or (target_last_dim == 1 and output_shape[-1] > 1):
        return sparse_categorical_accuracy
    return categorical_accuracy


def deserialize(name, custom_objects=None):
    return deserialize_keras_object(name, module_objects=_FUNCTIONS,
                                    custom_objects=custom_objects,
                                    printable_module_name="metric function")


def get(identifier):
    """A metric function from a name or a callable.

    Raises:
        ValueError: for unknown names.
    """
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret metric function identifier: %r" % (identifier,))
