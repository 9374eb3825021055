"""The functional API: Model(inputs, outputs), shared layers, nesting, configs."""
import json

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.models import Model, model_from_config, model_from_json


@pytest.fixture
def data(rng):
    return rng.normal(size=(12, 3)).astype("float32"), rng.normal(size=(12, 2)).astype("float32")


def two_in_two_out():
    ia = gkeras.Input(shape=(3,))
    ib = gkeras.Input(shape=(2,))
    h = layers.Dense(4, activation="relu")(ia)
    c = layers.Concatenate()([h, ib])
    oa = layers.Dense(1)(c)
    ob = layers.Dense(2, activation="softmax")(c)
    return Model([ia, ib], [oa, ob])


def test_names_and_layer_order():
    model = two_in_two_out()
    assert model.name == "model"
    assert [layer.name for layer in model.layers] == [
        "input_1", "dense", "input_2", "concatenate", "dense_1", "dense_2"]
    assert model.input_names == ["input_1", "input_2"]
    assert model.output_names == ["dense_1", "dense_2"]
    second = Model(model.inputs, model.outputs)
    assert second.name == "model_1"


def test_input_output_properties():
    model = two_in_two_out()
    assert model.input_shape == [(None, 3), (None, 2)]
    assert model.output_shape == [(None, 1), (None, 2)]
    assert model.input == model.inputs and model.output == model.outputs
    dense = model.get_layer("dense")
    assert dense.input is model.inputs[0]
    assert dense.output.shape == (None, 4)
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 4)
    assert model.layers[3].input == [dense.output, model.inputs[1]]
    assert model.get_layer(index=1) is dense
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_single_io_model_properties():
    x = gkeras.Input((5,), name="x_in")
    y = layers.Dense(2)(x)
    model = Model(inputs=x, outputs=y)
    assert model.input is x and model.output is y
    assert model.input_shape == (None, 5) and model.output_shape == (None, 2)
    assert model.layers[0].name == "x_in"


def test_multi_io_fit_predict_returns_list(data):
    xa, xb = data
    model = two_in_two_out()
    model.compile("sgd", ["mse", "categorical_crossentropy"])
    ya = xa[:, :1]
    yb = numpy.eye(2, dtype="float32")[(xb[:, 0] > 0).astype(int)]
    hist = model.fit([xa, xb], [ya, yb], epochs=2, batch_size=5, verbose=0)
    assert list(hist.history) == ["loss", "dense_1_loss", "dense_2_loss"]
    pred = model.predict([xa, xb], batch_size=5, verbose=0)
    assert isinstance(pred, list) and [p.shape for p in pred] == [(12, 1), (12, 2)]
    out = model.predict_on_batch([xa, xb])
    assert isinstance(out, list)
    numpy.testing.assert_allclose(out[1], pred[1], rtol=1e-5, atol=1e-6)
    eager = model([xa, xb])
    numpy.testing.assert_allclose(numpy.asarray(eager[0]), pred[0], rtol=1e-5, atol=1e-6)


def test_shared_layer_nodes(data):
    xa, _ = data
    a = gkeras.Input((3,))
    b = gkeras.Input((3,))
    shared = layers.Dense(2, name="shared")
    oa, ob = shared(a), shared(b)
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = shared.output
    with pytest.raises(AttributeError, match="get_input_at"):
        _ = shared.input
    assert shared.get_output_at(0) is oa and shared.get_output_at(1) is ob
    assert shared.get_input_at(1) is b
    assert shared.get_output_shape_at(1) == (None, 2)
    model = Model([a, b], layers.Subtract()([oa, ob]))
    assert [layer.name for layer in model.layers].count("shared") == 1
    assert len(model.weights) == 2
    out = model.predict([xa, xa], verbose=0)
    numpy.testing.assert_allclose(out, numpy.zeros((12, 2)), atol=1e-6)


def test_shared_layer_trains_once_per_step(data):
    xa, _ = data
    a, b = gkeras.Input((3,)), gkeras.Input((3,))
    shared = layers.Dense(1, use_bias=False, kernel_initializer="ones")
    model = Model([a, b], layers.add([shared(a), shared(b)]))
    model.compile(gkeras.optimizers.SGD(learning_rate=0.01), "mse")
    w0 = shared.get_weights()[0]
    y = numpy.zeros((12, 1), "float32")
    model.train_on_batch([xa, 2 * xa], y)
    # d/dw mean((x.w + 2x.w)^2) = 2 * mean(3x.w * 3x)
    pred = 3 * xa @ w0
    grad = 2 * (3 * xa).T @ pred / 12
    numpy.testing.assert_allclose(shared.get_weights()[0], w0 - 0.01 * grad, rtol=1e-5)


def test_nested_model_trains_and_updates_inner_weights(rng):
    inner_in = gkeras.Input((4,))
    inner = Model(inner_in, layers.Dense(3, activation="tanh")(inner_in), name="inner")
    x = gkeras.Input((4,))
    outer = Model(x, layers.Dense(1)(inner(x)))
    assert [layer.name for layer in outer.layers] == ["input_2", "inner", "dense_1"]
    assert len(outer.trainable_weights) == 4
    outer.compile("sgd", "mse")
    X = rng.normal(size=(16, 4)).astype("float32")
    Y = rng.normal(size=(16, 1)).astype("float32")
    before = inner.get_weights()
    first = outer.evaluate(X, Y, verbose=0)
    outer.fit(X, Y, epochs=5, batch_size=4, verbose=0)
    assert all(not numpy.array_equal(a, b) for a, b in zip(before, inner.get_weights()))
    assert outer.evaluate(X, Y, verbose=0) < first
    # the inner model still works on its own and agrees with the outer graph
    h = inner.predict(X, verbose=0)
    w, b = outer.layers[-1].get_weights()
    numpy.testing.assert_allclose(outer.predict(X, verbose=0), h @ w + b, rtol=1e-5, atol=1e-6)


def test_nested_model_frozen(rng):
    inner_in = gkeras.Input((4,))
    inner = Model(inner_in, layers.Dense(3)(inner_in))
    inner.trainable = False
    x = gkeras.Input((4,))
    outer = Model(x, layers.Dense(1)(inner(x)))
    assert len(outer.trainable_weights) == 2 and len(outer.non_trainable_weights) == 2
    outer.compile("sgd", "mse")
    before = inner.get_weights()
    outer.fit(rng.normal(size=(8, 4)).astype("float32"), numpy.ones((8, 1), "float32"),
              verbose=0)
    for a, b in zip(before, inner.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_sequential_inside_functional(rng):
    seq = gkeras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    x = gkeras.Input((4,))
    model = Model(x, layers.Activation("softmax")(seq(x)))
    X = rng.normal(size=(5, 4)).astype("float32")
    logits = seq.predict(X, verbose=0)
    e = numpy.exp(logits - logits.max(1, keepdims=True))
    numpy.testing.assert_allclose(model.predict(X, verbose=0), e / e.sum(1, keepdims=True),
                                  rtol=1e-5)


def assert_same_predictions(a, b, x):
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    for u, v in zip(pa if isinstance(pa, list) else [pa], pb if isinstance(pb, list) else [pb]):
        numpy.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)


def test_functional_config_round_trip(data):
    model = two_in_two_out()
    config = model.get_config()
    assert list(config) == ["name", "layers", "input_layers", "output_layers"]
    assert config["input_layers"] == [["input_1", 0, 0], ["input_2", 0, 0]]
    assert config["output_layers"] == [["dense_1", 0, 0], ["dense_2", 0, 0]]
    concat = [c for c in config["layers"] if c["name"] == "concatenate"][0]
    assert concat["inbound_nodes"] == [[["dense", 0, 0, {}], ["input_2", 0, 0, {}]]]
    json.dumps(config)
    clone = Model.from_config(config)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    assert_same_predictions(model, clone, list(data))


def test_config_round_trip_with_shared_and_nested(data):
    xa, _ = data
    inner_in = gkeras.Input((3,))
    inner = Model(inner_in, layers.Dense(3, activation="relu")(inner_in), name="inner")
    a, b = gkeras.Input((3,)), gkeras.Input((3,))
    shared = layers.Dense(3, name="shared")
    out = layers.add([inner(shared(a)), inner(shared(b))])
    model = Model([a, b], layers.Dense(1)(out))
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    assert_same_predictions(model, clone, [xa, xa[::-1]])


def test_to_json_and_model_from_json(data):
    model = two_in_two_out()
    text = model.to_json()
    parsed = json.loads(text)
    assert parsed["class_name"] == "Functional"
    assert parsed["backend"] == "gkeras" and "keras_version" in parsed
    clone = model_from_json(text)
    assert isinstance(clone, Model)
    clone.set_weights(model.get_weights())
    assert_same_predictions(model, clone, list(data))
    clone2 = model_from_config({"class_name": "Model", "config": model.get_config()})
    clone2.set_weights(model.get_weights())
    assert_same_predictions(model, clone2, list(data))


def test_model_from_json_reads_tf_keras_functional_config(rng):
    """The verbatim tf-keras 2.21 get_config of docs/keras_reference.md section 4."""
    config = {"name": "model", "trainable": True, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {
            "batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
            "ragged": False, "name": "input_1", "optional": False},
         "registered_name": None, "name": "input_1", "inbound_nodes": []},
        {"module": "keras.layers", "class_name": "Dense", "config": {
            "name": "dense", "trainable": True, "dtype": "float32", "units": 4,
            "activation": "relu", "use_bias": True,
            "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                   "config": {"seed": None}, "registered_name": None},
            "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                                 "config": {}, "registered_name": None},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None},
         "registered_name": None, "build_config": {"input_shape": [None, 3]},
         "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}
    text = json.dumps({"class_name": "Functional", "config": config,
                       "keras_version": "2.21.0", "backend": "tensorflow"})
    model = model_from_json(text)
    assert [layer.name for layer in model.layers] == ["input_1", "dense"]
    x = rng.normal(size=(2, 3)).astype("float32")
    k, b = model.get_weights()
    numpy.testing.assert_allclose(model.predict(x, verbose=0), numpy.maximum(x @ k + b, 0),
                                  rtol=1e-6)


def test_graph_disconnected_error():
    a, b = gkeras.Input((2,)), gkeras.Input((2,))
    out = layers.Add()([layers.Dense(2)(a), b])
    with pytest.raises(ValueError, match="Graph disconnected") as e:
        Model(a, out)
    assert "input_2" in str(e.value)


def test_duplicate_layer_names_error():
    x = gkeras.Input((2,))
    y = layers.Dense(1, name="dup")(layers.Dense(1, name="dup")(x))
    with pytest.raises(ValueError, match='name "dup" is used 2 times in the model') as e:
        Model(x, y)
    assert "unique" in str(e.value)


def test_model_inputs_must_be_input_tensors():
    x = gkeras.Input((2,))
    h = layers.Dense(2)(x)
    with pytest.raises(ValueError, match="Input"):
        Model(h, layers.Dense(1)(h))
    with pytest.raises(ValueError, match="symbolic tensors"):
        Model(x, numpy.zeros((1, 2)))


def test_model_called_on_new_input_reuses_weights(rng):
    x = gkeras.Input((3,))
    base = Model(x, layers.Dense(2)(x))
    y = gkeras.Input((3,))
    wrapped = Model(y, base(y))
    X = rng.normal(size=(4, 3)).astype("float32")
    numpy.testing.assert_allclose(wrapped.predict(X, verbose=0), base.predict(X, verbose=0))
    assert wrapped.count_params() == base.count_params() == 8


def test_learning_phase_free_after_clear_session():
    K.clear_session()
    assert layers.Dense(1).name == "dense"
    assert gkeras.Input((1,)).name == "input_1"
