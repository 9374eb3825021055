"""Differentiable primitives on Tensors; each records itself on open tapes."""
from .activations import (elu, gelu, gelu_tanh, hard_sigmoid, log_softmax, mish,  # noqa: F401
                          relu, selu, sigmoid, softmax, softplus, softsign, swish, tanh)
from .array import (batch_flatten, broadcast_to, cast, concatenate, expand_dims,  # noqa: F401
                    gather, getitem, reshape, squeeze, stack, tile, transpose)
from .conv import conv1d, conv2d, conv2d_transpose, conv3d  # noqa: F401
from .losses import (sigmoid_cross_entropy, softmax_cross_entropy,  # noqa: F401
                     sparse_softmax_cross_entropy)
from .math import (abs, add, clip, divide, dot, exp, log, log1p, matmul, maximum,  # noqa: F401
                   minimum, multiply, negative, power, sqrt, square, subtract)
from .nn import bias_add, bias_relu, dropout  # noqa: F401
from .pooling import global_pool, pool1d, pool2d, pool3d  # noqa: F401
from .reduction import logsumexp, max, mean, min, prod, std, sum, var  # noqa: F401
from .special import erf, erfc  # noqa: F401
