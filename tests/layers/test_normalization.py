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


def test_several_axes_keep_the_input_rank_in_parameter_shapes():
    """tf.keras: axis=[1, 2] on (N, 4, 3) gives parameters of shape (1, 4, 3)."""
    bn = BatchNormalization(axis=[1, 2])
    bn.build((None, 4, 3))
    assert [w.shape for w in bn.weights] == [(1, 4, 3)] * 4
    assert bn.get_config()["axis"] == [1, 2]
    x = numpy.arange(24, dtype="float32").reshape(2, 4, 3)
    numpy.testing.assert_allclose(bn(x).numpy(), x / numpy.sqrt(1 + 1e-3), rtol=1e-6)
    single = BatchNormalization(axis=-2)
    single.build((None, 4, 3))
    assert [w.shape for w in single.weights] == [(4,)] * 4
    assert single.get_config()["axis"] == [1]


def test_direct_training_call_updates_but_k_function_does_not(rng):
    """tf.keras updates moving statistics in eager `layer(x, training=True)` calls; Keras
    2's K.function runs no updates, even in the training phase."""
    x = (rng.standard_normal((8, 3)) * 2 + 1).astype("float32")
    inp = keras.Input((3,))
    bn = BatchNormalization(momentum=0.5)
    out = bn(inp)
    f = K.function([inp, K.learning_phase()], [out])
    y1 = f([x, 1])[0]
    numpy.testing.assert_allclose(y1.mean(0), 0, atol=1e-5)  # batch statistics
    numpy.testing.assert_array_equal(bn.get_weights()[2], numpy.zeros(3))
    bn(x, training=True)
    numpy.testing.assert_allclose(bn.get_weights()[2], 0.5 * x.mean(0), rtol=1e-5)
    numpy.testing.assert_allclose(bn.get_weights()[3], 0.5 + 0.5 * x.var(0), rtol=1e-5)
    keras.Model(inp, out)(x, training=True)  # through a model: one more update
    numpy.testing.assert_allclose(bn.get_weights()[2], 0.75 * x.mean(0), rtol=1e-5)


def test_frozen_layer_ignores_training_true(rng):
    bn = BatchNormalization(momentum=0.5)
    x = (rng.standard_normal((8, 3)) * 2 + 1).astype("float32")
    bn.build((None, 3))
    bn.trainable = False
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    numpy.testing.assert_allclose(bn(x, training=True).numpy(), x / numpy.sqrt(1 + 1e-3),
                                  rtol=1e-6)
    numpy.testing.assert_array_equal(bn.get_weights()[2:], [numpy.zeros(3), numpy.ones(3)])


def test_trainable_flag_changed_after_compile_waits_for_compile(rng):
    """Freezing BN after compile changes nothing until the next compile (tf.keras)."""
    model = _model(momentum=0.5)
    bn = model.layers[1]
    bn.trainable = False  # no recompile: still trains, still in training mode
    x, y = _data(rng)
    before = bn.get_weights()
    with pytest.warns(UserWarning, match="Discrepancy between trainable weights"):
        model.fit(x, y, batch_size=16, verbose=0)
    assert bn.trainable is False  # the user's flag is back after fit
    assert all(not numpy.array_equal(a, b) for a, b in zip(before, bn.get_weights()))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = bn.get_weights()
    model.fit(x, y, batch_size=16, verbose=0)
    for a, b in zip(before, bn.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_center_scale_and_momentum_epsilon(rng):
    x = (rng.standard_normal((10, 2)) * 3 - 1).astype("float32")
    bn = BatchNormalization(center=False, scale=False, momentum=0.8, epsilon=0.5)
    out = bn(x, training=True).numpy()
    assert bn.weights == [bn.moving_mean, bn.moving_variance]
    numpy.testing.assert_allclose(out, (x - x.mean(0)) / numpy.sqrt(x.var(0) + 0.5),
                                  rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(bn.get_weights()[0], 0.2 * x.mean(0), rtol=1e-5)
    numpy.testing.assert_allclose(bn.get_weights()[1], 0.8 + 0.2 * x.var(0), rtol=1e-5)


def test_dropout_per_learning_phase(rng):
    """The seed's K.function([input, K.learning_phase()], ...) example with Dropout."""
    inp = keras.Input((200,))
    out = Dropout(0.25)(inp)
    f = K.function([inp, K.learning_phase()], [out])
    x = (rng.uniform(1, 2, size=(50, 200))).astype("float32")
    numpy.testing.assert_array_equal(f([x, 0])[0], x)
    y = f([x, 1])[0]
    kept = y != 0
    numpy.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.25) < 0.02
    drop = Dropout(0.5)
    numpy.testing.assert_array_equal(drop(x).numpy(), x)  # default phase: inference
    K.set_learning_phase(1)
    assert (drop(x).numpy() == 0).any()
    numpy.testing.assert_array_equal(f([x, 0])[0], x)  # an explicit phase wins
    K.clear_session()
    numpy.testing.assert_array_equal(drop(x).numpy(), x)
