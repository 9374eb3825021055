"""Keras 2.0-2.2's `keras.engine.saving` import path (the code lives in gkeras.saving).

The HDF5 helpers keep Keras 2.2's signatures: they take an open h5py group and a list
of layers.
"""
from ..models import load_model, model_from_config, model_from_json, save_model  # noqa: F401
from ..saving.hdf5_format import load_attributes as load_attributes_from_hdf5_group  # noqa
from ..saving.hdf5_format import load_weights_from_group as load_weights_from_hdf5_group  # noqa
from ..saving.hdf5_format import (  # noqa: F401
    load_weights_from_group_by_name as load_weights_from_hdf5_group_by_name)
from ..saving.hdf5_format import save_attributes as save_attributes_to_hdf5_group  # noqa
from ..saving.hdf5_format import save_weights_to_group as save_weights_to_hdf5_group  # noqa
