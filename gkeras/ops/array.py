"""Shape and indexing ops: reshape, transpose, concatenate, slicing, gather."""
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._util import as_tensor


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, xp, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, xp, gy):
        return gy.reshape(self.in_shape)


class Transpose(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, xp, x):
        if self.axes is None:
            self.axes = tuple(reversed(range(x.ndim)))
        return xp.transpose(x, self.axes)

    def backward(self, xp, gy):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return xp.transpose(gy, inverse)


class Concatenate(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, xp, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, xp, gy):
        out, start = [], 0
        index = [slice(None)] * gy.ndim
        for n, need in zip(self.sizes, self.needs_input_grad):
            index[self.axis] = slice(start, start + n)
            out.append(gy[tuple(index)] if need else None)
            start += n
        return tuple(out)


class Stack(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, xp, *xs):
        return xp.stack(xs, axis=self.axis)

    def backward(self, xp, gy):
        return tuple(xp.take(gy, i, axis=self.axis) for i in range(gy.shape[self.axis]))


class GetItem(Function):
    def __init__(self, key):
        self.key = key

    def forward(self, xp, x):
        self.shape, self.dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, xp, gy):
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic_index(self.key):
            gx[self.key] = gy
        else:  # advanced indexing may repeat positions: accumulate
            xp.add.at(gx, self.key, gy)
        return gx


def _is_basic_index(key):
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in keys)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, xp, x):
        self.in_shape = x.shape
        return xp.broadcast_to(x, self.shape)

    def backward(self, xp, gy):
        from ._util import sum_to
        return sum_to(xp, gy, self.in_shape)


class Tile(Function):
    def __init__(self, reps):
        self.reps = tuple(reps)

    def forward(self, xp, x):
        self.in_shape = x.shape
        return xp.tile(x, self.reps)

    def backward(self, xp, gy):
        split = []
        for r, n in zip(self.reps, self.in_shape):
            split += [r, n]
        return gy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))


class Gather(Function):
    """Rows of `params` at integer `indices` (Embedding's lookup)."""

    def forward(self, xp, params, indices):
        self.shape, self.indices = params.shape, indices
        return params[indices]

    def backward(self, xp, gy):
        gp = xp.zeros(self.shape, dtype=gy.dtype)
        xp.add.at(gp, self.indices.ravel(), gy.reshape(-1, *self.shape[1:]))
        return gp, None


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, xp, x):
        self.in_dtype = x.dtype
        y = x.astype(self.dtype)
        self.out_kind = y.dtype.kind
        return y

    def backward(self, xp, gy):
        # only float -> float casts carry a gradient (as in TensorFlow)
        if self.in_dtype.kind != "f" or self.out_kind != "f":
            return None
        return gy.astype(self.in_dtype)


def reshape(x, shape):
    """Reshapes `x`; one dimension may be -1."""
    return Reshape(shape).apply(as_tensor(x))


def transpose(x, axes=None):
    """Permutes axes (reverses them when `axes` is None)."""
    return Transpose(None if axes is None else tuple(axes)).apply(as_tensor(x))


def concatenate(xs, axis=-1):
    """Joins tensors along an existing axis."""
    xs = [as_tensor(x) for x in xs]
    return Concatenate(axis % xs[0].ndim).apply(*xs)


def stack(xs, axis=0):
    """Joins tensors along a new axis."""
    xs = [as_tensor(x) for x in xs]
    return Stack(axis).apply(*xs)


def getitem(x, key):
    """x[key] for basic and advanced numpy indexing."""
    if isinstance(key, Tensor):
        key = key.data
    elif isinstance(key, tuple):
        key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
    return GetItem(key).apply(as_tensor(x))


def expand_dims(x, axis=-1):
    """Inserts a length-1 axis at `axis`."""
    x = as_tensor(x)
    axis = axis if axis >= 0 else x.ndim + 1 + axis
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis):
    """Removes the length-1 axis `axis`."""
    x = as_tensor(x)
    axis %= x.ndim
    if x.shape[axis] != 1:
        raise ValueError("cannot squeeze axis %d of shape %s: its length is not 1"
                         % (axis, x.shape))
    return reshape(x, x.shape[:axis] + x.shape[axis + 1:])


def broadcast_to(x, shape):
    """Broadcasts `x` to `shape`."""
    return BroadcastTo(shape).apply(as_tensor(x))


def tile(x, reps):
    """Repeats `x` `reps[i]` times along axis i."""
    x = as_tensor(x)
    reps = tuple(reps)
    if len(reps) != x.ndim:
        raise ValueError("tile needs one repetition count per axis: %d axes, got %s"
                         % (x.ndim, reps))
    return Tile(reps).apply(x)


def gather(params, indices):
    """params[indices] along the first axis; differentiable in `params`."""
    return Gather().apply(as_tensor(params), as_tensor(indices))


def cast(x, dtype):
    """Converts dtype; differentiable between float types."""
    return Cast(dtype).apply(as_tensor(x))


def batch_flatten(x):
    """Reshapes (N, ...) to (N, prod(...))."""
    x = as_tensor(x)
    return reshape(x, (x.shape[0], -1))
