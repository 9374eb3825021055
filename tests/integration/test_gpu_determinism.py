"""On a GPU, training is deterministic bit for bit: the backward kernels gather, never atomicAdd."""
import numpy
import pytest

import gkeras as keras
from gkeras.utils import set_random_seed

pytestmark = pytest.mark.gpu


def _train_once():
    keras.backend.clear_session()
    set_random_seed(7)
    L = keras.layers
    model = keras.Sequential([
        L.Conv2D(8, 3, padding="same", activation="relu", input_shape=(16, 16, 3)),
        L.Conv2DTranspose(8, 3, strides=2, padding="same"),
        L.MaxPooling2D(), L.Conv2D(8, 3, strides=2), L.AveragePooling2D(padding="same"),
        L.GlobalMaxPooling2D(), L.Dense(4, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    rng = numpy.random.default_rng(0)
    x = rng.random((64, 16, 16, 3), dtype=numpy.float32)
    y = keras.utils.to_categorical(rng.integers(0, 4, 64), 4)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


def test_two_training_runs_give_identical_weights():
    first, second = _train_once(), _train_once()
    for a, b in zip(first, second):
        numpy.testing.assert_array_equal(a, b)
