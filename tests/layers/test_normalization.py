"""BatchNormalization: training vs inference, when moving statistics change, freezing."""
import numpy
import pytest

import gkeras as keras
from gkeras import backend as K
from gkeras.layers import BatchNormalization, Dense, Dropout


def _model(**bn_kwargs):
    model = keras.Sequential([Dense(4, input_shape=(3,)), BatchNormalization(**bn_kwargs),
                              Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def _data(rng, n=16):
    return rng.standard_normal((n, 3)).astype("float32"), rng.standard_normal((n, 2)).astype(
        "float32")


def test_weights_order_and_names():
    bn = BatchNormalization()
    bn.build((None, 5))
    assert [w.name for w in bn.weights] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
    assert [w.trainable for w in bn.weights] == [True, True, False, False]


def test_moving_statistics_change_only_in_training_steps(rng):
    model = _model(momentum=0.5)
    x, y = _data(rng)
    bn = model.layers[1]
    start = [w.copy() for w in bn.get_weights()[2:]]
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    K.function([model.layers[0].input, K.learning_phase()], [model.layers[1].output])([x, 1])
    for before, after in zip(start, bn.get_weights()[2:]):
        numpy.testing.assert_array_equal(before, after)
    model.train_on_batch(x, y)
    assert not numpy.allclose(start[0], bn.get_weights()[2])


def test_training_uses_batch_statistics_and_inference_moving_ones(rng):
    bn = BatchNormalization(momentum=0.5, epsilon=1e-3)
    x = (rng.standard_normal((10, 3)) * 4 + 3).astype("float32")
    train_out = bn(x, training=True).numpy()
    numpy.testing.assert_allclose(train_out.mean(0), 0, atol=1e-5)
    bn.set_weights([numpy.ones(3), numpy.zeros(3), numpy.full(3, 2.0), numpy.full(3, 4.0)])
    numpy.testing.assert_allclose(bn(x).numpy(), (x - 2.0) / numpy.sqrt(4.0 + 1e-3), rtol=1e-5)


def test_frozen_layer_runs_in_inference_mode_during_fit(rng):
    model = _model(momentum=0.5)
    bn = model.layers[1]
    bn.trainable = False
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = bn.get_weights()
    x, y = _data(rng)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for a, b in zip(before, bn.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    # inference mode in fit: the loss reported equals an evaluate at the same weights
    model2 = _model()
    model2.layers[1].trainable = False
    model2.compile(keras.optimizers.SGD(0.0), "mse")
    loss = model2.train_on_batch(x, y)
    assert loss == pytest.approx(model2.evaluate(x, y, batch_size=16, verbose=0), rel=1e-6)


@pytest.mark.parametrize("shape, axis, unbiased", [((6, 3), -1, False), ((4, 2, 2, 3), -1, True),
                                                   ((4, 3, 2, 2), 1, True),
                                                   ((5, 4, 3), -1, False)])
def test_moving_variance_bias_matches_tf_keras(shape, axis, unbiased, rng):
    """tf.keras's fused kernel (4-D, axis 1 or 3) averages the unbiased variance."""
    inp = keras.Input(shape[1:])
    bn = BatchNormalization(axis=axis, momentum=0.5)
    model = keras.Model(inp, bn(inp))
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x = (rng.standard_normal(shape) * 2 + 1).astype("float32")
    model.train_on_batch(x, numpy.zeros_like(x))
    ax = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    n = numpy.prod([shape[i] for i in ax])
    var = x.var(axis=ax) * (n / (n - 1) if unbiased else 1.0)
    numpy.testing.assert_allclose(bn.get_weights()[3], 0.5 + 0.5 * var, rtol=1e-5)


def test_k_function_learning_phase_with_dropout_and_batchnorm(rng):
    model = keras.Sequential([Dense(8, input_shape=(3,)), BatchNormalization(), Dropout(0.5),
                              Dense(2)])
    x, _ = _data(rng)
    f = K.function([model.layers[0].input, K.learning_phase()], [model.layers[-1].output])
    numpy.testing.assert_allclose(f([x, 0])[0], model.predict(x, verbose=0), rtol=1e-6)
    assert not numpy.allclose(f([x, 1])[0], f([x, 0])[0])


def test_config_round_trip_and_bad_axis():
    bn = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False)
    clone = BatchNormalization.from_config(bn.get_config())
    assert (clone.momentum, clone.epsilon, clone.center, clone.axis) == (0.9, 1e-4, False, 1)
    with pytest.raises(ValueError, match="invalid axis 3"):
        BatchNormalization(axis=3).build((None, 4))
