"""Runs a layer and the plain relu that follows it as one op (graph-level fusion).

Keras models often write `Conv2D(32, 3), Activation('relu')` rather than
`Conv2D(32, 3, activation='relu')`. Both compute the same values and gradients, but run
separately the relu is one more pass over the layer's output, forward and backward.
When a Network runs a layer whose output goes only to an `Activation('relu')` layer
(and is neither a model output nor watched by an activity regularizer), it asks the
layer to apply the relu itself (`relu_follows`), gives the result to the Activation's
output and skips the Activation. TensorFlow's graph optimizer fuses the same pattern
(Conv2D + BiasAdd + Relu); the results are bit for bit those of the unfused pair.
"""
import threading

from .. import activations

_local = threading.local()


def relu_follows(layer):
    """Whether `layer`'s current call must end with the plain relu (asked by its Network)."""
    return getattr(_local, "layer", None) is layer


def call_with_relu(layer, inputs, **kwargs):
    """`layer._call_eager(inputs, **kwargs)` with the following relu applied by the layer."""
    outer = getattr(_local, "layer", None)
    _local.layer = layer
    try:
        return layer._call_eager(inputs, **kwargs)
    finally:
        _local.layer = outer


def is_plain_relu(layer):
    """An `Activation('relu')` layer with nothing else to do (no activity regularizer)."""
    from ..layers.core import Activation
    return (type(layer) is Activation and layer.activation is activations.relu
            and layer.activity_regularizer is None)


def relu_pairs(nodes, outputs):
    """{id(node): relu node} for every node whose only consumer is a plain relu node.

    `nodes` are a network's nodes in execution order and `outputs` its output tensors;
    whether the first layer can apply the relu itself (`_can_fuse_relu`) is asked at
    call time, as layers may change after the graph is built.
    """
    consumers = {}
    for node in nodes:
        for t in node.input_tensors:
            consumers.setdefault(id(t), []).append(node)
    exported = {id(t) for t in outputs}
    pairs = {}
    for node in nodes:
        if len(node.output_tensors) != 1:
            continue
        t = node.output_tensors[0]
        users = consumers.get(id(t), [])
        if (id(t) in exported or len(users) != 1 or len(users[0].input_tensors) != 1
                or users[0].call_kwargs or not is_plain_relu(users[0].layer)
                or users[0].layer.dtype != node.layer.dtype):
            continue
        pairs[id(node)] = users[0]
    return pairs
