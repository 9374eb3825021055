"""Core layers against tf-keras 2.21 outputs and configs (tests/reference/core_reference.*)."""
import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.layers import core

from .layer_test_utils import assert_config_matches_keras, layer_test, reference_layer_case

CORE_CASES = {
    "dense_relu_2d": (layers.Dense, dict(units=3, activation="relu")),
    "dense_nobias_softmax_2d": (layers.Dense, dict(units=3, activation="softmax",
                                                   use_bias=False)),
    "dense_linear_3d": (layers.Dense, dict(units=3)),
    "dense_relu_3d": (layers.Dense, dict(units=3, activation="relu")),
    "flatten": (layers.Flatten, {}),
    "reshape": (layers.Reshape, dict(target_shape=(2, -1))),
    "permute": (layers.Permute, dict(dims=(2, 1))),
    "repeatvector": (layers.RepeatVector, dict(n=3)),
    "activation_tanh": (layers.Activation, dict(activation="tanh")),
    "dropout_inference": (layers.Dropout, dict(rate=0.5)),
}


@pytest.mark.parametrize("case", sorted(CORE_CASES))
def test_forward_matches_keras(case):
    cls, kwargs = CORE_CASES[case]
    x, weights, y, _ = reference_layer_case(case)
    layer = cls(**kwargs)
    layer.build((None,) + x.shape[1:])
    if weights:
        layer.set_weights(weights)
    out = layer(x, training=False) if cls is layers.Dropout else layer(x)
    assert out.shape == y.shape
    numpy.testing.assert_allclose(numpy.asarray(out), y, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CORE_CASES))
def test_layer_test_helper(case):
    cls, kwargs = CORE_CASES[case]
    x, weights, y, meta = reference_layer_case(case)
    expected_shape = (None,) + tuple(meta["output_shape"][1:])
    layer_test(cls, kwargs, input_data=x, weights=weights or None, expected_output=y,
               expected_output_shape=expected_shape)


@pytest.mark.parametrize("case", sorted(CORE_CASES))
def test_config_matches_keras(case):
    cls, kwargs = CORE_CASES[case]
    _, _, _, meta = reference_layer_case(case)
    assert meta["class_name"] == cls.__name__
    assert_config_matches_keras(cls(**kwargs).get_config(), meta["config"])


def test_dense_config_with_input_shape_has_batch_input_shape():
    cfg = layers.Dense(3, input_shape=(4,)).get_config()
    assert list(cfg)[:4] == ["name", "trainable", "dtype", "batch_input_shape"]
    assert list(cfg["batch_input_shape"]) == [None, 4]
    assert cfg["activation"] == "linear"
    assert "batch_input_shape" not in layers.Dense(3).get_config()


def test_dense_formula_and_weights():
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(6, 4)).astype("float32")
    layer = layers.Dense(3, activation="tanh")
    y = numpy.asarray(layer(x))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    assert [w.name for w in layer.weights] == ["dense/kernel:0", "dense/bias:0"]
    numpy.testing.assert_allclose(y, numpy.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
    assert not bias.any()  # 'zeros' initializer
    limit = numpy.sqrt(6.0 / (4 + 3))  # glorot_uniform
    assert numpy.abs(kernel).max() <= limit


def test_dense_callable_activation_and_count_params():
    layer = layers.Dense(2, activation=lambda t: t * 2.0, use_bias=False)
    x = numpy.ones((1, 3), "float32")
    y = numpy.asarray(layer(x))
    numpy.testing.assert_allclose(y, 2.0 * x @ layer.get_weights()[0], rtol=1e-6)
    assert layer.count_params() == 6


def test_dense_weights_kwarg_sets_initial_weights():
    w = [numpy.full((3, 2), 0.5, "float32"), numpy.array([1.0, -1.0], "float32")]
    layer = layers.Dense(2, weights=w)
    y = numpy.asarray(layer(numpy.ones((1, 3), "float32")))
    numpy.testing.assert_allclose(y, [[2.5, 0.5]])


def test_dense_3d_symbolic_shape():
    x = gkeras.Input((7, 5))
    assert layers.Dense(3)(x).shape == (None, 7, 3)


def test_dropout_training_drops_and_scales():
    gkeras.utils.set_random_seed(0)
    x = numpy.ones((200, 50), "float32")
    layer = layers.Dropout(0.3)
    y = numpy.asarray(layer(x, training=True))
    kept = y != 0
    assert 0.6 < kept.mean() < 0.8
    numpy.testing.assert_allclose(y[kept], 1.0 / 0.7, rtol=1e-6)
    numpy.testing.assert_array_equal(numpy.asarray(layer(x, training=False)), x)
    numpy.testing.assert_array_equal(numpy.asarray(layer(x)), x)  # default: inference


def test_dropout_noise_shape_shares_mask():
    gkeras.utils.set_random_seed(1)
    x = numpy.ones((4, 6, 5), "float32")
    y = numpy.asarray(layers.Dropout(0.5, noise_shape=(None, 1, 5))(x, training=True))
    assert (y == y[:, :1, :]).all()


def test_flatten_channels_first_order():
    x = numpy.arange(2 * 3 * 2 * 2, dtype="float32").reshape(2, 3, 2, 2)
    y = numpy.asarray(layers.Flatten(data_format="channels_first")(x))
    numpy.testing.assert_array_equal(y, x.transpose(0, 2, 3, 1).reshape(2, -1))
    numpy.testing.assert_array_equal(numpy.asarray(layers.Flatten()(x)), x.reshape(2, -1))


def test_reshape_infers_minus_one_symbolically():
    x = gkeras.Input((3, 4))
    assert layers.Reshape((-1, 2))(x).shape == (None, 6, 2)
    assert layers.Reshape((12,))(x).shape == (None, 12)


def test_permute_and_repeat_vector_symbolic_shapes():
    assert layers.Permute((3, 1, 2))(gkeras.Input((2, 3, 4))).shape == (None, 4, 2, 3)
    assert layers.RepeatVector(5)(gkeras.Input((4,))).shape == (None, 5, 4)


def test_activation_layer_by_name_and_by_function():
    x = numpy.array([[-1.0, 0.5]], "float32")
    numpy.testing.assert_allclose(numpy.asarray(layers.Activation("relu")(x)), [[0.0, 0.5]])
    cfg = layers.Activation(gkeras.activations.sigmoid).get_config()
    assert cfg["activation"] == "sigmoid"


def test_keras2_import_paths():
    assert layers.core.Dense is layers.Dense is core.Dense
    assert gkeras.layers.Dropout is core.Dropout


def test_auto_names_follow_keras():
    names = [cls().name if not kwargs else cls(**kwargs).name for cls, kwargs in [
        (layers.Activation, dict(activation="relu")), (layers.Dropout, dict(rate=0.1)),
        (layers.Flatten, {}), (layers.Reshape, dict(target_shape=(1,))),
        (layers.Permute, dict(dims=(1,))), (layers.RepeatVector, dict(n=2)),
        (layers.Dense, dict(units=1)), (layers.Dense, dict(units=1))]]
    assert names == ["activation", "dropout", "flatten", "reshape", "permute",
                     "repeat_vector", "dense", "dense_1"]
    assert layers.Dense(1, name="dense_5").name == "dense_5"
    assert layers.Dense(1).name == "dense_2"  # explicit names do not use up a number


def test_lambda_layer_in_memory_config_round_trip():
    layer = layers.Lambda(lambda t: t * 2.0)
    x = numpy.ones((2, 3), "float32")
    clone = layers.Lambda.from_config(layer.get_config())
    numpy.testing.assert_allclose(numpy.asarray(clone(x)), 2.0 * x)
    inp = gkeras.Input((3,))
    model = gkeras.Model(inp, layer(inp))
    clone = gkeras.Model.from_config(model.get_config())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), 2.0 * x)


def test_relu_layers_fuse_bias_and_relu_with_the_unfused_values():
    from gkeras import ops
    from gkeras.ops import conv as ops_conv
    from gkeras.ops import nn as ops_nn

    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((3, 6, 5, 2)).astype(numpy.float32)
    # Conv applies bias and relu inside the convolution op; Dense in one BiasAdd op
    for layer, op in ((layers.Conv2D(4, 3, activation="relu", bias_initializer="ones"),
                       ops_conv.Conv),
                      (layers.Dense(4, activation="relu", bias_initializer="ones"),
                       ops_nn.BiasAdd)):
        applied = []
        original = op.forward

        def spy(self, xp, *args, applied=applied, original=original):
            applied.append(self.relu)
            return original(self, xp, *args)

        op.forward = spy
        try:
            y = layer(gkeras.backend.constant(x)).numpy()
        finally:
            op.forward = original
        assert applied == [True]
        z = (ops.conv2d(x, layer.kernel) if isinstance(layer, layers.Conv2D)
             else ops.dot(x, layer.kernel))
        numpy.testing.assert_array_equal(y, numpy.maximum(ops.bias_add(z, layer.bias).numpy(), 0))
    # other activations keep the generic path (softmax still remembers its logits)
    dense = layers.Dense(3, activation="softmax")
    out = dense(gkeras.backend.constant(x[:, 0, 0, :]))
    assert out._keras_logits is not None
