"""K.function: a piece of the layer graph as an eager callable on arrays."""
from ..autograd.tensor import as_tensor
from ..backend import session
from ..backend import xp as _xp


class LearningPhase:
    """The symbolic learning-phase input of `K.function` (0 = test, 1 = train)."""

    def __repr__(self):
        return "<K.learning_phase()>"


LEARNING_PHASE = LearningPhase()


class GraphFunction:
    """Evaluates `outputs` from values fed for `inputs` (symbolic KerasTensors).

    Only the layers between the inputs and the outputs run; nothing is recorded.
    """

    def __init__(self, inputs, outputs, updates=None, name=None):
        if updates:
            raise ValueError("K.function(updates=...) is not supported: gkeras updates "
                             "variables only inside `fit`.")
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._unpack = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self._unpack else list(outputs)
        for t in self.inputs + self.outputs:
            if t is not LEARNING_PHASE and getattr(t, "_keras_history", None) is None:
                raise ValueError("K.function expects symbolic tensors (layer inputs/outputs) "
                                 "and K.learning_phase(), got %r" % (t,))
        self.name = name

    def __call__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(self.inputs):
            raise ValueError("This K.function expects %d input values (%s), got %d."
                             % (len(self.inputs), self.inputs, len(values)))
        training = None
        feed = {}
        for t, v in zip(self.inputs, values):
            if t is LEARNING_PHASE:
                training = bool(int(v))
            else:
                feed[id(t)] = as_tensor(_xp.asarray(v) if not hasattr(v, "data") else v)
                _check_fed_shape(t, feed[id(t)])
        if training is None:
            phase = session.learning_phase_value()
            training = bool(phase) if phase is not None else False
        outs = [_xp.asnumpy(_evaluate(t, feed, training).data) for t in self.outputs]
        return outs[0] if self._unpack else outs


def _check_fed_shape(t, value):
    expected = t.shape
    if len(expected) != value.ndim or any(
            e is not None and e != s for e, s in zip(expected, value.shape)):
        raise ValueError("K.function: the value fed for %s has shape %s, expected %s"
                         % (t.name, value.shape, expected))


def _evaluate(tensor, feed, training):
    """The value of a symbolic tensor, computing its ancestors as needed (iteratively)."""
    stack = [tensor]
    while stack:
        t = stack[-1]
        if id(t) in feed:
            stack.pop()
            continue
        layer, node_index, _ = t._keras_history
        node = layer._inbound_nodes[node_index]
        if not node.input_tensors:
            raise ValueError("K.function: no value was fed for the input %s that output %s "
                             "depends on." % (t.name, tensor.name))
        missing = [i for i in node.input_tensors if id(i) not in feed]
        if missing:
            stack.extend(missing)
            continue
        args = [feed[id(i)] for i in node.input_tensors]
        kwargs = dict(node.call_kwargs)
        kwargs.setdefault("training", training)
        outs = layer._call_eager(args if len(args) > 1 else args[0], **kwargs)
        for o, v in zip(node.output_tensors, outs if isinstance(outs, (list, tuple)) else [outs]):
            feed[id(o)] = v
        stack.pop()
    return feed[id(tensor)]
