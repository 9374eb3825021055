"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot."""
import functools

from .. import ops
from ..engine.base_layer import Layer


class _Merge(Layer):
    """Base of elementwise merges of a list of same-shaped (broadcastable) inputs."""

    _min_inputs = 2

    def _validate(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < self._min_inputs:
            raise ValueError("A `%s` layer should be called on a list of at least %d inputs. "
                             "Received: input_shape=%s"
                             % (type(self).__name__, self._min_inputs, input_shape))

    def build(self, input_shape):
        self._validate(input_shape)
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return functools.reduce(self._merge, inputs)

    def compute_output_shape(self, input_shape):
        self._validate(input_shape)
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            out = _broadcast_shapes(out, list(shape), self)
        return tuple(out)


def _broadcast_shapes(a, b, layer):
    if len(a) != len(b):
        raise ValueError('Inputs have incompatible shapes (different ranks). Received shapes '
                         '%s and %s (layer "%s")' % (tuple(a), tuple(b), layer.name))
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if i == 0 or x is None or y is None:
            out.append(x if y is None else y if x is None else max(x, y))
        elif x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError('Inputs have incompatible shapes. Received shapes %s and %s '
                             '(layer "%s")' % (tuple(a), tuple(b), layer.name))
    return out


class Add(_Merge):
    """Elementwise sum of the inputs."""

    @staticmethod
    def _merge(a, b):
        return ops.add(a, b)


class Subtract(_Merge):
    """Difference of exactly two inputs: inputs[0] - inputs[1]."""

    def _validate(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs. Received: "
                             "input_shape=%s" % (input_shape,))

    @staticmethod
    def _merge(a, b):
        return ops.subtract(a, b)


class Multiply(_Merge):
    """Elementwise product of the inputs."""

    @staticmethod
    def _merge(a, b):
        return ops.multiply(a, b)


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    @staticmethod
    def _merge(a, b):
        return ops.maximum(a, b)


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    @staticmethod
    def _merge(a, b):
        return ops.minimum(a, b)


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def call(self, inputs):
        return ops.multiply(functools.reduce(ops.add, inputs), 1.0 / len(inputs))


class Concatenate(Layer):
    """Concatenates a list of inputs along `axis` (default -1)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError("A `Concatenate` layer should be called on a list of at least 2 "
                             "inputs. Received: input_shape=%s" % (input_shape,))
        rank = len(input_shape[0])
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != rank or any(
                    i != axis and a is not None and b is not None and a != b
                    for i, (a, b) in enumerate(zip(out, shape))):
                raise ValueError(
                    "A `Concatenate` layer requires inputs with matching shapes except for the "
                    "concatenation axis. Received: input_shape=%s" % (input_shape,))
            out[axis] = None if out[axis] is None or shape[axis] is None else \
                out[axis] + shape[axis]
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class Dot(Layer):
    """Dot product of two tensors along `axes` (batch axis excluded).

    Args:
        axes: an int or a pair of ints: the axis of each input to contract.
        normalize: L2-normalise both inputs along those axes first (cosine
            proximity).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)) or len(axes) != 2:
                raise ValueError("Invalid format for argument `axes`: expected an int or a list "
                                 "of 2 ints, got %r" % (axes,))
            axes = list(axes)
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return [a % len(s) if a < 0 else a for a, s in zip(axes, shapes)]

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError("A `Dot` layer should be called on a list of 2 inputs. Received: "
                             "input_shape=%s" % (input_shape,))
        s1, s2 = list(input_shape[0]), list(input_shape[1])
        a1, a2 = self._axes([s1, s2])
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError("Incompatible input shapes for Dot: axis values %d (of %s) != %d "
                             "(of %s)" % (s1[a1], tuple(s1), s2[a2], tuple(s2)))
        out = s1[:a1] + s1[a1 + 1:] + s2[1:a2] + s2[a2 + 1:]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        x1, x2 = inputs
        a1, a2 = self._axes([x1.shape, x2.shape])
        if self.normalize:
            x1 = _l2_normalize(x1, a1)
            x2 = _l2_normalize(x2, a2)
        return batch_dot(x1, x2, (a1, a2))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axes": self.axes, "normalize": self.normalize})
        return cfg


def _l2_normalize(x, axis):
    norm2 = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(norm2, 1e-12))


def batch_dot(x, y, axes):
    """K.batch_dot: per-sample contraction of x's axes[0] with y's axes[1] via matmul."""
    a1, a2 = axes
    # move the contracted axis of x last and of y first (after batch), flatten the rest
    rest1 = [i for i in range(1, x.ndim) if i != a1]
    rest2 = [i for i in range(1, y.ndim) if i != a2]
    xt = ops.transpose(x, [0] + rest1 + [a1])
    yt = ops.transpose(y, [0, a2] + rest2)
    n = x.shape[0]
    xm = ops.reshape(xt, (n, -1, x.shape[a1]))
    ym = ops.reshape(yt, (n, y.shape[a2], -1))
    out = ops.matmul(xm, ym)  # (n, prod(rest1), prod(rest2))
    shape = (n,) + tuple(x.shape[i] for i in rest1) + tuple(y.shape[i] for i in rest2)
    if len(shape) == 1:
        shape = (n, 1)
    return ops.reshape(out, shape)


def _functional(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = "Functional interface to the `%s` layer." % cls.__name__
    return merge


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to the `Concatenate` layer."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional interface to the `Dot` layer."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
