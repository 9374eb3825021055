"""Embedding against tf-keras 2.21 (core_reference.*)."""
import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.layers import embeddings

from .layer_test_utils import assert_config_matches_keras, layer_test, reference_layer_case


def test_forward_matches_keras():
    ids, (table,), y, meta = reference_layer_case("embedding")
    layer = layers.Embedding(7, 3)
    layer.build((None, 4))
    layer.set_weights([table])
    out = numpy.asarray(layer(ids))
    assert list(out.shape) == meta["output_shape"]
    numpy.testing.assert_array_equal(out, y)
    numpy.testing.assert_array_equal(out, table[ids])


def test_layer_test_helper():
    ids, weights, y, _ = reference_layer_case("embedding")
    layer_test(layers.Embedding, dict(input_dim=7, output_dim=3), input_data=ids,
               weights=weights, expected_output=y, expected_output_shape=(None, 4, 3))


def test_config_matches_keras():
    _, _, _, meta = reference_layer_case("embedding")
    # tf-keras always records batch_input_shape [None, None] for Embedding (it sets
    # input_shape=(None,) when input_length is not given); gkeras records it only when
    # an input shape or input_length is given, so a Sequential starting with an
    # Embedding still builds from the first batch (Keras 2.2 behaviour).
    assert_config_matches_keras(layers.Embedding(7, 3).get_config(), meta["config"],
                                ignore=("batch_input_shape",))
    cfg = layers.Embedding(7, 3, input_length=5).get_config()
    assert list(cfg["batch_input_shape"]) == [None, 5] and cfg["input_length"] == 5


def test_keras2_import_path():
    assert embeddings.Embedding is layers.Embedding


def test_weight_name_and_default_initializer():
    layer = layers.Embedding(50, 4)
    layer.build((None, 2))
    assert [w.name for w in layer.weights] == ["embedding/embeddings:0"]
    table = layer.get_weights()[0]
    assert table.shape == (50, 4) and numpy.abs(table).max() <= 0.05


def test_training_updates_only_looked_up_rows():
    model = gkeras.Sequential([layers.Embedding(6, 2, input_length=3), layers.Flatten(),
                               layers.Dense(1)])
    model.compile("sgd", "mse")
    before = model.layers[0].get_weights()[0]
    ids = numpy.array([[0, 1, 1], [4, 0, 1]])
    model.fit(ids, numpy.ones((2, 1), "float32"), epochs=1, verbose=0)
    after = model.layers[0].get_weights()[0]
    changed = numpy.flatnonzero(numpy.abs(after - before).sum(axis=1))
    assert sorted(changed) == [0, 1, 4]


def test_float_indices_are_accepted_and_out_of_range_rejected():
    layer = layers.Embedding(5, 2)
    out = numpy.asarray(layer(numpy.array([[0.0, 4.0]], "float32")))
    numpy.testing.assert_array_equal(out, layer.get_weights()[0][[0, 4]][None])
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 5\)"):
        layer(numpy.array([[5]]))
