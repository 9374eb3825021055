"""Small datasets as numpy arrays, Keras style: ``from gkeras.datasets import digits``."""

from gkeras.datasets import digits

__all__ = ["digits"]
