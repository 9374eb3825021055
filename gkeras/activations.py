"""Keras activation functions by name (`activation='relu'`), on Tensors."""
from . import ops
from .utils.generic_utils import deserialize_keras_object


def linear(x):
    """Identity."""
    return x


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with Keras's optional leak `alpha`, cap and threshold."""
    return ops.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`."""
    return ops.softmax(x, axis=axis)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def softplus(x):
    """log(exp(x) + 1)."""
    return ops.softplus(x)


def softsign(x):
    """x / (abs(x) + 1)."""
    return ops.softsign(x)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return ops.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit."""
    return ops.selu(x)


def exponential(x):
    """exp(x)."""
    return ops.exp(x)


def hard_sigmoid(x):
    """clip(0.2 x + 0.5, 0, 1)."""
    return ops.hard_sigmoid(x)


def swish(x):
    """x * sigmoid(x)."""
    return ops.swish(x)


silu = swish


def gelu(x, approximate=False):
    """Gaussian error linear unit x * Phi(x); `approximate` uses the tanh formula."""
    return ops.gelu(x, approximate=approximate)


def mish(x):
    """x * tanh(softplus(x))."""
    return ops.mish(x)


def relu6(x):
    """min(max(x, 0), 6) (tf.nn.relu6, reachable by name as in tf.keras)."""
    return ops.relu(x, max_value=6.0)


def leaky_relu(x, alpha=0.2):
    """x for x > 0, alpha * x otherwise (tf.nn.leaky_relu's default alpha 0.2)."""
    return ops.relu(x, alpha=alpha)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


def serialize(activation):
    """The activation's registered name."""
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError("Cannot serialize activation %r: it has no name" % (activation,))
    return name


def deserialize(name, custom_objects=None):
    return deserialize_keras_object(name, module_objects=_REGISTRY,
                                    custom_objects=custom_objects,
                                    printable_module_name="activation function")


def get(identifier):
    """An activation function from a name, None (linear) or a callable.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret activation function identifier: %r (expected a "
                     "name such as 'relu', or a callable)" % (identifier,))


_REGISTRY = {f.__name__: f for f in (linear, relu, softmax, sigmoid, tanh, softplus, softsign,
                                     elu, selu, exponential, hard_sigmoid, swish, gelu, mish,
                                     relu6, leaky_relu, log_softmax)}
_REGISTRY["silu"] = swish
