"""The static layer graph: symbolic KerasTensors and the Nodes linking layers."""
import numpy


class KerasTensor:
    """A symbolic tensor: a shape (batch axis None), a dtype and its history.

    Calling a layer on KerasTensors records a Node instead of computing;
    `Model(inputs, outputs)` then walks these histories.
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = numpy.dtype(dtype).name
        self.name = name
        self._keras_history = None  # (layer, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self):
        return "<KerasTensor shape=%s dtype=%s name=%s>" % (self.shape, self.dtype, self.name)

    def __len__(self):
        raise TypeError("A symbolic KerasTensor %r has no length: its batch size is only "
                        "known when data is passed (in fit/predict)." % (self.name,))


class Node:
    """One call of a layer on symbolic inputs.

    Attributes:
        layer: the layer called.
        input_tensors / output_tensors: lists of KerasTensors.
        call_kwargs: keyword arguments of the call (replayed when running).
    """

    def __init__(self, layer, input_tensors, output_tensors, call_kwargs=None):
        self.layer = layer
        self.input_tensors = list(input_tensors)
        self.output_tensors = list(output_tensors)
        self.call_kwargs = dict(call_kwargs or {})
        self.node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for t in self.input_tensors:
            in_layer = t._keras_history[0]
            in_layer._outbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, self.node_index, i)

    @property
    def inbound_layers(self):
        return [t._keras_history[0] for t in self.input_tensors]

    @property
    def parent_nodes(self):
        """The nodes that produced this node's inputs."""
        return [t.node for t in self.input_tensors]

    @property
    def input_shapes(self):
        return [t.shape for t in self.input_tensors]

    @property
    def output_shapes(self):
        return [t.shape for t in self.output_tensors]

    def serialize(self, layer_names):
        """Keras's inbound_nodes entry: [[layer_name, node_index, tensor_index, kwargs]]."""
        out = []
        for t in self.input_tensors:
            layer, node_index, tensor_index = t._keras_history
            name, node_index = layer_names(layer, node_index)
            out.append([name, node_index, tensor_index, _jsonable(self.call_kwargs)])
        return out


def _jsonable(kwargs):
    return {k: v for k, v in kwargs.items() if isinstance(v, (bool, int, float, str, type(None)))}
