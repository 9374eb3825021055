"""Helpers shared by the op modules: broadcasting, operand coercion, axes."""
from ..autograd.tensor import Tensor
from ..backend import xp as _xp


def sum_to(xp, g, shape):
    """Reduces gradient `g` to `shape`, undoing numpy broadcasting."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


def coerce_pair(a, b):
    """Makes both operands Tensors; scalars take the dtype of the other operand.

    Without this a Python float would become a float64 array and promote a
    float32 computation to float64.
    """
    xp = _xp.xp()
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        b = Tensor(xp.asarray(b, dtype=_dtype_for(a, b)))
    elif isinstance(b, Tensor) and not isinstance(a, Tensor):
        a = Tensor(xp.asarray(a, dtype=_dtype_for(b, a)))
    elif not isinstance(a, Tensor):
        a, b = Tensor(xp.asarray(a)), Tensor(xp.asarray(b))
    return a, b


def _dtype_for(tensor, other):
    kind = tensor.dtype.kind
    if kind == "f" or _is_python_int(other):
        return tensor.dtype
    return None


def _is_python_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def as_tensor(x):
    """Wraps a non-Tensor value as a constant Tensor."""
    return x if isinstance(x, Tensor) else Tensor(_xp.xp().asarray(x))


def normalize_axis(axis, ndim):
    """Returns `axis` as a sorted tuple of non-negative ints, or None for all."""
    if axis is None:
        return None
    if not isinstance(axis, (list, tuple)):
        axis = (axis,)
    out = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise ValueError("axis %d is out of range for a tensor of rank %d" % (a, ndim))
        out.append(a % ndim)
    return tuple(sorted(out))


def expand_reduced(g, shape, axis, keepdims):
    """Reshapes a reduction's gradient so it broadcasts against the input."""
    if axis is None:
        return g.reshape((1,) * len(shape))
    if keepdims:
        return g
    full = list(shape)
    for a in axis:
        full[a] = 1
    return g.reshape(full)
