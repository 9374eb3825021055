"""Keras layers (import paths as in Keras 2: gkeras.layers.core.Dense, ...)."""
from ..engine.base_layer import InputSpec, Layer  # noqa: F401
from ..engine.input_layer import Input, InputLayer  # noqa: F401
from ..utils.generic_utils import deserialize_keras_object, serialize_keras_object
from .core import (Activation, Dense, Dropout, Flatten, Lambda, Permute,  # noqa: F401
                   RepeatVector, Reshape)
from .embeddings import Embedding  # noqa: F401
from .normalization import BatchNormalization  # noqa: F401
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: F401
                    Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                    subtract)
from .convolutional import (Conv2D, Conv2DTranspose, Conv3D,  # noqa: F401
                            Convolution2D, Convolution2DTranspose, Convolution3D,
                            Cropping2D, Deconv2D, Deconvolution2D, ZeroPadding2D)
from .pooling import (AveragePooling2D, AvgPool2D, GlobalAveragePooling2D,  # noqa: F401
                      GlobalAvgPool2D, GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool2D,
                      MaxPooling2D)


def _registry():
    from ..engine.sequential import Sequential
    from ..engine.training import Model
    objects = {name: obj for name, obj in globals().items()
               if isinstance(obj, type) and issubclass(obj, Layer)}
    objects.update({"Model": Model, "Functional": Model, "Sequential": Sequential})
    return objects


def serialize(layer):
    """{'class_name': ..., 'config': ...} for a layer."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A layer (or model) from its serialized form.

    Raises:
        ValueError: for unknown class names, suggesting `custom_objects`.
    """
    return deserialize_keras_object(config, module_objects=_registry(),
                                    custom_objects=custom_objects,
                                    printable_module_name="layer")
