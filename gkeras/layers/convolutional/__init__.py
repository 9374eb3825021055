"""Convolution layers (Keras 2 import path `keras.layers.convolutional`).

Conv2D, Conv2DTranspose, Conv3D, Cropping2D, ZeroPadding2D and Keras's aliases
(Convolution2D, Convolution3D, Convolution2DTranspose, Deconvolution2D/Deconv2D).
As Keras 2.x's `convolutional` module did, the 2-D pooling layers are reachable from
here too (resolved lazily: `pooling` itself imports from this package).
"""
from .base_conv import Conv  # noqa: F401
from .conv2d import Conv2D, Convolution2D  # noqa: F401
from .conv2d_transpose import (Conv2DTranspose, Convolution2DTranspose,  # noqa: F401
                               Deconv2D, Deconvolution2D)
from .conv3d import Conv3D, Convolution3D  # noqa: F401
from .conv1d import Conv1D, Convolution1D  # noqa: F401
from .conv1d_transpose import Conv1DTranspose, Convolution1DTranspose  # noqa: F401
from .conv3d_transpose import (Conv3DTranspose, Convolution3DTranspose,  # noqa: F401
                               Deconv3D, Deconvolution3D)
from .depthwise_conv import DepthwiseConv1D, DepthwiseConv2D  # noqa: F401
from .separable_conv import (SeparableConv1D, SeparableConv2D,  # noqa: F401
                             SeparableConvolution1D, SeparableConvolution2D)
from .cropping import Cropping1D, Cropping2D, Cropping3D  # noqa: F401
from .padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D  # noqa: F401
from .upsampling import UpSampling1D, UpSampling2D, UpSampling3D  # noqa: F401

_FROM_POOLING = ("MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D",
                 "MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D",
                 "MaxPooling3D", "AveragePooling3D", "MaxPool3D", "AvgPool3D")


def __getattr__(name):
    if name in _FROM_POOLING:
        from .. import pooling
        return getattr(pooling, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(list(globals()) + list(_FROM_POOLING))
