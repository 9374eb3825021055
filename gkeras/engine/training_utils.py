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
    if isinstance(sample_weight, (list, tuple)) and len(output_names) > 1:
        if len(sample_weight) != len(output_names):
            raise ValueError("sample_weight has %d entries but the model has %d outputs."
                             % (len(sample_weight), len(output_names)))
        return [_weights_array(w) for w in sample_weight]
    return [_weights_array(sample_weight)] * len(output_names)


def _weights_array(w):
    if w is None:
        return None
    w = numpy.asarray(w, dtype=config.floatx())
    if w.ndim == 0:
        raise ValueError("sample_weight must be an array with one weight per sample, got a "
                         "scalar.")
    return w


def class_weights_to_sample_weights(y, class_weight, output_name):
    """Per-sample weights looked up from `class_weight` by each sample's class.

    One-hot targets use their argmax; integer targets their value.
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, dict) and class_weight and isinstance(
            next(iter(class_weight.values())), dict):
        class_weight = class_weight.get(output_name)
        if class_weight is None:
            return None
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = y.argmax(axis=-1)
    else:
        classes = y.reshape(len(y), -1)[:, 0].astype(numpy.int64)
    classes = classes.reshape(len(y), -1)[:, 0] if classes.ndim > 1 else classes
    present = numpy.unique(classes)
    missing = [int(c) for c in present if int(c) not in class_weight]
    if missing:
        raise ValueError("`class_weight` must contain all classes in the data. The classes %s "
                         "exist in the data but not in `class_weight`." % (missing,))
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
