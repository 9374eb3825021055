"""Keras utilities (gkeras.utils.to_categorical, Progbar, Sequence, ...)."""
from .data_utils import Sequence  # noqa: F401
from .generic_utils import (custom_object_scope, deserialize_keras_object,  # noqa: F401
                            get_custom_objects, serialize_keras_object)
from .np_utils import normalize, to_categorical  # noqa: F401
from .progbar import Progbar  # noqa: F401


def set_random_seed(seed):
    """Seeds gkeras's generators (weights, dropout, shuffling) and numpy's global one."""
    import numpy
    from ..backend import random
    numpy.random.seed(seed)
    random.set_seed(seed)
from .multi_gpu_utils import multi_gpu_model  # noqa: E402,F401
