"""Config round trips of Lambda layers, and the safe-mode rule for stored code."""
import numpy
import pytest

import gkeras as keras
from gkeras import backend as K
from gkeras.layers import Lambda
from gkeras.saving import serialization


def double(x):
    return x * 2.0


def test_lambda_with_python_lambda_round_trips_in_memory():
    layer = Lambda(lambda t: t * 3.0 + 1.0, name="affine")
    config = layer.get_config()
    assert config["function_type"] == "lambda"
    clone = Lambda.from_config(config)
    x = numpy.arange(6, dtype="float32").reshape(2, 3)
    numpy.testing.assert_allclose(clone(x).numpy(), x * 3.0 + 1.0)


def test_lambda_bytecode_is_refused_in_safe_mode():
    config = Lambda(lambda t: t + 1.0, name="plus_one").get_config()
    with serialization.safe_mode():
        with pytest.raises(ValueError, match=r"Refusing to load Lambda layer 'plus_one'.*"
                                             r"safe_mode=False"):
            Lambda.from_config(config)


def test_named_function_resolves_through_custom_objects_in_safe_mode():
    config = Lambda(double).get_config()
    assert config["function"] == "double" and config["function_type"] == "function"
    with serialization.safe_mode():
        with pytest.raises(ValueError, match="double.*custom_objects"):
            Lambda.from_config(config)
        layer = Lambda.from_config(config, custom_objects={"double": double})
    numpy.testing.assert_allclose(layer(numpy.ones((1, 2), "float32")).numpy(), [[2.0, 2.0]])


def test_safe_mode_never_imports_what_a_config_names():
    """A hostile config naming os.system must not resolve to it."""
    config = {"name": "evil", "function": "system", "function_type": "function",
              "module": "os", "arguments": {}}
    with serialization.safe_mode():
        with pytest.raises(ValueError, match="system"):
            Lambda.from_config(config)


def test_backend_functions_resolve_by_name_in_safe_mode():
    config = {"name": "s", "function": "square", "function_type": "function",
              "module": "gkeras.backend", "arguments": {}}
    with serialization.safe_mode():
        layer = Lambda.from_config(config)
    assert layer.function is K.square


def test_lambda_output_shape_inferred_and_given():
    inp = keras.Input((3,))
    assert Lambda(lambda t: K.sum(t, axis=-1, keepdims=True))(inp).shape == (None, 1)
    assert Lambda(lambda t: t[:, :2], output_shape=(2,))(inp).shape == (None, 2)


def test_lambda_in_a_model_is_differentiated():
    """Arithmetic written inside a Lambda is recorded on the tape (gradient reaches Dense)."""
    model = keras.Sequential([keras.layers.Dense(2, input_dim=2, kernel_initializer="ones"),
                              Lambda(lambda t: t * 0.5 + K.square(t))])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = model.get_weights()[0].copy()
    model.train_on_batch(numpy.ones((4, 2), "float32"), numpy.zeros((4, 2), "float32"))
    assert not numpy.allclose(model.get_weights()[0], before)


def test_model_to_dict_names_functional_class():
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Dense(1)(inp))
    d = serialization.model_to_dict(model)
    assert d["class_name"] == "Functional" and d["backend"] == "gkeras"
    clone = keras.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Dense"]
