"""Standardising user data for fit/evaluate/predict: lists, checks, splits, weights."""
import numpy

from ..backend import config


def standardize_arrays(data, names, shapes, kind, model_name=None):
    """Turns x or y (array, list or dict) into a list aligned with `names`.

    Args:
        data: what the user passed.
        names: the model's input (or output) names.
        shapes: the expected shapes (batch axis None), for error messages and checks.
        kind: 'input' or 'target', for messages.
        model_name: named in input-shape errors, as tf.keras does.

    Raises:
        ValueError: on a wrong count, an unknown dict key or a wrong shape.
    """
    if data is None:
        return None
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError("Unknown entries in %s dictionary: %s. Only expected the following "
                             "keys: %s" % (kind, unknown, names))
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError("No data provided for %r. Need data for each key in: %s"
                             % (missing[0], names))
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and len(names) > 1:
        arrays = list(data)
    elif isinstance(data, (list, tuple)) and len(data) == 1 and _is_array_like(data[0]):
        arrays = list(data)
    else:
        arrays = [data]
    if len(arrays) != len(names):
        raise ValueError(
            "The model expects %d %s array(s) (%s), but it received %d."
            % (len(names), kind, ", ".join(names), len(arrays)))
    out = []
    for i, (name, shape, a) in enumerate(zip(names, shapes or [None] * len(names), arrays)):
        a = _to_numpy(a, name, kind)
        if kind == "input" and shape is not None:
            _check_shape(a, shape, i, model_name or name)
        out.append(a)
    return out


def _is_array_like(a):
    return hasattr(a, "shape") or isinstance(a, (list, tuple))


def _to_numpy(a, name, kind):
    from ..backend import xp as _xp
    if hasattr(a, "shape") and not isinstance(a, numpy.ndarray):
        a = _xp.asnumpy(a.data if hasattr(a, "data") and hasattr(a.data, "shape") else a)
    a = numpy.asarray(a)
    if a.dtype == object:
        raise ValueError("Could not convert %s data for %r to a numeric array (ragged or "
                         "mixed-type data?)" % (kind, name))
    if a.ndim == 0:
        raise ValueError("%s data for %r must be an array with a batch axis, got a scalar."
                         % (kind.capitalize(), name))
    if a.dtype.kind == "f" and a.dtype.name != config.floatx():
        a = a.astype(config.floatx())
    return a


def _check_shape(a, shape, index, model_name):
    """tf.keras's check of input `index` against the model's input shape.

    Raises:
        ValueError: 'Input 0 of layer "sequential" is incompatible with the layer:
            expected shape=(None, 4), found shape=(None, 5)' (the batch axis shown as None).
    """
    if a.ndim == len(shape) - 1 and len(shape) >= 2 and shape[-1] == 1:
        return  # Keras expands a missing trailing 1 for inputs
    if a.ndim != len(shape) or any(e is not None and e != s for e, s in zip(shape[1:],
                                                                           a.shape[1:])):
        raise ValueError(
            'Input %d of layer "%s" is incompatible with the layer: expected shape=%s, '
            "found shape=%s" % (index, model_name, _fmt(shape), _fmt((None,) + a.shape[1:])))


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def expand_trailing(a, shape):
    """Adds the trailing length-1 axis Keras adds when data is one rank short."""
    if shape is not None and a.ndim == len(shape) - 1:
        return a[..., None]
    return a


def check_cardinality(x, y=None, sample_weights=None):
    """All arrays must hold the same number of samples.

    Raises:
        ValueError: quoting every size, like tf.keras's 'Data cardinality is ambiguous'.
    """
    groups = [("x", x or []), ("y", y or []),
              ("sample_weight", [w for w in (sample_weights or []) if w is not None])]
    sizes = {name: [len(a) for a in arrays] for name, arrays in groups if arrays}
    flat = {n for s in sizes.values() for n in s}
    if len(flat) > 1:
        detail = "\n".join("  %s sizes: %s" % (k, ", ".join(str(n) for n in v))
                           for k, v in sizes.items())
        raise ValueError("Data cardinality is ambiguous:\n%s\nMake sure all arrays contain the "
                         "same number of samples." % detail)
    return flat.pop() if flat else 0


def split_validation(arrays_lists, validation_split, num_samples):
    """Splits off the LAST `validation_split` fraction (before any shuffling).

    Returns:
        (train lists, validation lists), each aligned with `arrays_lists`.
    """
    if not 0.0 < validation_split < 1.0:
        raise ValueError("`validation_split` must be in the open interval (0, 1), got %r"
                         % (validation_split,))
    split_at = int(num_samples * (1.0 - validation_split))
    if split_at == 0 or split_at == num_samples:
        raise ValueError("validation_split=%r leaves no %s data with %d samples."
                         % (validation_split, "training" if split_at == 0 else "validation",
                            num_samples))
    train = [None if arrays is None else [None if a is None else a[:split_at] for a in arrays]
             for arrays in arrays_lists]
    val = [None if arrays is None else [None if a is None else a[split_at:] for a in arrays]
           for arrays in arrays_lists]
    return train, val


def standardize_sample_weights(sample_weight, output_names):
    """A list with one sample-weight array (or None) per output."""
    if sample_weight is None:
        return [None] * len(output_names)
    if isinstance(sample_weight, dict):
        unknown = sorted(set(sample_weight) - set(output_names))
        if unknown:
            raise ValueError("Unknown entries in sample_weight dictionary: %s. Only expected "
                             "the output names %s" % (unknown, output_names))
        return [_weights_array(sample_weight.get(n)) for n in output_names]
    if isinstance(sample_weight, (list, tuple)) and len(output_names) == 1 and \
            len(sample_weight) == 1 and numpy.ndim(sample_weight[0]) == 1:
        return [_weights_array(sample_weight[0])]  # Keras 2's one-entry list per output
    if isinstance(sample_weight, (list, tuple)) and len(output_names) > 1:
        if len(sample_weight) != len(output_names):
            raise ValueError("sample_weight has %d entries but the model has %d outputs."
                             % (len(sample_weight), len(output_names)))
        return [_weights_array(w) for w in sample_weight]
    return [_weights_array(sample_weight)] * len(output_names)


def _weights_array(w):
    if w is None:
        return None
    try:
        w = numpy.asarray(w, dtype=config.floatx())
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be a numeric array with one weight per sample, "
                         "got %r" % (w,)) from None
    if w.ndim == 0:
        raise ValueError("sample_weight must be an array with one weight per sample, got a "
                         "scalar.")
    return w


def check_sample_weight_shapes(sample_weights, targets, output_shapes, output_names):
    """Checks each sample_weight against its output and gives it the rank the loss uses.

    Accepted: (N,) per-sample weights, (N, 1) (taken as (N,)), and (N, T) per-timestep
    weights for outputs of rank >= 3 with T time steps (as tf.keras accepts them).

    Raises:
        ValueError: for any other shape, naming the output and the shapes.
    """
    out = []
    for sw, y, shape, name in zip(sample_weights, targets, output_shapes, output_names):
        if sw is None or y is None:
            out.append(sw)
            continue
        rank = len(shape)
        if sw.ndim == 2 and sw.shape[1] == 1 and rank <= 2:
            sw = sw[:, 0]
        ok = sw.ndim == 1 or (sw.ndim == 2 and rank >= 3 and sw.shape == y.shape[:2])
        if not ok:
            if sw.ndim > 2:
                why = "Expected sample_weight with rank less than or equal to 2"
            elif rank < 3:
                why = ("Per-timestep weights need an output with a time axis (rank >= 3). If "
                       "you just mean to use sample-wise weights, make sure your "
                       "sample_weight array is 1D")
            else:
                why = "sample_weight cannot be broadcast to the target"
            raise ValueError("Found a sample_weight array with shape %s for the output %r "
                             "with target shape %s. %s." % (sw.shape, name, y.shape, why))
        out.append(sw)
    return out


def standardize_class_weights(class_weight, output_names):
    """One class-weight dict (or None) per output.

    A model with one output takes a flat dict {class index: weight}. With several
    outputs, Keras 2 wants a dict mapping output names to such dicts (or a list with
    one entry per output); a flat dict is an error (tf.keras: "`class_weight` is only
    supported for Models with a single output"; Keras 2.2 silently ignored it).

    Raises:
        ValueError: for a flat dict on a multi-output model, unknown output names, or
            a list of the wrong length.
    """
    n = len(output_names)
    if class_weight is None:
        return [None] * n
    if isinstance(class_weight, (list, tuple)) and (n > 1 or len(class_weight) == 1 and (
            class_weight[0] is None or isinstance(class_weight[0], dict))):
        if len(class_weight) != n:
            raise ValueError("When passing a list as `class_weight`, it should have one entry "
                             "per model output. The model has %d outputs, but `class_weight` "
                             "has %d entries." % (n, len(class_weight)))
        return list(class_weight)
    if not isinstance(class_weight, dict):
        raise ValueError("`class_weight` must be a dict mapping class indices to weights, got "
                         "%s." % (type(class_weight).__name__,))
    names = [k for k in class_weight if isinstance(k, str) and k in output_names]
    if n == 1:
        if names and isinstance(class_weight[names[0]], dict):
            return [class_weight[names[0]]]
        return [class_weight]
    if not names:
        raise ValueError(
            "`class_weight` for a model with %d outputs %s must be a dict mapping output "
            "names to per-output class-weight dicts, e.g. {%r: {0: 1.0, 1: 2.0}}, or a list "
            "with one dict (or None) per output; got a flat dict %r."
            % (n, output_names, output_names[0], class_weight))
    unknown = sorted(str(k) for k in class_weight if k not in output_names)
    if unknown:
        raise ValueError("Unknown entries in class_weight dictionary: %s. Only expected the "
                         "output names %s" % (unknown, output_names))
    return [class_weight.get(name) for name in output_names]


def _class_indices(y):
    """Each sample's class: argmax of 2-D targets with several columns (one-hot), else the
    (integer) label, as Keras 2."""
    classes = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
    return numpy.round(classes).astype(numpy.int64)


def class_weights_to_sample_weights(y, class_weight, output_name):
    """Per-sample weights looked up from `class_weight` by each sample's class.

    One-hot targets use their argmax; integer (or (N, 1) / binary) targets their value.

    Raises:
        ValueError: for keys that are not class indices (integers from 0 to the number of
            classes - 1), non-numeric weights, or classes of the data missing from the dict.
    """
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        raise ValueError("`class_weight` for output %r must be a dict mapping class indices to "
                         "weights, got %s." % (output_name, type(class_weight).__name__))
    if y.ndim > 2:
        raise ValueError("`class_weight` not supported for 3+ dimensional targets (output %r "
                         "has targets of shape %s); pass per-timestep `sample_weight` "
                         "instead." % (output_name, y.shape))
    n_classes = y.shape[-1] if y.ndim > 1 and y.shape[-1] > 1 else None
    bad = []
    for k in class_weight:
        is_int = isinstance(k, (int, numpy.integer)) and not isinstance(k, bool)
        if not is_int or k < 0 or (n_classes is not None and k >= n_classes):
            bad.append(k)
    if bad:
        span = ("from 0 to %d (the output %r has %d classes)"
                % (n_classes - 1, output_name, n_classes) if n_classes is not None
                else "from 0 to one less than the number of classes")
        raise ValueError("Expected `class_weight` to be a dict with keys from 0 to one less "
                         "than the number of classes: class indices %s. Invalid keys: %s "
                         "(in class_weight=%r)." % (span, bad, class_weight))
    for k, w in class_weight.items():
        if isinstance(w, bool) or not isinstance(w, (int, float, numpy.number)):
            raise ValueError("`class_weight` values must be numbers; class %r has weight %r."
                             % (k, w))
    classes = _class_indices(y)
    present = numpy.unique(classes)
    missing = [int(c) for c in present if int(c) not in class_weight]
    if missing:
        raise ValueError("`class_weight` must contain all classes in the data. The classes %s "
                         "exist in the data but not in `class_weight` (output %r)."
                         % (missing, output_name))
    lookup = numpy.zeros(int(max(max(class_weight), classes.max())) + 1, dtype=config.floatx())
    for c, w in class_weight.items():
        lookup[int(c)] = w
    return lookup[classes]


def batch_slices(num_samples, batch_size):
    """(start, stop) pairs covering range(num_samples) in order."""
    return [(i, min(i + batch_size, num_samples)) for i in range(0, num_samples, batch_size)]


def check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, numpy.integer)) \
            or batch_size < 1:
        raise ValueError("batch_size must be a positive integer, got %r" % (batch_size,))
    return int(batch_size)


# ---------------------------------------------------------------- freezing
TRAINABLE_DISCREPANCY_WARNING = (
    "Discrepancy between trainable weights and collected trainable weights, did you set "
    "`model.trainable` without calling `model.compile` after ? gkeras trains the weights "
    "collected at compile time; call `compile` again to apply the change.")


def get_trainable_state(model):
    """{id(layer): (layer, trainable flag)} for the model and every layer inside it."""
    return {id(layer): (layer, layer._trainable) for layer in model._flatten_layers()}


def set_trainable_state(state):
    """Sets each layer's own flag (no propagation to sublayers), as tf.keras does."""
    for layer, trainable in state.values():
        layer._trainable = trainable


class RespectCompiledTrainableState:
    """Inside `fit` / `train_on_batch`: every layer's `trainable` flag as it was at
    `compile` (tf.keras's context of the same name).

    `trainable` changes made after `compile` thus take effect at the next `compile`,
    for the weights that train and for BatchNormalization's training/inference mode
    alike; the flags the user set are back in place afterwards. While active, the
    user's flags are available as `model._user_trainable_state`.
    """

    def __init__(self, model):
        self.model = model
        self.changed = False

    def __enter__(self):
        model = self.model
        compiled = getattr(model, "_compiled_trainable_state", None) or {}
        self.current = get_trainable_state(model)
        self.changed = any(key in self.current and self.current[key][1] != flag
                           for key, (_, flag) in compiled.items())
        model._user_trainable_state = self.current
        model._trainable_check_pending = True  # Model._train_step warns on a discrepancy
        if self.changed:
            set_trainable_state({k: v for k, v in compiled.items() if k in self.current})
        return self

    def __exit__(self, *exc):
        if self.changed:
            set_trainable_state(self.current)
        self.model._user_trainable_state = None
        self.model._trainable_check_pending = False
        return False


def trainable_weights_in_state(model, state):
    """`model.trainable_weights` as they would be with the flags of `state`."""
    now = get_trainable_state(model)
    set_trainable_state(state)
    try:
        return model.trainable_weights
    finally:
        set_trainable_state(now)
