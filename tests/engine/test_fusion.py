"""gkeras.engine.fusion: a layer followed by Activation('relu') runs as one op."""
import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.ops import activations as ops_activations


@pytest.fixture
def relu_calls(monkeypatch):
    """Counts the separate ReLU ops that run (fused pairs run none)."""
    calls = []
    original = ops_activations.ReLU.forward

    def spy(self, xp, x):
        calls.append(x.shape)
        return original(self, xp, x)

    monkeypatch.setattr(ops_activations.ReLU, "forward", spy)
    return calls


def _pair_model(first, **kwargs):
    inputs = gkeras.Input((6, 6, 2))
    return gkeras.Model(inputs, layers.Activation("relu")(first(inputs)), **kwargs)


def _conv(name="conv", **kwargs):
    return layers.Conv2D(3, 3, padding="same", name=name, bias_initializer="ones", **kwargs)


def _train(model, x, y, steps=3):
    model.compile(optimizer=gkeras.optimizers.SGD(0.1), loss="mse")
    for _ in range(steps):
        model.train_on_batch(x, y)
    return [w.copy() for w in model.get_weights()]


def test_conv_and_dense_pairs_fuse_and_train_bit_for_bit_as_unfused(relu_calls):
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((8, 6, 6, 2)).astype(numpy.float32)
    y = rng.standard_normal((8, 4)).astype(numpy.float32)

    def build(fuse):
        gkeras.utils.set_random_seed(1)
        model = gkeras.Sequential([
            layers.Conv2D(3, 3, padding="same", input_shape=(6, 6, 2)),
            layers.Activation("relu"), layers.Flatten(), layers.Dense(5),
            layers.Activation("relu"), layers.Dense(4)])
        if not fuse:  # the same model with the fusion switched off for every layer
            for layer in model.layers:
                layer._can_fuse_relu = lambda: False
        return model

    fused, unfused = build(True), build(False)
    out = fused.predict(x, verbose=0)
    assert relu_calls == []  # both Activation layers ran inside the conv and dense ops
    numpy.testing.assert_array_equal(out, unfused.predict(x, verbose=0))
    assert relu_calls  # the unfused model ran them
    for a, b in zip(_train(fused, x, y), _train(unfused, x, y)):
        numpy.testing.assert_array_equal(a, b)


def test_pairs_that_must_not_fuse(relu_calls):
    x = numpy.random.default_rng(0).standard_normal((2, 6, 6, 2)).astype(numpy.float32)
    # the conv output also feeds another layer
    inputs = gkeras.Input((6, 6, 2))
    h = _conv()(inputs)
    both = gkeras.Model(inputs, layers.Add()([layers.Activation("relu")(h), h]))
    # the conv output is a model output too
    h2 = _conv("conv2")(inputs)
    exported = gkeras.Model(inputs, [layers.Activation("relu")(h2), h2])
    # an activity regularizer watches the conv output
    regularized = _pair_model(lambda t: _conv("conv3", activity_regularizer="l2")(t))
    # the conv has its own (non-linear) activation
    tanh = _pair_model(lambda t: _conv("conv4", activation="tanh")(t))
    # a layer that cannot apply the relu itself
    bn = _pair_model(lambda t: layers.BatchNormalization()(t))
    for model in (both, exported, regularized, tanh, bn):
        relu_calls.clear()
        model.predict(x, verbose=0)
        assert len(relu_calls) == 1, model
    # the unfused values are what a direct computation gives
    conv = exported.get_layer("conv2")
    relu_out, conv_out = exported.predict(x, verbose=0)
    numpy.testing.assert_array_equal(relu_out, numpy.maximum(conv_out, 0))
    assert (conv_out < 0).any()
    assert conv.activation is gkeras.activations.linear


def test_a_fused_pair_keeps_the_activation_layer_and_config(relu_calls):
    model = _pair_model(lambda t: _conv()(t))
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Conv2D",
                                                                 "Activation"]
    x = numpy.ones((1, 6, 6, 2), numpy.float32)
    model.predict(x, verbose=0)
    assert relu_calls == []
    clone = gkeras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    numpy.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    # an intermediate output is still the conv's own (pre-relu) output
    probe = gkeras.Model(model.input, model.get_layer("conv").output)
    model.get_layer("conv").set_weights([-numpy.ones((3, 3, 2, 3), numpy.float32),
                                         numpy.zeros(3, numpy.float32)])
    assert (probe.predict(x, verbose=0) < 0).all()
    assert (model.predict(x, verbose=0) == 0).all()
