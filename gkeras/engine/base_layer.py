"""Layer: weights, lazy build, symbolic vs eager calls, config and naming."""
import contextlib
import inspect
import threading

import numpy

from .. import initializers, regularizers, constraints
from ..autograd.tape import is_recording
from ..autograd.tensor import Tensor, as_tensor
from ..autograd.variable import Variable
from ..backend import config, session
from ..backend import xp as _xp
from .node import KerasTensor, Node

_ALLOWED_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "dtype", "name",
                   "trainable", "weights", "input_dim", "activity_regularizer", "autocast",
                   "dynamic"}


class InputSpec:
    """Constraints on a layer's input: rank and fixed axis sizes.

    Args:
        dtype, shape, ndim, max_ndim, min_ndim: as in Keras.
        axes: dict mapping an axis (may be negative) to its required size.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = dict(axes or {})

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


# depth: nesting of eager layer calls (0 = an outermost call, which clears the activity
# losses of the previous one); user: calls made through `Layer.__call__`, i.e. by the
# user or by a model called by the user, as opposed to `K.function`'s graph evaluation.
_CALL_STATE = {"depth": 0, "user": 0}

# The weight values layers may still create on this thread (`weight_budget`), or None.
_budget = threading.local()


@contextlib.contextmanager
def weight_budget(values, source):
    """Caps the weight values `add_weight` may create (on this thread) at `values`.

    A model rebuilt from a file's config cannot legitimately need more weight values
    than the file stores; a corrupt or hostile config asking for a huge layer is refused
    with a clear error before its memory is allocated. `source` names the file.
    """
    outer = getattr(_budget, "state", None)
    _budget.state = {"left": int(values), "limit": int(values), "source": source}
    try:
        yield
    finally:
        _budget.state = outer


def _spend_budget(layer, name, shape):
    state = getattr(_budget, "state", None)
    if state is None:
        return
    size = 1
    for d in shape:
        size *= max(d, 0)
    if size > state["left"]:
        raise ValueError(
            "Layer %r asks for a weight %r of shape %s (%d values), but the model in %s "
            "may hold at most %d weight values in all (what its weights store): the config "
            "does not match the saved weights (a corrupt or hostile file?)."
            % (layer.name, name, shape, size, state["source"], state["limit"]))
    state["left"] -= size


class outer_call:
    """Marks the calls made inside it as nested (they keep each other's activity losses)."""

    def __enter__(self):
        _CALL_STATE["depth"] += 1
        return self

    def __exit__(self, *exc):
        _CALL_STATE["depth"] -= 1
        return False


def stateful_updates_allowed():
    """Whether a layer in training mode may update its state (BatchNormalization's moving
    statistics): in a training step (a tape is recording) and in direct eager calls
    `layer(x, training=True)` as in tf.keras, but not in `K.function`, which, as in
    Keras 2, runs no updates."""
    return is_recording() or _CALL_STATE["user"] > 0


def to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _is_symbolic(inputs):
    return any(isinstance(t, KerasTensor) for t in to_list(inputs))


class Layer:
    """Base class of all layers (Keras 2 API).

    Subclasses override `build(input_shape)` to create weights with
    `add_weight`, `call(inputs, training=None)` to compute on Tensors, and
    `compute_output_shape(input_shape)` for the symbolic graph.
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise TypeError("Keyword argument not understood by %s: %s"
                            % (type(self).__name__, ", ".join(sorted(unknown))))
        self.name = name or session.unique_name(session.to_snake_case(type(self).__name__))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("Layer name must be a non-empty string, got %r" % (name,))
        self._trainable = trainable
        self.dtype = numpy.dtype(dtype or config.floatx()).name
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._regularized = []  # (regularizer, variable)
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._initial_weights = kwargs.get("weights")
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        self._activity_losses = []
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None:
            if "input_shape" in kwargs:
                batch_input_shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
            elif "input_dim" in kwargs and kwargs["input_dim"] is not None:
                batch_input_shape = (kwargs.get("batch_size"), kwargs["input_dim"])
        self._batch_input_shape = (None if batch_input_shape is None
                                   else tuple(batch_input_shape))
        self._call_accepts_training = "training" in inspect.signature(self.call).parameters

    # ------------------------------------------------------------------ weights
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    def _sublayers(self):
        """Layers whose weights this layer owns (models, wrappers)."""
        return []

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None):
        """Creates a Variable named '<layer>/<name>:0' and tracks it.

        Args:
            initializer: name or callable; 'glorot_uniform' for floats by default.
            regularizer: penalty added to the loss when the model trains.
            constraint: projection applied after each optimizer update.
        """
        shape = tuple(int(d) for d in shape)
        _spend_budget(self, name, shape)
        dtype = numpy.dtype(dtype or self.dtype)
        init = initializers.get(initializer or ("glorot_uniform" if dtype.kind == "f" else "zeros"))
        value = numpy.asarray(init(shape, dtype=dtype))
        if value.shape != shape:
            raise ValueError("Initializer for weight %r of layer %r returned shape %s, "
                             "expected %s" % (name, self.name, value.shape, shape))
        var = Variable(_xp.asarray(value), name="%s/%s:0" % (self.name, name),
                       trainable=trainable, constraint=constraints.get(constraint))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._regularized.append((reg, var))
        return var

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = list(self._trainable_weights)
        for layer in self._sublayers():
            own += [w for w in layer.trainable_weights if w not in own]
        return own

    @property
    def non_trainable_weights(self):
        own = list(self._non_trainable_weights)
        if not self.trainable:
            own = list(self._trainable_weights) + own
        for layer in self._sublayers():
            for w in layer.non_trainable_weights + (
                    [] if self.trainable else layer.trainable_weights):
                if w not in own:
                    own.append(w)
        return own

    @property
    def weights(self):
        """All weights; a model lists them layer by layer (as tf.keras and `get_weights` do)."""
        subs = self._sublayers()
        if not subs:
            return self.trainable_weights + self.non_trainable_weights
        out = []
        for layer in subs:
            out += [w for w in layer.weights if w not in out]
        own = (list(self._trainable_weights) + list(self._non_trainable_weights))
        return out + [w for w in own if w not in out]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        """The weights' values as a list of numpy arrays."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from numpy arrays, checking count and shapes.

        Raises:
            ValueError: naming the layer, and the expected and received count or shape.
        """
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                "You called `set_weights(weights)` on layer %r with a weight list of "
                "length %d, but the layer was expecting %d weights (%s)."
                % (self.name, len(weights), len(params), [w.name for w in params]))
        for var, value in zip(params, weights):
            value = numpy.asarray(value)
            if tuple(value.shape) != var.shape:
                raise ValueError(
                    "Layer %r weight shape %s is not compatible with provided weight "
                    "shape %s (weight %r)." % (self.name, var.shape, tuple(value.shape), var.name))
            var.assign(_xp.asarray(value.astype(var.dtype, copy=False)))

    def count_params(self):
        """Total number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError("You tried to call `count_params` on layer %r, but the layer "
                             "isn't built. Build it first by calling it on data or with "
                             "`build(batch_input_shape)`." % (self.name,))
        return int(sum(int(numpy.prod(w.shape)) for w in self.weights))

    def _flatten_layers(self):
        """This layer, then every sublayer (depth first), each once."""
        out, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop(0)
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
                stack = list(layer._sublayers()) + stack
        return out

    def regularization_losses(self):
        """Weight penalties as Tensors (computed now, so a tape can record them)."""
        return [reg(var) for layer in self._flatten_layers() for reg, var in layer._regularized]

    @property
    def losses(self):
        """Penalties to add to the loss, as tf.keras orders them: layer by layer, the
        activity penalties of the layer's last call, then its weight penalties."""
        out = []
        for layer in self._flatten_layers():
            out += list(layer._activity_losses)
            out += [reg(var) for reg, var in layer._regularized]
        return out

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._activity_losses = []

    # ------------------------------------------------------------------ building
    def build(self, input_shape):
        """Creates the weights for inputs of `input_shape` (batch axis included)."""
        self.built = True

    def compute_output_shape(self, input_shape):
        """Output shape for `input_shape`; by default the same shape."""
        return input_shape

    def _maybe_build(self, input_shapes):
        if not self.built:
            shapes = input_shapes[0] if len(input_shapes) == 1 else input_shapes
            self.build(shapes)
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None

    def _check_input_spec(self, input_shapes):
        specs = to_list(self.input_spec) if self.input_spec is not None else []
        if not specs:
            return
        if len(specs) != len(input_shapes):
            raise ValueError("Layer %r expects %d input(s), but it received %d input tensors."
                             % (self.name, len(specs), len(input_shapes)))
        for i, (spec, shape) in enumerate(zip(specs, input_shapes)):
            if spec is None:
                continue
            ndim = len(shape)
            prefix = 'Input %d of layer "%s" is incompatible with the layer: ' % (i, self.name)
            if spec.ndim is not None and ndim != spec.ndim:
                raise ValueError(prefix + "expected ndim=%d, found ndim=%d. Full shape "
                                 "received: %s" % (spec.ndim, ndim, _fmt_shape(shape)))
            if spec.min_ndim is not None and ndim < spec.min_ndim:
                raise ValueError(prefix + "expected min_ndim=%d, found ndim=%d. Full shape "
                                 "received: %s" % (spec.min_ndim, ndim, _fmt_shape(shape)))
            if spec.max_ndim is not None and ndim > spec.max_ndim:
                raise ValueError(prefix + "expected max_ndim=%d, found ndim=%d. Full shape "
                                 "received: %s" % (spec.max_ndim, ndim, _fmt_shape(shape)))
            for axis, size in spec.axes.items():
                actual = shape[axis] if -ndim <= axis < ndim else None
                if size is not None and actual is not None and actual != size:
                    raise ValueError(prefix + "expected axis %d of input shape to have value "
                                     "%d, but received input with shape %s"
                                     % (axis, size, _fmt_shape(shape)))

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs, *args, **kwargs):
        if _is_symbolic(inputs):
            return self._call_symbolic(inputs, *args, **kwargs)
        _CALL_STATE["user"] += 1
        try:
            return self._call_eager(inputs, *args, **kwargs)
        finally:
            _CALL_STATE["user"] -= 1

    def _call_symbolic(self, inputs, *args, **kwargs):
        tensors = to_list(inputs)
        if not all(isinstance(t, KerasTensor) for t in tensors):
            raise ValueError("Layer %r was called on a mix of symbolic tensors and data; "
                             "all inputs must come from `Input` or other layers."
                             % (self.name,))
        for t in tensors:
            if t._keras_history is None:
                raise ValueError("Layer %r was called on a symbolic tensor with no history: "
                                 "use `gkeras.Input` to create inputs." % (self.name,))
        shapes = [t.shape for t in tensors]
        self._check_input_spec(shapes)
        self._maybe_build(shapes)
        in_shape = shapes if isinstance(inputs, (list, tuple)) else shapes[0]
        out_shape = self.compute_output_shape(in_shape)
        multi = _is_shape_list(out_shape)
        out_shapes = list(out_shape) if multi else [out_shape]
        dtype = self._output_dtype(tensors)
        outputs = [KerasTensor(s, dtype, name="%s/output_%d" % (self.name, i))
                   for i, s in enumerate(out_shapes)]
        Node(self, tensors, outputs, kwargs)
        return outputs if multi else outputs[0]

    def _output_dtype(self, inputs):
        return self.dtype

    def _call_eager(self, inputs, *args, **kwargs):
        if _CALL_STATE["depth"] == 0:
            # an outermost call starts afresh, as tf.keras's eager `losses`
            self._clear_losses()
        with outer_call():
            return self._run_call(inputs, *args, **kwargs)

    def _run_call(self, inputs, *args, **kwargs):
        multi_in = isinstance(inputs, (list, tuple))
        tensors = [self._convert_input(x) for x in to_list(inputs)]
        shapes = [t.shape for t in tensors]
        self._check_input_spec(shapes)
        self._maybe_build(shapes)
        if self._call_accepts_training:
            if kwargs.get("training") is None:
                phase = session.learning_phase_value()
                kwargs["training"] = bool(phase) if phase is not None else False
        else:
            kwargs.pop("training", None)
        outputs = self.call(tensors if multi_in else tensors[0], *args, **kwargs)
        if self.activity_regularizer is not None:
            for out in to_list(outputs):
                penalty = self.activity_regularizer(out)
                # Keras divides the activity penalty by the batch size
                self._activity_losses.append(penalty * (1.0 / out.shape[0]))
        return outputs

    def _convert_input(self, x):
        t = as_tensor(x)
        if t.dtype.kind == "f" and t.dtype.name != self.dtype:
            from ..ops import cast
            t = cast(t, self.dtype)
        return t

    def call(self, inputs, **kwargs):
        """The layer's computation on Tensors; identity by default."""
        return inputs

    def _can_fuse_relu(self):
        """Whether `call` applies a following plain relu itself when asked (`fusion`)."""
        return False

    # ------------------------------------------------------------------ graph access
    def _node_attribute(self, attr, node_index=None):
        if not self._inbound_nodes:
            raise AttributeError("Layer %r is not connected, no input to return." % (self.name,))
        if node_index is None:
            if len(self._inbound_nodes) > 1:
                raise AttributeError(
                    "Layer %r has multiple inbound nodes, hence the notion of \"layer %s\" "
                    "is ill-defined. Use `get_%s_at(node_index)` instead."
                    % (self.name, attr.split("_")[0], attr.split("_")[0]))
            node_index = 0
        values = getattr(self._inbound_nodes[node_index], attr)
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        return self._node_attribute("input_tensors")

    @property
    def output(self):
        return self._node_attribute("output_tensors")

    @property
    def input_shape(self):
        if not self._inbound_nodes and self._batch_input_shape is not None:
            return self._batch_input_shape
        return self._node_attribute("input_shapes")

    @property
    def output_shape(self):
        return self._node_attribute("output_shapes")

    def get_input_at(self, node_index):
        return self._node_attribute("input_tensors", node_index)

    def get_output_at(self, node_index):
        return self._node_attribute("output_tensors", node_index)

    def get_input_shape_at(self, node_index):
        return self._node_attribute("input_shapes", node_index)

    def get_output_shape_at(self, node_index):
        return self._node_attribute("output_shapes", node_index)

    # ------------------------------------------------------------------ config
    def get_config(self):
        """Keras's base config: name, trainable, dtype (+ batch_input_shape if set)."""
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        return cfg

    @classmethod
    def from_config(cls, config):
        """Creates a layer from `get_config`'s output."""
        return cls(**config)

    def __repr__(self):
        return "<%s name=%s, built=%s>" % (type(self).__name__, self.name, self.built)


def _fmt_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _is_shape_list(shape):
    return isinstance(shape, list) and all(isinstance(s, (tuple, list)) for s in shape)


def eager_value(x):
    """Unwraps a Tensor for code that needs a raw array."""
    return x.data if isinstance(x, Tensor) else x
