"""Sequential: add/pop/layers, input shapes, deferred build, summary, configs."""
import json
import os
import re

import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.models import Sequential, model_from_json

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "docs", "keras_reference.md")


def keras_summary(heading):
    """The verbatim summary block under '### (<heading>)' in docs section 2."""
    with open(DOCS) as f:
        text = f.read()
    start = text.index("### (%s)" % heading)
    block = text[start:].split("```\n", 2)[1]
    return block.rstrip("\n").split("\n")


def summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_add_pop_layers():
    model = Sequential()
    model.add(layers.Dense(32, activation="relu", input_dim=784))
    model.add(layers.Dense(32, activation="relu"))
    assert len(model.layers) == 2
    model.pop()
    assert len(model.layers) == 1
    assert model.output_shape == (None, 32)
    model.add(layers.Dense(5))
    assert [layer.name for layer in model.layers] == ["dense", "dense_2"]
    assert model.output_shape == (None, 5)
    model.pop()
    model.pop()
    assert model.layers == []
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_pop_then_train(rng):
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2), layers.Dense(7)])
    model.pop()
    model.compile("sgd", "mse")
    x = rng.normal(size=(6, 3)).astype("float32")
    model.fit(x, numpy.zeros((6, 2), "float32"), verbose=0)
    assert model.predict(x, verbose=0).shape == (6, 2)


@pytest.mark.parametrize("kwargs", [dict(input_shape=(4,)), dict(input_dim=4),
                                    dict(batch_input_shape=(None, 4))])
def test_input_shape_arguments(kwargs):
    model = Sequential([layers.Dense(3, **kwargs), layers.Dense(2)])
    assert model.built
    assert model.input_shape == (None, 4)
    assert model.output_shape == (None, 2)
    assert model.inputs[0].name == "dense_input"
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.get_layer(index=0).name == "dense"


def test_batch_input_shape_with_fixed_batch():
    model = Sequential([layers.Dense(3, batch_input_shape=(8, 4))])
    assert model.input_shape == (8, 4)


def test_hidden_input_layer_in_config():
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    config = model.get_config()
    assert config["name"] == "sequential"
    first = config["layers"][0]
    assert first["class_name"] == "InputLayer"
    assert first["config"] == {"batch_input_shape": [None, 3], "dtype": "float32",
                               "sparse": False, "ragged": False, "name": "dense_input",
                               "optional": False}
    assert [c["config"]["name"] for c in config["layers"][1:]] == ["dense", "dense_1"]
    assert list(config["layers"][1]["config"]["batch_input_shape"]) == [None, 3]


def test_sequential_starting_with_input():
    model = Sequential([gkeras.Input((4,)), layers.Dense(2)])
    assert [layer.name for layer in model.layers] == ["dense"]
    assert model.input_shape == (None, 4)
    model2 = Sequential([layers.InputLayer(input_shape=(4,)), layers.Dense(2)])
    assert model2.layers[0].name == "dense_1"


def test_deferred_build_on_first_fit(rng):
    model = Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="has not yet been built"):
        model.summary()
    model.compile("sgd", "mse")
    x = rng.normal(size=(10, 4)).astype("float32")
    y = rng.normal(size=(10, 2)).astype("float32")
    hist = model.fit(x, y, epochs=2, verbose=0)
    assert model.built and model.input_shape == (None, 4)
    assert model.layers[0].get_weights()[0].shape == (4, 3)
    assert len(hist.history["loss"]) == 2
    before = model.get_weights()
    model.fit(x, y, verbose=0)  # the weights collected at the first batch keep training
    assert all(not numpy.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_deferred_build_on_predict_and_call(rng):
    x = rng.normal(size=(3, 5)).astype("float32")
    model = Sequential([layers.Dense(2)])
    assert model.predict(x, verbose=0).shape == (3, 2)
    model2 = Sequential([layers.Dense(2)])
    assert numpy.asarray(model2(x)).shape == (3, 2)
    model3 = Sequential([layers.Dense(2)])
    model3.build((None, 5))
    assert model3.built and model3.count_params() == 12


def test_unique_layer_names_in_sequential():
    with pytest.raises(ValueError, match="unique"):
        Sequential([layers.Dense(2, name="a", input_shape=(3,)), layers.Dense(2, name="a")])


def test_add_rejects_non_layers():
    with pytest.raises(TypeError, match="instance of class Layer"):
        Sequential().add("dense")


def test_summary_matches_keras_sequential():
    model = Sequential([layers.Dense(32, input_shape=(784,)), layers.Dropout(0.2),
                        layers.Dense(10)])
    assert summary_lines(model) == keras_summary("i")


def test_summary_matches_keras_functional():
    ia = gkeras.Input(shape=(3,))
    ib = gkeras.Input(shape=(2,))
    c = layers.Concatenate()([layers.Dense(4)(ia), ib])
    oa = layers.Dense(1)(c)
    ob = layers.Dense(2, activation="softmax")(c)
    model = gkeras.Model([ia, ib], [oa, ob])
    assert summary_lines(model) == keras_summary("ii")


def test_summary_matches_keras_frozen_layer():
    model = Sequential([layers.Dense(8, input_shape=(4,)), layers.Dense(3)])
    model.layers[0].trainable = False
    assert summary_lines(model) == keras_summary("iii")


def test_summary_large_counts_and_stdout(capsys):
    model = Sequential([layers.Dense(1000, input_shape=(1000,)), layers.Dense(1000)])
    lines = summary_lines(model)
    assert lines == keras_summary("vi")
    model.summary()
    assert capsys.readouterr().out == "\n".join(lines) + "\n"


def test_summary_functional_sequential_like_shows_input_layer():
    x = gkeras.Input((3,))
    model = gkeras.Model(x, layers.Dense(2)(x))
    lines = summary_lines(model)
    assert len(lines[1]) == 65
    assert re.match(r" input_1 \(InputLayer\) +\[\(None, 3\)\] +0 +$", lines[4])


def test_config_and_json_round_trip(rng):
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                        layers.Dropout(0.5), layers.Dense(2, activation="softmax")])
    x = rng.normal(size=(5, 3)).astype("float32")
    clone = Sequential.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == ["dense", "dropout", "dense_1"]
    clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                                  rtol=1e-6)
    parsed = json.loads(model.to_json())
    assert parsed["class_name"] == "Sequential"
    clone2 = model_from_json(model.to_json())
    assert isinstance(clone2, Sequential)
    clone2.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone2.predict(x, verbose=0), model.predict(x, verbose=0),
                                  rtol=1e-6)


def test_model_from_json_reads_tf_keras_sequential():
    """The verbatim tf-keras 2.21 to_json() string of docs/keras_reference.md section 4."""
    with open(DOCS) as f:
        text = f.read()
    keras_json = re.search(r"to_json\(\):\n```\n(.*?)\n```", text, re.S).group(1)
    model = model_from_json(keras_json)
    assert isinstance(model, Sequential)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.inputs[0].name == "dense_input"
    assert model.layers[0].activation is gkeras.activations.relu
    assert model.output_shape == (None, 2)


def test_predict_classes_and_proba(rng):
    model = Sequential([layers.Dense(3, activation="softmax", input_shape=(2,))])
    x = rng.normal(size=(4, 2)).astype("float32")
    proba = model.predict_proba(x)
    numpy.testing.assert_array_equal(model.predict_classes(x), proba.argmax(-1))
    binary = Sequential([layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    numpy.testing.assert_array_equal(binary.predict_classes(x),
                                     (binary.predict(x, verbose=0) > 0.5).astype("int32"))
