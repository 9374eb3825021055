"""Reverse-mode automatic differentiation on a tape of recorded ops."""
from .function import Function  # noqa: F401
from .tape import Tape, is_recording, stop_gradient  # noqa: F401
from .tensor import Tensor, as_tensor, unwrap  # noqa: F401
from .variable import Variable  # noqa: F401
