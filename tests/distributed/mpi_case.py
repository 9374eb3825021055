"""The training case shared by the MPI worker and the single-process reference."""
import os

import numpy as np

import gkeras as keras


class WithUnusedWeight(keras.layers.Layer):
    """Identity with a trainable weight the loss never depends on: its gradient is None,
    and the optimizer must skip it (weight decay included), as tf-keras does."""

    def build(self, input_shape):
        self.unused = self.add_weight("unused", (3,), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        return inputs


def build(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.models.Sequential([
        keras.layers.Dense(6, activation="tanh", input_shape=(5,),
                           kernel_regularizer=keras.regularizers.l2(1e-3)),
        WithUnusedWeight(),
        keras.layers.Dense(3, activation="softmax")])


def data(n=21, seed=1):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 5).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 3, n), 3)
    w = rng.uniform(0.5, 2.0, n).astype("float32")
    return x, y, w


def train(model, x, y, w, workdir):
    """Batches of 5 of 21 samples: uneven slices over 2 ranks, a last batch of 1."""
    model.compile(optimizer=keras.optimizers.Adam(0.05, weight_decay=0.1),
                  loss="categorical_crossentropy", metrics=["acc"])
    cbs = [keras.callbacks.ModelCheckpoint(os.path.join(workdir, "ckpt.h5")),
           keras.callbacks.CSVLogger(os.path.join(workdir, "log.csv"))]
    history = model.fit(x, y, sample_weight=w, batch_size=5, epochs=3, shuffle=True,
                        validation_data=(x[:7], y[:7]), callbacks=cbs, verbose=2)
    pred = model.predict(x, batch_size=4)
    evaluated = model.evaluate(x, y, batch_size=6, verbose=0)
    return history, pred, evaluated


def build_bn(bn, seed=0):
    """Dense (no bias: BN cancels it), then `bn` inside a nested model, then softmax."""
    keras.utils.set_random_seed(seed)
    inner = keras.models.Sequential([bn(momentum=0.8, input_shape=(6,))], name="inner")
    return keras.models.Sequential([
        keras.layers.Dense(6, use_bias=False, input_shape=(5,),
                           kernel_regularizer=keras.regularizers.l2(1e-3)),
        inner,
        keras.layers.Dense(3, activation="softmax")])


def train_bn(model, x, y, w):
    """Batches of 8 of 17 samples: uneven slices over 2 ranks, a last batch of 1 (one
    rank's slice is empty)."""
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy",
                  metrics=["acc"])
    history = model.fit(x, y, sample_weight=w, batch_size=8, epochs=3, shuffle=True,
                        verbose=0)
    return history
