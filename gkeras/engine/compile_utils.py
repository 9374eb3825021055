"""What `compile` sets up: per-output losses, loss weights and metrics."""
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..autograd.tensor import Tensor, as_tensor, unwrap
from ..backend import xp as _xp


def per_output(value, output_names, what, default=None):
    """Expands a single value, list or dict into one entry per output."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError("Unknown entries in %s dictionary: %s. Only expected the output "
                             "names %s" % (what, unknown, output_names))
        return [value.get(n, default) for n in output_names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != len(output_names):
            raise ValueError("When passing a list as %s, it should have one entry per model "
                             "output. The model has %d outputs, but you passed %s=%r"
                             % (what, len(output_names), what, value))
        return list(value)
    return [value] * len(output_names)


class LossesContainer:
    """The compiled losses: computes the total loss and each output's loss on Tensors."""

    def __init__(self, loss, loss_weights, output_names):
        if loss is None:
            raise ValueError("compile() needs a `loss` (e.g. loss='categorical_crossentropy').")
        self.output_names = output_names
        self.fns = [losses_module.get(entry) for entry in per_output(loss, output_names, "loss")]
        weights = per_output(loss_weights if loss_weights is not None else 1.0,
                             output_names, "loss_weights", default=1.0)
        self.weights = [float(w) for w in weights]
        self.names = [_name(fn) for fn in self.fns]

    def per_sample(self, i, y_true, y_pred):
        fn = self.fns[i]
        if isinstance(fn, losses_module.Loss):
            return fn.per_sample(y_true, y_pred)
        return fn(y_true, y_pred)

    def __call__(self, y_true, y_pred, sample_weights):
        """Returns (total, [per-output scalar Tensors]) with tf.keras's reduction.

        Each output's loss is sum(per-sample loss * weight) / number of elements.
        """
        from .. import ops
        total, out = None, []
        for i, (yt, yp, sw) in enumerate(zip(y_true, y_pred, sample_weights)):
            if self.fns[i] is None:
                out.append(None)
                continue
            values = as_tensor(self.per_sample(i, yt, yp))
            if sw is not None:
                sw = _broadcastable(sw, values.ndim)
                values = values * sw
            loss = ops.mean(values)
            out.append(loss)
            weighted = loss * self.weights[i] if self.weights[i] != 1.0 else loss
            total = weighted if total is None else total + weighted
        return total, out


def _broadcastable(sw, ndim):
    xp = _xp.xp()
    sw = xp.asarray(sw)
    while sw.ndim < ndim:
        sw = sw[..., None]
    return Tensor(sw)


def _name(fn):
    if fn is None:
        return None
    if isinstance(fn, losses_module.Loss):
        return fn.name
    return getattr(fn, "__name__", type(fn).__name__)


class MetricsContainer:
    """The compiled metrics per output, with Keras's names and epoch averaging."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = output_names
        self.entries = []  # (output index, display name, fn or 'accuracy'-style name, weighted)
        multi = len(output_names) > 1
        per_kind = [self._per_output(metrics), self._per_output(weighted_metrics)]
        taken = set()
        # tf.keras's order and names: per output, its metrics then its weighted metrics; a
        # weighted metric is prefixed 'weighted_' only when its name is already taken
        for i, output in enumerate(output_names):
            for weighted in (False, True):
                for m in per_kind[weighted][i]:
                    base = _metric_name(m)
                    prefix = output + "_" if multi else ""
                    name = prefix + base
                    if weighted and name in taken:
                        name = prefix + "weighted_" + base
                    if name in taken:
                        raise ValueError("Found two metrics with the same name: %s. All the "
                                         "metrics added to the model need to have unique "
                                         "names." % (name,))
                    taken.add(name)
                    # 'accuracy' is resolved from the data's shapes on the first batch
                    fn = m if m in ("accuracy", "acc") else metrics_module.get(m)
                    self.entries.append((i, name, fn, weighted))

    def _per_output(self, spec):
        """The metrics of each output, from a list, a list of lists or a dict."""
        output_names = self.output_names
        if spec is None:
            return [[] for _ in output_names]
        if isinstance(spec, dict):
            per_out = per_output(spec, output_names, "metrics", default=[])
        elif isinstance(spec, (list, tuple)) and spec and all(
                isinstance(m, (list, tuple)) for m in spec):
            if len(spec) != len(output_names):
                raise ValueError("When passing a list of lists as metrics, it should have "
                                 "one entry per output (%d), got %d"
                                 % (len(output_names), len(spec)))
            per_out = list(spec)
        else:
            per_out = [spec] * len(output_names)
        return [[m for m in (ms if isinstance(ms, (list, tuple)) else [ms]) if m is not None]
                for ms in per_out]

    @property
    def names(self):
        return [e[1] for e in self.entries]

    def resolve(self, output_shapes, targets):
        """Turns 'accuracy' into the binary/categorical/sparse variant from the shapes."""
        resolved = []
        for i, name, fn, weighted in self.entries:
            if isinstance(fn, str):
                t = targets[i]
                fn = metrics_module.accuracy_for(output_shapes[i], t.ndim, t.shape[-1])
            resolved.append((i, name, fn, weighted))
        self.entries = resolved

    def batch_values(self, y_true, y_pred, sample_weights):
        """(name, sum of values, weight total) per metric for one batch.

        Metric functions get Tensors, as Keras's get tensors (a softmax or sigmoid
        output keeps its logits, which tf.keras's cross-entropies then use).
        """
        out = []
        for i, name, fn, weighted in self.entries:
            yt, yp = as_tensor(y_true[i]), as_tensor(y_pred[i])
            sw = sample_weights[i] if weighted else None
            if isinstance(fn, metrics_module.MeanMetricWrapper):
                values = fn.per_sample(yt, yp)
            elif isinstance(fn, metrics_module.Metric):
                # any other stateful metric: its result on the batch, weighted by batch size
                fn.reset_state()
                fn.update_state(yt, yp, sample_weight=sw)
                n = len(y_true[i])
                out.append((name, fn.result() * n, n))
                continue
            else:
                values = unwrap(fn(yt, yp))
            xp = _xp.get_array_module(values)
            values = xp.asarray(values)
            if sw is not None:
                sw = xp.asarray(sw, dtype=values.dtype)
                while sw.ndim < values.ndim:
                    sw = sw[..., None]
                sw = xp.broadcast_to(sw, values.shape)
                out.append((name, (values * sw).sum(), sw.sum()))
            else:
                out.append((name, values.sum(), values.size))
        return out


def _metric_name(m):
    if isinstance(m, str):
        return m
    return getattr(m, "name", None) or getattr(m, "__name__", type(m).__name__)
