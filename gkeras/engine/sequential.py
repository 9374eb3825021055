"""Sequential: a linear stack of layers (`add`, `pop`, `layers`)."""
from ..backend import session
from .base_layer import Layer
from .input_layer import Input, InputLayer
from .node import KerasTensor
from .training import Model


class Sequential(Model):
    """A Model built by stacking layers one after another.

    The graph is built as soon as the input shape is known: from an
    `input_shape`/`input_dim`/`batch_input_shape` on the first layer, an
    `InputLayer`, `build(input_shape)`, or the first batch of data.
    """

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._stack = []  # the layers as added (an InputLayer first, if any)
        self.output_names = []
        for layer in layers or []:
            self.add(layer)

    def _default_name(self):
        return session.unique_name("sequential")

    @property
    def layers(self):
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def _sublayers(self):
        return self.layers

    def add(self, layer):
        """Appends a layer (or an `Input` tensor) on top of the stack."""
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Found: %r"
                            % (layer,))
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError("All layers added to a Sequential model should have unique names. "
                             "Name %r is already the name of a layer in this model. Update the "
                             "`name` argument to pass a unique name." % (layer.name,))
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError("An InputLayer can only be the first layer of a Sequential model.")
        self._stack.append(layer)
        self.output_names = [layer.name]
        if self._is_graph_network:
            self._connect([layer], self.inputs[0], self.outputs[0])
        else:
            self._try_build()

    def pop(self):
        """Removes the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        removed = self._stack.pop()
        if not self.layers:
            self._stack = []
            self._is_graph_network = False
            self.built = False
            self.output_names = []
            return
        self.output_names = [self._stack[-1].name]
        if self._is_graph_network:
            last = self._stack[-1]
            out = last._inbound_nodes[-1].output_tensors[0]
            for node in list(last._outbound_nodes):
                if node.layer is removed:
                    last._outbound_nodes.remove(node)
            self._init_graph(self.inputs[0], out)

    def _try_build(self):
        first = self._stack[0]
        if isinstance(first, InputLayer):
            self._connect(self._stack[1:], first._inbound_nodes[0].output_tensors[0], None)
        elif first._batch_input_shape is not None:
            self._build_from_shape(first._batch_input_shape)

    def _build_from_shape(self, batch_input_shape):
        first = self._stack[0]
        x = Input(batch_shape=batch_input_shape, name=first.name + "_input",
                  dtype=getattr(first, "dtype", None))
        self._connect(self._stack, x, None)

    def _connect(self, layers, inputs, current):
        x = inputs if current is None else current
        for layer in layers:
            if isinstance(layer, InputLayer):
                continue
            x = layer(x)
            if isinstance(x, list):
                raise ValueError("All layers in a Sequential model should have a single output "
                                 "tensor; layer %r has %d." % (layer.name, len(x)))
        self._init_graph(inputs, x)

    def build(self, input_shape=None):
        """Builds the graph for inputs of `input_shape` (batch axis included)."""
        if self._is_graph_network:
            return
        if not self._stack:
            raise ValueError("You must add a layer to a Sequential model before building it.")
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        self._build_from_shape(tuple(input_shape))

    def _ensure_built_for(self, x):
        if self._is_graph_network or not self._stack:
            return
        first = x[0] if isinstance(x, (list, tuple)) else x
        shape = getattr(first, "shape", None)
        if shape is None:
            import numpy
            shape = numpy.asarray(first).shape
        self.build((None,) + tuple(shape[1:]))

    def _ensure_built(self):
        if not self._stack:
            raise ValueError("The Sequential model has no layers: add layers before compiling.")

    def _standardize(self, x, y=None, sample_weight=None, class_weight=None):
        self._ensure_built_for(x)
        return super()._standardize(x, y, sample_weight, class_weight)

    def call(self, inputs, training=None):
        self._ensure_built_for(inputs)
        return super().call(inputs, training=training)

    def _call_symbolic(self, inputs, *args, **kwargs):
        if not self._is_graph_network:
            self.build(inputs.shape)
        return super()._call_symbolic(inputs, *args, **kwargs)

    def _check_input_spec(self, input_shapes):
        if self._is_graph_network:
            super()._check_input_spec(input_shapes)

    def get_config(self):
        """{'name': ..., 'layers': [...]} with the InputLayer first when built."""
        layers = []
        stack = self._stack
        if self._is_graph_network and not isinstance(stack[0], InputLayer):
            stack = [self.inputs[0]._keras_history[0]] + stack
        for layer in stack:
            layers.append({"class_name": type(layer).__name__, "config": layer.get_config()})
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize as deserialize_layer
        if isinstance(config, list):  # Keras 2.0 files store just the list of layers
            config = {"layers": config}
        model = cls(name=config.get("name"))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects=custom_objects))
        return model

    # Keras 2.2 Sequential-only helpers
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax for several classes, threshold 0.5 for one."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """The model's outputs (probabilities for a softmax/sigmoid top)."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)
