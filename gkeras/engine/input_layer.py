"""InputLayer and `Input()`: the entry points of the symbolic layer graph."""
import numpy

from ..backend import config, session
from .base_layer import Layer
from .node import KerasTensor, Node


class InputLayer(Layer):
    """A layer with no weights that introduces a symbolic input tensor."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, sparse=False,
                 name=None, batch_input_shape=None, ragged=False, optional=False, **kwargs):
        if sparse or ragged or optional:
            raise ValueError("InputLayer: sparse, ragged and optional inputs are not supported "
                             "by gkeras.")
        if name is None:
            name = session.unique_name("input", zero_based=False)
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("InputLayer %r needs `input_shape` or `batch_input_shape`."
                                 % (name,))
            batch_input_shape = (batch_size,) + tuple(input_shape)
        super().__init__(name=name, dtype=dtype or config.floatx(), **kwargs)
        self._batch_input_shape = tuple(None if d is None else int(d)
                                        for d in batch_input_shape)
        self.built = True
        tensor = KerasTensor(self._batch_input_shape, self.dtype, name=self.name)
        Node(self, [], [tensor])

    def get_config(self):
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype,
                "sparse": False, "ragged": False, "name": self.name, "optional": False}

    def call(self, inputs):
        return inputs


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False, tensor=None,
          batch_shape=None, **kwargs):
    """Creates a symbolic input tensor (Keras's `Input`).

    Args:
        shape: shape without the batch axis, e.g. (784,).
        batch_shape: full shape including the batch axis (alternative to shape).
    """
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported: gkeras builds inputs from shapes.")
    if shape is None and batch_shape is None:
        raise ValueError("Please provide to Input either a `shape` or a `batch_shape` argument. "
                         "Note that `shape` does not include the batch dimension.")
    if batch_shape is None:
        if isinstance(shape, int):
            shape = (shape,)
        batch_shape = (batch_size,) + tuple(shape)
    layer = InputLayer(batch_input_shape=batch_shape, name=name,
                       dtype=numpy.dtype(dtype).name if dtype else None, sparse=sparse, **kwargs)
    return layer._inbound_nodes[0].output_tensors[0]
