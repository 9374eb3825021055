"""K.function, K.learning_phase, K.set_learning_phase and clear_session."""
import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers


@pytest.fixture
def model():
    return gkeras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                              layers.Dropout(0.5), layers.Dense(6, activation="tanh"),
                              layers.Dense(3, activation="relu"), layers.Dense(2)])


@pytest.fixture
def x(rng):
    return rng.normal(size=(16, 4)).astype("float32")


def test_intermediate_output_matches_predict(model, x):
    get_3rd_layer_output = K.function([model.layers[0].input], [model.layers[3].output])
    out = get_3rd_layer_output([x])
    assert isinstance(out, list) and len(out) == 1
    assert isinstance(out[0], numpy.ndarray) and out[0].shape == (16, 3)
    sub = gkeras.Model(model.input, model.layers[3].output)
    numpy.testing.assert_allclose(out[0], sub.predict(x, verbose=0), rtol=1e-6)
    # the last layer's output is the model's prediction
    last = K.function([model.input], [model.output])([x])[0]
    numpy.testing.assert_allclose(last, model.predict(x, verbose=0), rtol=1e-6)


def test_k_function_can_be_called_repeatedly(model, x):
    """K.function must stay a function after first use (not shadowed by a submodule)."""
    f1 = K.function([model.input], [model.layers[0].output])
    f2 = K.function([model.input], [model.layers[2].output])
    assert callable(K.function)
    numpy.testing.assert_array_equal(f1([x])[0], f1([x])[0])
    assert f2([x])[0].shape == (16, 6)


def test_several_outputs_and_single_tensor_forms(model, x):
    f = K.function([model.input], [model.layers[0].output, model.layers[4].output])
    a, b = f([x])
    assert a.shape == (16, 8) and b.shape == (16, 2)
    single = K.function(model.input, model.layers[0].output)
    numpy.testing.assert_allclose(single(x), a, rtol=1e-6)


def test_learning_phase_as_extra_input(model, x):
    """Keras 2.0 idiom: 0 = test mode (Dropout off), 1 = train mode (Dropout on)."""
    gkeras.utils.set_random_seed(0)
    f = K.function([model.layers[0].input, K.learning_phase()], [model.layers[3].output])
    test_mode = f([x, 0])[0]
    train_mode = f([x, 1])[0]
    sub = gkeras.Model(model.input, model.layers[3].output)
    numpy.testing.assert_allclose(test_mode, sub.predict(x, verbose=0), rtol=1e-6)
    assert not numpy.allclose(train_mode, test_mode)
    dropped = K.function([model.input, K.learning_phase()], [model.layers[1].output])
    relu = K.function([model.input], [model.layers[0].output])([x])[0]
    phase0 = dropped([x, 0])[0]
    phase1 = dropped([x, 1])[0]
    numpy.testing.assert_array_equal(phase0, relu)
    assert (phase1 == 0).sum() > (relu == 0).sum()
    kept = phase1 != 0
    numpy.testing.assert_allclose(phase1[kept], relu[kept] * 2.0, rtol=1e-6)


def test_set_learning_phase(model, x):
    relu = K.function([model.input], [model.layers[0].output])([x])[0]
    f = K.function([model.input], [model.layers[1].output])
    numpy.testing.assert_array_equal(f([x])[0], relu)  # default: test mode
    K.set_learning_phase(1)
    assert K.learning_phase() == 1
    assert (f([x])[0] == 0).sum() > (relu == 0).sum()
    # a layer called directly follows the phase too
    assert (numpy.asarray(model.layers[1](relu)) == 0).sum() > (relu == 0).sum()
    K.set_learning_phase(0)
    assert K.learning_phase() == 0
    numpy.testing.assert_array_equal(f([x])[0], relu)
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(2)


def test_predict_and_fit_ignore_global_learning_phase(model, x):
    """As in tf-keras, predict always runs in inference mode and fit in training mode."""
    expected = model.predict(x, verbose=0)
    K.set_learning_phase(1)
    numpy.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


def test_clear_session_resets_names_and_learning_phase():
    assert layers.Dense(1).name == "dense"
    assert layers.Dense(1).name == "dense_1"
    K.set_learning_phase(1)
    K.clear_session()
    assert layers.Dense(1).name == "dense"
    assert gkeras.Input((1,)).name == "input_1"
    assert gkeras.Sequential().name == "sequential"
    assert K.learning_phase() is not None and K.learning_phase() not in (0, 1)


def test_k_function_errors(model, x):
    with pytest.raises(ValueError, match="symbolic tensors"):
        K.function([x], [model.output])
    f = K.function([model.input], [model.output])
    with pytest.raises(ValueError, match="expects 1 input values"):
        f([x, x])
    with pytest.raises(ValueError, match=r"shape \(16, 5\), expected \(None, 4\)"):
        f([numpy.zeros((16, 5), "float32")])
    other = gkeras.Input((4,))
    g = K.function([other], [model.output])
    with pytest.raises(ValueError, match="no value was fed"):
        g([x])


def test_k_function_on_functional_model_inner_layers(rng):
    a, b = gkeras.Input((3,)), gkeras.Input((2,))
    h = layers.Dense(4)(a)
    out = layers.Dense(1)(layers.concatenate([h, b]))
    model = gkeras.Model([a, b], out)
    xa = rng.normal(size=(5, 3)).astype("float32")
    xb = rng.normal(size=(5, 2)).astype("float32")
    f = K.function(model.inputs, [model.layers[1].output, model.output])
    hidden, final = f([xa, xb])
    w, bias = model.layers[1].get_weights()
    numpy.testing.assert_allclose(hidden, xa @ w + bias, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(final, model.predict([xa, xb], verbose=0), rtol=1e-6)
    only_a = K.function([a], [h])([xa])[0]  # a sub-graph needing only one input
    numpy.testing.assert_allclose(only_a, hidden, rtol=1e-6)


def test_k_value_helpers():
    v = K.variable(numpy.array([1.0, 2.0]))
    assert v.dtype == numpy.float32
    numpy.testing.assert_array_equal(K.get_value(v), [1.0, 2.0])
    K.set_value(v, [3.0, 4.0])
    numpy.testing.assert_array_equal(K.eval(v), [3.0, 4.0])
    assert K.backend() == "gkeras"
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    assert K.image_data_format() == "channels_last"
