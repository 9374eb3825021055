"""Keras metrics by name: functions of (y_true, y_pred) giving per-sample values.

Metrics run outside the tape on raw arrays of the active array module; the
training loop averages them over all samples of an epoch, as tf.keras's
stateful metrics do. Any loss name is also a metric.
"""
import numpy

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
    def metric(y_true, y_pred, **kwargs):
        value = fn(y_true, y_pred, **kwargs)
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



# ---------------------------------------------------------------- metric objects (tf.keras)
class Metric:
    """A stateful metric: `update_state` accumulates, `result` reads, `reset_state` clears.

    Calling the object updates it with one batch and returns the running result,
    as tf.keras's metric objects do.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype or "float32"
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    reset_states = reset_state

    def result(self):
        return float(self.total / self.count) if self.count else 0.0

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanMetricWrapper(Metric):
    """The (weighted) mean over samples of `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def per_sample(self, y_true, y_pred):
        """The per-sample values the training loop averages (Tensors in, array out)."""
        return unwrap(self._fn(y_true, y_pred, **self._fn_kwargs))

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = _xp.asnumpy(self.per_sample(y_true, y_pred)).astype("float64")
        if sample_weight is None:
            self.total += values.sum()
            self.count += values.size
            return
        sw = _xp.asnumpy(unwrap(sample_weight)).astype("float64")
        while sw.ndim < values.ndim:
            sw = sw[..., None]
        sw = numpy.broadcast_to(sw, values.shape)
        self.total += (values * sw).sum()
        self.count += sw.sum()

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._fn_kwargs)
        return cfg


def _snake(name):
    out = ""
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out += "_"
        out += c.lower()
    return out


def _wrapper(fn, default_name, doc, **defaults):
    """A MeanMetricWrapper subclass for `fn` with keyword arguments `defaults`."""
    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError("%s got unexpected keyword argument(s) %s"
                            % (type(self).__name__, sorted(unknown)))
        fn_kwargs = dict(defaults)
        fn_kwargs.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **fn_kwargs)

    def get_config(self):
        return MeanMetricWrapper.get_config(self)

    return {"__init__": __init__, "get_config": get_config, "__doc__": doc}


def _metric_class(cls_name, fn, default_name, **defaults):
    doc = "tf.keras's `%s` metric object: the mean of `%s` over samples." % (
        cls_name, fn.__name__)
    return type(cls_name, (MeanMetricWrapper,), _wrapper(fn, default_name, doc, **defaults))


BinaryAccuracy = _metric_class("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                               threshold=0.5)
CategoricalAccuracy = _metric_class("CategoricalAccuracy", categorical_accuracy,
                                    "categorical_accuracy")
SparseCategoricalAccuracy = _metric_class("SparseCategoricalAccuracy",
                                          sparse_categorical_accuracy,
                                          "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _metric_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                        "top_k_categorical_accuracy", k=5)
SparseTopKCategoricalAccuracy = _metric_class("SparseTopKCategoricalAccuracy",
                                              sparse_top_k_categorical_accuracy,
                                              "sparse_top_k_categorical_accuracy", k=5)
MeanSquaredError = _metric_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _metric_class("MeanAbsoluteError", mean_absolute_error,
                                  "mean_absolute_error")
MeanAbsolutePercentageError = _metric_class("MeanAbsolutePercentageError",
                                            mean_absolute_percentage_error,
                                            "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _metric_class("MeanSquaredLogarithmicError",
                                            mean_squared_logarithmic_error,
                                            "mean_squared_logarithmic_error")
Hinge = _metric_class("Hinge", hinge, "hinge")
SquaredHinge = _metric_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _metric_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _metric_class("KLDivergence", kl_divergence, "kullback_leibler_divergence")
Poisson = _metric_class("Poisson", poisson, "poisson")
LogCoshError = _metric_class("LogCoshError", logcosh, "logcosh")
BinaryCrossentropy = _metric_class("BinaryCrossentropy", binary_crossentropy,
                                   "binary_crossentropy", from_logits=False,
                                   label_smoothing=0.0)
CategoricalCrossentropy = _metric_class("CategoricalCrossentropy", categorical_crossentropy,
                                        "categorical_crossentropy", from_logits=False,
                                        label_smoothing=0.0)
SparseCategoricalCrossentropy = _metric_class("SparseCategoricalCrossentropy",
                                              sparse_categorical_crossentropy,
                                              "sparse_categorical_crossentropy",
                                              from_logits=False)

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
    """A metric function (or metric object) from a name, a config dict or a callable.

    Raises:
        ValueError: for unknown names.
    """
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret metric function identifier: %r" % (identifier,))
