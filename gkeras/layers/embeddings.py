"""Embedding: integer indices to dense vectors."""
from .. import constraints, initializers, ops, regularizers
from ..autograd.tensor import Tensor, as_tensor
from ..engine.base_layer import Layer
from ..utils.generic_utils import serialize_keras_object


class Embedding(Layer):
    """Maps each integer in [0, input_dim) to a trainable `output_dim` vector.

    Args:
        input_dim: vocabulary size. output_dim: vector size.
        embeddings_initializer ('uniform'), embeddings_regularizer,
        activity_regularizer, embeddings_constraint, mask_zero,
        input_length: as in Keras.

    Input shape: (batch, sequence_length) integers.
    Output shape: (batch, sequence_length, output_dim).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            if input_length is not None:
                kwargs["input_shape"] = tuple(input_length) if isinstance(
                    input_length, (list, tuple)) else (input_length,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError("Both `input_dim` and `output_dim` of Embedding should be positive, "
                             "found input_dim %r and output_dim %r" % (input_dim, output_dim))
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.input_length = input_length
        self.supports_masking = mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        self.built = True

    def _convert_input(self, x):
        data = as_tensor(x).data
        if data.dtype.kind == "f":
            data = data.astype("int64")
        if data.size and (int(data.min()) < 0 or int(data.max()) >= self.input_dim):
            raise ValueError("Embedding %r: indices must lie in [0, %d) (input_dim), got values "
                             "in [%d, %d]" % (self.name, self.input_dim, int(data.min()),
                                              int(data.max())))
        return Tensor(data)

    def call(self, inputs):
        return ops.gather(self.embeddings, inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": serialize_keras_object(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer)
            if self.embeddings_regularizer else None,
            "activity_regularizer": serialize_keras_object(self.activity_regularizer)
            if self.activity_regularizer else None,
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint)
            if self.embeddings_constraint else None,
            "mask_zero": self.mask_zero, "input_length": self.input_length})
        return cfg
