"""The Keras engine: layers, the layer graph, models and training."""
from .base_layer import InputSpec, Layer  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .sequential import Sequential  # noqa: F401
from .training import Model  # noqa: F401


def get_source_inputs(tensor):
    """The Input tensors that `tensor` ultimately depends on."""
    layer, node_index, _ = tensor._keras_history
    node = layer._inbound_nodes[node_index]
    if not node.input_tensors:
        return [tensor]
    out = []
    for t in node.input_tensors:
        for s in get_source_inputs(t):
            if all(s is not o for o in out):
                out.append(s)
    return out
