"""Keras's HDF5 weight layout: round trips, by-name loading, mismatches, damaged files."""
import os

import h5py
import numpy
import pytest

import gkeras as keras
from gkeras.layers import Dense
from gkeras.saving import hdf5_format


def _mlp(second_units=3, second_name="dense_2"):
    model = keras.Sequential()
    model.add(Dense(2, input_dim=3, name="dense_1"))
    model.add(Dense(second_units, name=second_name))
    return model


def test_round_trip_and_keras_layout(tmp_path):
    model = _mlp()
    path = tmp_path / "w.h5"
    hdf5_format.save_weights(model, path)
    with h5py.File(path, "r") as f:
        # variable-length strings, as tf-keras writes them (h5py 3 reads them as str)
        assert list(f.attrs["layer_names"]) == ["dense_1", "dense_2"]
        assert f.attrs["backend"] == "gkeras"
        assert list(f["dense_1"].attrs["weight_names"]) == [
            "dense_1/kernel:0", "dense_1/bias:0"]
        assert f.attrs.get_id("layer_names").get_type().is_variable_str()
        assert "top_level_model_weights" in f
        assert f["dense_1/dense_1/kernel:0"].shape == (3, 2)
    other = _mlp()
    hdf5_format.load_weights(other, path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_by_name_loads_only_matching_layers(tmp_path):
    """The seed's example: dense_1 is loaded, new_dense keeps its own weights."""
    path = tmp_path / "w.h5"
    old = _mlp()
    hdf5_format.save_weights(old, path)
    new = _mlp(second_units=10, second_name="new_dense")
    untouched = new.layers[1].get_weights()
    hdf5_format.load_weights(new, path, by_name=True)
    numpy.testing.assert_array_equal(new.layers[0].get_weights()[0], old.layers[0].get_weights()[0])
    numpy.testing.assert_array_equal(new.layers[1].get_weights()[0], untouched[0])


def test_shape_mismatch_names_layer_and_shapes(tmp_path):
    path = tmp_path / "w.h5"
    hdf5_format.save_weights(_mlp(), path)
    with pytest.raises(ValueError, match=r"dense_2.*expects shape \(2, 5\).*\(2, 3\)"):
        hdf5_format.load_weights(_mlp(second_units=5), path)
    with pytest.raises(ValueError, match=r"Shape mismatch.*dense_2"):
        hdf5_format.load_weights(_mlp(second_units=5), path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping loading"):
        hdf5_format.load_weights(_mlp(second_units=5), path, by_name=True, skip_mismatch=True)


def test_layer_count_mismatch(tmp_path):
    path = tmp_path / "w.h5"
    hdf5_format.save_weights(_mlp(), path)
    model = keras.Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match="Layer count mismatch.*expected 1 layers, found 2"):
        hdf5_format.load_weights(model, path)


def test_corrupt_or_missing_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match="Cannot read .* as an HDF5 file"):
        hdf5_format.load_weights(_mlp(), bad)
    with pytest.raises(FileNotFoundError):
        hdf5_format.load_weights(_mlp(), tmp_path / "missing.h5")


def test_failed_save_leaves_existing_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.h5"
    model = _mlp()
    hdf5_format.save_weights(model, path)
    good = path.read_bytes()

    def explode(group, layers):
        raise RuntimeError("disk full")
    monkeypatch.setattr(hdf5_format, "save_weights_to_group", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        hdf5_format.save_weights(model, path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["w.h5"]  # no temporary left behind


def test_large_attribute_is_split_and_read_back(tmp_path):
    names = ["layer_%05d_%s" % (i, "x" * 40) for i in range(3000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        hdf5_format.save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs
        assert hdf5_format.load_attributes(f, "layer_names") == names


def test_str_attributes_from_h5py3_are_accepted(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f.attrs["weight_names"] = ["a:0", "b:0"]  # variable-length str, read back as str
        assert hdf5_format.load_attributes(f, "weight_names") == ["a:0", "b:0"]
    assert os.path.exists(tmp_path / "s.h5")


def test_seed_snippet_load_weights_by_name(tmp_path):
    """The seed's example, run as written with keras -> gkeras."""
    from gkeras.models import Sequential
    fname = str(tmp_path / "my_model_weights.h5")
    model = Sequential()
    model.add(Dense(2, input_dim=3, name="dense_1"))
    model.add(Dense(3, name="dense_2"))
    model.save_weights(fname)
    original = model.get_weights()
    # new model
    model = Sequential()
    model.add(Dense(2, input_dim=3, name="dense_1"))  # will be loaded
    model.add(Dense(10, name="new_dense"))  # will not be loaded
    # load weights from first model; will only affect the first layer, dense_1.
    new_dense = model.layers[1].get_weights()
    model.load_weights(fname, by_name=True)
    numpy.testing.assert_array_equal(model.layers[0].get_weights()[0], original[0])
    numpy.testing.assert_array_equal(model.layers[1].get_weights()[0], new_dense[0])


def test_model_methods_round_trip_functional(tmp_path):
    inp = keras.Input((4,))
    out = Dense(2)(keras.layers.BatchNormalization()(Dense(3)(inp)))
    model = keras.Model(inp, out)
    model.save_weights(tmp_path / "f.h5")
    clone = keras.Model.from_config(model.get_config())
    clone.load_weights(tmp_path / "f.h5")
    x = numpy.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    numpy.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)
    with pytest.raises(ValueError, match="save_format"):
        model.save_weights(tmp_path / "f.tf", save_format="tf")
