"""Keras layers (import paths as in Keras 2: gkeras.layers.core.Dense, ...)."""
from ..engine.base_layer import InputSpec, Layer  # noqa: F401
from ..engine.input_layer import Input, InputLayer  # noqa: F401
from ..utils.generic_utils import deserialize_keras_object, serialize_keras_object
from .core import (Activation, Dense, Dropout, Flatten, Lambda, Permute,  # noqa: F401
                   RepeatVector, Reshape)
from .embeddings import Embedding  # noqa: F401
from .normalization import BatchNormalization, SyncBatchNormalization  # noqa: F401
from . import experimental  # noqa: F401  (tf.keras's layers.experimental path)
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: F401
                    Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                    subtract)
from .convolutional import (Conv2D, Conv2DTranspose, Conv3D,  # noqa: F401
                            Convolution2D, Convolution2DTranspose, Convolution3D,
                            Cropping2D, Deconv2D, Deconvolution2D, ZeroPadding2D)
from .convolutional import (Conv1D, Conv1DTranspose, Conv3DTranspose,  # noqa: F401
                            Convolution1D, Convolution1DTranspose,
                            Convolution3DTranspose, Deconv3D, Deconvolution3D,
                            DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                            SeparableConv2D, SeparableConvolution1D,
                            SeparableConvolution2D)
from .pooling import (AveragePooling2D, AvgPool2D, GlobalAveragePooling2D,  # noqa: F401
                      GlobalAvgPool2D, GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool2D,
                      MaxPooling2D)
from .pooling import (AveragePooling1D, AveragePooling3D, AvgPool1D,  # noqa: F401
                      AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling3D,
                      GlobalAvgPool1D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool3D,
                      GlobalMaxPooling1D, GlobalMaxPooling3D, MaxPool1D, MaxPool3D,
                      MaxPooling1D, MaxPooling3D)
from .convolutional import (Cropping1D, Cropping3D, UpSampling1D,  # noqa: F401
                            UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding3D)
from .spatial_dropout import (SpatialDropout1D, SpatialDropout2D,  # noqa: F401
                              SpatialDropout3D)


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
