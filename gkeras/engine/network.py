"""Functional graph of layers: ordering, eager execution, shapes and config."""
from ..autograd.tensor import as_tensor
from . import fusion
from .base_layer import Layer, _fmt_shape, to_list
from .input_layer import InputLayer
from .node import KerasTensor


class Network(Layer):
    """A directed acyclic graph of layers from `inputs` to `outputs`.

    Also a Layer, so a model can be called on new inputs like any layer.
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(name=name or self._default_name(), **kwargs)
        self._is_graph_network = False
        self._layers = []
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both `inputs` and `outputs`.")
            self._init_graph(inputs, outputs)

    def _default_name(self):
        from ..backend import session
        return session.unique_name("model")

    # ------------------------------------------------------------------ graph
    def _init_graph(self, inputs, outputs):
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = to_list(inputs)
        self.outputs = to_list(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError("Model(inputs, outputs) expects symbolic tensors from "
                                 "`Input` and layer calls, got %r." % (t,))
        for t in self.inputs:
            layer = t._keras_history[0]
            if not isinstance(layer, InputLayer):
                raise ValueError("Model inputs must come from `gkeras.Input` (got the output of "
                                 "layer %r); create inputs with `Input(shape=...)`."
                                 % (layer.name,))
        self._nodes_by_depth, self._layers = _map_graph(self.inputs, self.outputs)
        self.input_layers = [t._keras_history[0] for t in self.inputs]
        self.output_layers = [t._keras_history[0] for t in self.outputs]
        self.input_names = [layer.name for layer in self.input_layers]
        self.output_names = [layer.name for layer in self.output_layers]
        self._is_graph_network = True
        self.built = True
        names = [layer.name for layer in self._layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError('The name "%s" is used %d times in the model. All layer names '
                             "should be unique." % (dup[0], names.count(dup[0])))

    @property
    def layers(self):
        return list(self._layers)

    # A graph network answers `input`/`output`/`*_shape` from its own graph (as
    # Keras's Functional does), not from the nodes where it was called as a layer.
    @property
    def input(self):
        if self._is_graph_network:
            return self.inputs[0] if len(self.inputs) == 1 else list(self.inputs)
        return Layer.input.fget(self)

    @property
    def output(self):
        if self._is_graph_network:
            return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)
        return Layer.output.fget(self)

    @property
    def input_shape(self):
        if self._is_graph_network:
            shapes = [t.shape for t in self.inputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        if self._is_graph_network:
            shapes = [t.shape for t in self.outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return Layer.output_shape.fget(self)

    def _sublayers(self):
        return self._layers

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError("Was asked to retrieve layer at index %d but model only has "
                                 "%d layers." % (index, len(self.layers)))
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError("No such layer: %s. Existing layers are: %s."
                         % (name, [layer.name for layer in self.layers]))

    def _relu_pairs(self):
        """`fusion.relu_pairs` of this graph, computed once per graph."""
        cache = getattr(self, "_relu_pairs_cache", None)
        if cache is None or cache[0] is not self._nodes_by_depth:
            cache = (self._nodes_by_depth,
                     fusion.relu_pairs(list(self._ordered_nodes()), self.outputs))
            self._relu_pairs_cache = cache
        return cache[1]

    def _ordered_nodes(self):
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                yield node

    # ------------------------------------------------------------------ running
    def _check_input_spec(self, input_shapes):
        if not self._is_graph_network:
            return
        if len(input_shapes) != len(self.inputs):
            raise ValueError(
                "Layer %r expects %d input(s), but it received %d input tensors."
                % (self.name, len(self.inputs), len(input_shapes)))
        for i, (t, shape) in enumerate(zip(self.inputs, input_shapes)):
            expected = t.shape
            ok = len(shape) == len(expected) and all(
                e is None or s is None or e == s for e, s in zip(expected, shape))
            if not ok:
                raise ValueError(
                    'Input %d of layer "%s" is incompatible with the layer: expected shape=%s, '
                    "found shape=%s" % (i, self.name, _fmt_shape(expected), _fmt_shape(shape)))

    def call(self, inputs, training=None):
        """Runs the graph eagerly on Tensors; returns one Tensor or a list."""
        values = {}
        for t, x in zip(self.inputs, to_list(inputs)):
            values[id(t)] = as_tensor(x)
        pairs, fused = self._relu_pairs(), set()
        for node in self._ordered_nodes():
            if isinstance(node.layer, InputLayer) or id(node) in fused:
                continue
            args = [values[id(t)] for t in node.input_tensors]
            kwargs = dict(node.call_kwargs)
            if "training" not in kwargs or kwargs["training"] is None:
                kwargs["training"] = training
            relu_node = pairs.get(id(node))
            if relu_node is not None and node.layer._can_fuse_relu():
                # the layer applies the relu itself; its own output is never needed
                out = fusion.call_with_relu(node.layer, args if len(args) > 1 else args[0],
                                            **kwargs)
                fused.add(id(relu_node))
                node = relu_node  # whose outputs receive the value
            else:
                out = node.layer._call_eager(args if len(args) > 1 else args[0], **kwargs)
            for t, v in zip(node.output_tensors, to_list(out)):
                values[id(t)] = v
        outs = [values[id(t)] for t in self.outputs]
        return outs if isinstance(self._nested_outputs, (list, tuple)) else outs[0]

    def compute_output_shape(self, input_shape):
        shapes = {}
        for t, s in zip(self.inputs, input_shape if isinstance(input_shape, list)
                        else [input_shape]):
            shapes[id(t)] = tuple(s)
        for node in self._ordered_nodes():
            if isinstance(node.layer, InputLayer):
                continue
            ins = [shapes[id(t)] for t in node.input_tensors]
            out = node.layer.compute_output_shape(ins if len(ins) > 1 else ins[0])
            for t, s in zip(node.output_tensors, out if isinstance(out, list) else [out]):
                shapes[id(t)] = tuple(s)
        outs = [shapes[id(t)] for t in self.outputs]
        return outs if isinstance(self._nested_outputs, (list, tuple)) else outs[0]

    # ------------------------------------------------------------------ config
    def get_config(self):
        """Keras's functional config: layers with inbound_nodes, input/output layers."""
        if not self._is_graph_network:
            raise NotImplementedError("get_config of a subclassed Model is not supported; "
                                      "override get_config.")
        kept = {}  # (layer, original node index) -> index among this model's nodes
        for layer in self.layers:
            kept_for_layer = [n for n in layer._inbound_nodes if self._owns(n)]
            offset = _first_node_offset(layer)
            for i, node in enumerate(kept_for_layer):
                kept[(id(layer), node.node_index)] = i + offset

        def layer_names(layer, node_index):
            return layer.name, kept.get((id(layer), node_index), node_index)

        layer_configs = []
        for layer in self.layers:
            nodes = [n.serialize(layer_names) for n in layer._inbound_nodes
                     if self._owns(n) and not isinstance(n.layer, InputLayer)]
            layer_configs.append({"class_name": type(layer).__name__, "config": layer.get_config(),
                                  "name": layer.name, "inbound_nodes": nodes})

        def endpoints(tensors):
            out = []
            for t in tensors:
                layer, node_index, tensor_index = t._keras_history
                name, node_index = layer_names(layer, node_index)
                out.append([name, node_index, tensor_index])
            return out

        return {"name": self.name, "layers": layer_configs,
                "input_layers": endpoints(self.inputs), "output_layers": endpoints(self.outputs)}

    def _owns(self, node):
        return any(node in nodes for nodes in self._nodes_by_depth.values())

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a functional model from `get_config`'s output."""
        from ..layers import deserialize as deserialize_layer
        created = {}
        pending = []
        for layer_data in config["layers"]:
            layer = deserialize_layer({"class_name": layer_data["class_name"],
                                       "config": layer_data["config"]},
                                      custom_objects=custom_objects)
            created[layer_data["name"]] = layer
            for node_data in layer_data.get("inbound_nodes", []):
                pending.append((layer, node_data))
        while pending:
            progressed = False
            remaining = []
            for layer, node_data in pending:
                inputs = _resolve_node_inputs(node_data, created)
                if inputs is None:
                    remaining.append((layer, node_data))
                    continue
                tensors, kwargs = inputs
                layer(tensors if len(tensors) > 1 else tensors[0], **kwargs)
                progressed = True
            if not progressed:
                names = sorted({layer.name for layer, _ in remaining})
                raise ValueError("Cannot rebuild the model graph: the inputs of layers %s "
                                 "are never produced." % (names,))
            pending = remaining

        def endpoints(entries):
            entries = entries if entries and isinstance(entries[0], list) else [entries]
            out = []
            for name, node_index, tensor_index in entries:
                if name not in created:
                    raise ValueError("Model config names unknown layer %r as an input or output."
                                     % (name,))
                layer = created[name]
                node_index = _local_node_index(layer, node_index)
                if not 0 <= node_index < len(layer._inbound_nodes):
                    raise ValueError("Model config names node %d of layer %r, which does not "
                                     "exist." % (node_index, name))
                out.append(to_list(layer.get_output_at(node_index))[tensor_index])
            return out

        inputs = endpoints(config["input_layers"])
        outputs = endpoints(config["output_layers"])
        return cls(inputs=inputs if len(inputs) > 1 else inputs[0],
                   outputs=outputs if len(outputs) > 1 else outputs[0],
                   name=config.get("name"))


def _resolve_node_inputs(node_data, created):
    """The input tensors of a serialized node, or None when one is not built yet."""
    if isinstance(node_data, dict):  # Keras 3 style entries are not produced by Keras 2
        raise ValueError("Unsupported inbound node format %r: this looks like a model saved "
                         "by Keras 3, whose configs gkeras (Keras 2) does not read."
                         % (node_data,))
    tensors, kwargs = [], {}
    for entry in node_data:
        name, node_index, tensor_index = entry[:3]
        kwargs = entry[3] if len(entry) > 3 else {}
        if name not in created:
            raise ValueError("Layer config refers to unknown inbound layer %r." % (name,))
        layer = created[name]
        node_index = _local_node_index(layer, node_index)
        if len(layer._inbound_nodes) <= node_index:
            return None
        tensors.append(to_list(layer._inbound_nodes[node_index].output_tensors)[tensor_index])
    return tensors, kwargs


def _first_node_offset(layer):
    """1 for a nested graph model: Keras counts the node linking a model's own inputs to
    its outputs as its node 0 (gkeras keeps no such node), so the calls of a nested
    model are numbered from 1 in Keras's configs (tf-keras and Keras 2.2 alike)."""
    return 1 if isinstance(layer, Network) and layer._is_graph_network else 0


def _local_node_index(layer, node_index):
    """A config's node index as an index into `layer._inbound_nodes`."""
    if not isinstance(node_index, int) or isinstance(node_index, bool) or node_index < 0:
        raise ValueError("Invalid node index %r for layer %r in the model config."
                         % (node_index, layer.name))
    offset = _first_node_offset(layer)
    return node_index - offset if node_index >= offset else node_index


def _map_graph(inputs, outputs):
    """Keras's ordering: nodes and layers by depth from the outputs (0) upwards.

    Returns:
        (nodes_by_depth dict, layers list ordered from inputs to outputs).

    Raises:
        ValueError: for cycles and for outputs that cannot be computed from `inputs`.
    """
    finished, in_progress = set(), set()
    layer_indices = {}
    ordered = []  # nodes in decreasing depth

    def visit(node):
        if node in in_progress:
            raise ValueError("The layer graph contains a cycle at layer %r." % (node.layer.name,))
        if node in finished:
            return
        if id(node.layer) not in layer_indices:
            layer_indices[id(node.layer)] = len(layer_indices)
        in_progress.add(node)
        for parent in node.parent_nodes:
            visit(parent)
        in_progress.discard(node)
        finished.add(node)
        ordered.append(node)

    for t in outputs:
        visit(t.node)

    node_depth, layer_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[node] = depth
        for parent in node.parent_nodes:
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))

    nodes_by_depth = {}
    for node, depth in node_depth.items():
        nodes_by_depth.setdefault(depth, []).append(node)
    layers_by_depth = {}
    layers = {}
    for node in ordered:
        layers[id(node.layer)] = node.layer
    for lid, depth in layer_depth.items():
        layers_by_depth.setdefault(depth, []).append(layers[lid])
    ordered_layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        ordered_layers += sorted(layers_by_depth[depth], key=lambda lyr: layer_indices[id(lyr)])
    for depth in nodes_by_depth:
        nodes_by_depth[depth].sort(key=lambda n: ordered.index(n))

    _check_connected(inputs, ordered)
    return nodes_by_depth, ordered_layers


def _check_connected(inputs, ordered_nodes):
    available = {id(t) for t in inputs}
    seen_layers = []
    for node in ordered_nodes:
        if isinstance(node.layer, InputLayer):
            if id(node.output_tensors[0]) not in available:
                raise ValueError(
                    "Graph disconnected: cannot obtain value for tensor %s at layer %r. It "
                    "comes from an Input that is not among the model's inputs. The following "
                    "previous layers were accessed without issue: %s"
                    % (node.output_tensors[0], node.layer.name, seen_layers))
            continue
        for t in node.input_tensors:
            if id(t) not in available:
                raise ValueError("Graph disconnected: cannot obtain value for tensor %s at "
                                 "layer %r. The following previous layers were accessed "
                                 "without issue: %s" % (t, node.layer.name, seen_layers))
        available.update(id(t) for t in node.output_tensors)
        seen_layers.append(node.layer.name)
