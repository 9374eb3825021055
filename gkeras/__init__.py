"""gkeras: the Keras 2 API on numpy and CuPy (`import gkeras as keras`)."""
from ._version import __version__  # noqa: F401
from . import (activations, backend, callbacks, constraints, datasets,  # noqa: F401
               initializers, layers, losses, metrics, models, optimizers, regularizers, utils)
from .engine.input_layer import Input  # noqa: F401
from .engine.sequential import Sequential  # noqa: F401
from .engine.training import Model  # noqa: F401
