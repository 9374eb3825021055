"""Layer: custom subclasses, add_weight, lazy build, trainable flags, specs, config."""
import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.engine import InputSpec, Layer


class Scale(Layer):
    """A custom layer: y = x * w + b with w per feature, b a non-trainable offset."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
        self.builds = 0

    def build(self, input_shape):
        self.builds += 1
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")
        self.b = self.add_weight("b", (), initializer="zeros", trainable=False)
        self.b.assign(numpy.float32(self.offset))
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.w + self.b

    def get_config(self):
        cfg = super().get_config()
        cfg["offset"] = self.offset
        return cfg


class MyBlock(Layer):
    pass


def test_custom_layer_name_build_and_weights():
    layer = Scale(offset=1.5)
    assert layer.name == "scale" and not layer.built
    assert MyBlock().name == "my_block"
    x = numpy.array([[1.0, 2.0, 3.0]], "float32")
    numpy.testing.assert_allclose(numpy.asarray(layer(x)), x + 1.5)
    layer(x)
    assert layer.builds == 1 and layer.built
    assert [w.name for w in layer.weights] == ["scale/w:0", "scale/b:0"]
    assert [w.name for w in layer.trainable_weights] == ["scale/w:0"]
    assert [w.name for w in layer.non_trainable_weights] == ["scale/b:0"]
    assert layer.count_params() == 4


def test_custom_layer_trains_in_a_model(rng):
    x = gkeras.Input((3,))
    model = gkeras.Model(x, Scale()(x))
    model.compile(gkeras.optimizers.SGD(learning_rate=0.5), "mse")
    data = rng.normal(size=(32, 3)).astype("float32")
    model.fit(data, 2.0 * data, epochs=30, batch_size=32, verbose=0)
    w, b = model.layers[1].get_weights()
    numpy.testing.assert_allclose(w, [2.0, 2.0, 2.0], atol=1e-2)
    assert b == 0.0  # non-trainable


def test_custom_layer_config_round_trip():
    layer = Scale(offset=0.25, name="s")
    clone = Scale.from_config(layer.get_config())
    assert clone.name == "s" and clone.offset == 0.25
    config = layer.get_config()
    assert list(config)[:3] == ["name", "trainable", "dtype"]
    assert config["dtype"] == "float32"
    x = gkeras.Input((2,))
    model = gkeras.Model(x, Scale(offset=0.5)(x))
    with gkeras.utils.custom_object_scope({"Scale": Scale}):
        clone_model = gkeras.Model.from_config(model.get_config())
    data = numpy.ones((2, 2), "float32")
    numpy.testing.assert_allclose(clone_model.predict(data, verbose=0), data + 0.5)
    with pytest.raises(ValueError, match="Scale"):
        gkeras.Model.from_config(model.get_config())


def test_trainable_false_at_construction_and_after():
    frozen = layers.Dense(2, trainable=False)
    frozen.build((None, 3))
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2
    assert frozen.get_config()["trainable"] is False
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.weights) == 2
    layer.trainable = True
    assert len(layer.trainable_weights) == 2


def test_set_weights_checks_count_and_shape():
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match="expecting 2 weights") as e:
        layer.set_weights([numpy.zeros((3, 2))])
    assert "length 1" in str(e.value) and "dense" in str(e.value)
    with pytest.raises(ValueError, match=r"weight shape \(3, 2\) is not compatible with "
                                         r"provided weight shape \(3, 3\)"):
        layer.set_weights([numpy.zeros((3, 3)), numpy.zeros(2)])


def test_count_params_unbuilt():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2).count_params()


def test_input_spec_errors():
    dense = layers.Dense(2)
    dense(numpy.zeros((1, 4), "float32"))
    with pytest.raises(ValueError, match=r'Input 0 of layer "dense" is incompatible with the '
                                         r"layer: expected axis -1 of input shape to have value "
                                         r"4, but received input with shape \(1, 5\)"):
        dense(numpy.zeros((1, 5), "float32"))
    with pytest.raises(ValueError, match=r"expected min_ndim=2, found ndim=1"):
        layers.Dense(2)(numpy.zeros((3,), "float32"))
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3"):
        layers.RepeatVector(2)(gkeras.Input((2, 3)))


def test_custom_input_spec():
    class NeedsRank3(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = InputSpec(ndim=3)

    with pytest.raises(ValueError, match='layer "needs_rank3".*expected ndim=3, found ndim=2'):
        NeedsRank3()(gkeras.Input((4,)))


def test_unknown_keyword_argument():
    with pytest.raises(TypeError, match="Keyword argument not understood.*foo"):
        layers.Dense(2, foo=1)


def test_training_argument_reaches_call():
    seen = []

    class Probe(Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    x = gkeras.Input((2,))
    model = gkeras.Model(x, Probe()(x))
    model.compile("sgd", "mse")
    data = numpy.ones((2, 2), "float32")
    model.predict(data, verbose=0)
    model.evaluate(data, data, verbose=0)
    model.train_on_batch(data, data)
    assert seen == [False, False, True]


def test_symbolic_call_records_nodes():
    x = gkeras.Input((3,))
    layer = layers.Dense(2)
    y = layer(x)
    assert y.shape == (None, 2) and y.dtype == "float32"
    assert layer.input is x and layer.output is y
    assert y._keras_history[0] is layer
    assert gkeras.engine.get_source_inputs(y) == [x]
    with pytest.raises(TypeError, match="no length"):
        len(y)


def test_mixed_symbolic_and_eager_inputs():
    with pytest.raises(ValueError, match="mix of symbolic tensors and data"):
        layers.Add()([gkeras.Input((2,)), numpy.zeros((1, 2), "float32")])


def test_weight_regularizer_adds_to_loss():
    x = gkeras.Input((2,))
    dense = layers.Dense(1, kernel_regularizer=gkeras.regularizers.l2(0.5),
                         kernel_initializer="ones", use_bias=False)
    model = gkeras.Model(x, dense(x))
    model.compile("sgd", "mse")
    data = numpy.zeros((4, 2), "float32")
    # mse is 0 on zero inputs/targets; the penalty is 0.5 * sum(w^2) = 1.0
    assert model.evaluate(data, data[:, :1], verbose=0) == pytest.approx(1.0)
