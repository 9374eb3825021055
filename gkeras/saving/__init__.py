"""Model serialisation: Keras's HDF5 files, `.keras` archives, configs and JSON."""
from .saving_api import load_model, save_model  # noqa: F401
