"""numpy helpers from Keras: to_categorical, normalize."""
import numpy


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels.

    Args:
        y: integer labels (any shape; a trailing axis of size 1 is dropped).
        num_classes: total number of classes; max(y) + 1 by default.

    Raises:
        ValueError: for negative labels, non-integers, or labels >= num_classes.
    """
    y = numpy.asarray(y)
    if y.size and (y.dtype.kind == "f" and not numpy.all(numpy.mod(y, 1) == 0)):
        raise ValueError("to_categorical expects integer class labels, got non-integer values.")
    y = y.astype("int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.ravel()
    if y.size and y.min() < 0:
        raise ValueError("to_categorical: class labels must be non-negative, got %d" % y.min())
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError("to_categorical: label %d is out of range for num_classes=%d"
                         % (y.max(), num_classes))
    out = numpy.zeros((y.shape[0], num_classes), dtype=dtype)
    out[numpy.arange(y.shape[0]), y] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis`."""
    norm = numpy.atleast_1d(numpy.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / numpy.expand_dims(norm, axis)
