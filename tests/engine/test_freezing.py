"""Freezing layers ("冻结" in the seed notes): `trainable` takes effect at `compile`.

Ground truth for the seed example: tests/reference/parity_reference.npz ('frz.*') and
parity_reference.json (["freezing"]), made by tests/reference/make_reference_parity.py
with tf-keras 2.21, which keeps the trainable state of compile time during fit
(RespectCompiledTrainableState). tf-keras prints no warning; gkeras, as the issue asks,
warns as Keras 2.2 did when the trainable weights differ from those collected at compile.
"""
import functools
import warnings

import numpy
import pytest

import gkeras
from gkeras.layers import BatchNormalization, Dense, Input
from gkeras.models import Model, Sequential
from reference._refutil import load_reference

DISCREPANCY = "Discrepancy between trainable weights and collected trainable weights"


ref = functools.partial(load_reference, "parity_reference")


def seed_models():
    """The seed's example, with the generator's initial weights."""
    z, _ = ref()
    x = Input(shape=(32,))
    layer = Dense(32)
    layer.trainable = False
    y = layer(x)
    layer.set_weights([z["frz.w0.0"], z["frz.w0.1"]])
    frozen_model = Model(x, y)
    # in the model below, the weights of `layer` will not be updated during training
    frozen_model.compile(optimizer="rmsprop", loss="mse")
    return x, y, layer, frozen_model


def discrepancy_warnings(record):
    return [w for w in record if DISCREPANCY in str(w.message)]


def test_seed_example_matches_tf_keras():
    z, meta = ref()
    expected = meta["freezing"]["seed_example"]
    data, labels = z["frz.data"], z["frz.labels"]
    x, y, layer, frozen_model = seed_models()
    assert len(frozen_model.trainable_weights) == \
        expected["frozen_model_trainable_weights_at_compile"]
    layer.trainable = True
    trainable_model = Model(x, y)
    # with this model the weights of the layer will be updated during training
    # (which will also affect the above model since it uses the same layer instance)
    trainable_model.compile(optimizer="rmsprop", loss="mse")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        h1 = frozen_model.fit(data, labels, shuffle=False, verbose=0)  # does NOT update
        after_frozen = layer.get_weights()
        h2 = trainable_model.fit(data, labels, shuffle=False, verbose=0)  # updates
    for a, i in zip(after_frozen, range(2)):
        numpy.testing.assert_array_equal(a, z["frz.w0.%d" % i])
    assert not expected["changed_by_frozen_model_fit"]
    for i, w in enumerate(layer.get_weights()):
        numpy.testing.assert_allclose(w, z["frz.after_trainable_fit.%d" % i], rtol=1e-5,
                                      atol=1e-7)
    numpy.testing.assert_allclose(h1.history["loss"], expected["history_frozen"]["loss"],
                                  rtol=1e-5)
    numpy.testing.assert_allclose(h2.history["loss"], expected["history_trainable"]["loss"],
                                  rtol=1e-5)
    assert len(frozen_model.trainable_weights) == \
        expected["frozen_model_trainable_weights_at_fit"]
    assert layer.trainable is True  # the flag is the user's again after fit
    # Keras 2.2's warning: once, for frozen_model (collected [] at compile, the layer is
    # trainable now); trainable_model's collected weights are still its trainable weights
    assert len(discrepancy_warnings(record)) == 1
    assert record and issubclass(discrepancy_warnings(record)[0].category, UserWarning)


def test_unfreezing_without_recompile_changes_nothing():
    """The generator's variant: fit while frozen, flip the flag, fit again: no update."""
    z, meta = ref()
    expected = meta["freezing"]["variant_fit_while_frozen_then_unfreeze_without_recompile"]
    data, labels = z["frz.data"], z["frz.labels"]
    _, _, layer, frozen_model = seed_models()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        frozen_model.fit(data, labels, shuffle=False, verbose=0)
        assert not discrepancy_warnings(record)  # consistent: no warning
        layer.trainable = True
        frozen_model.fit(data, labels, shuffle=False, verbose=0)
        frozen_model.train_on_batch(data, labels)
    assert not expected["changed_by_fit_while_trainable_False"]
    assert not expected["changed_by_second_fit_after_trainable_True_no_recompile"]
    for i, w in enumerate(layer.get_weights()):
        numpy.testing.assert_array_equal(w, z["frz.w0.%d" % i])
    assert len(discrepancy_warnings(record)) == 1  # once per compile
    frozen_model.compile(optimizer="rmsprop", loss="mse")  # now the change takes effect
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        frozen_model.fit(data, labels, shuffle=False, verbose=0)
    assert not discrepancy_warnings(record)
    assert not numpy.array_equal(layer.get_weights()[0], z["frz.w0.0"])


def test_constructor_argument_and_model_trainable(rng):
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    model = Sequential([Dense(4, input_shape=(3,), trainable=False), Dense(2)])
    model.compile("sgd", "mse")
    assert [w.name for w in model.trainable_weights] == ["dense_1/kernel:0", "dense_1/bias:0"]
    before = model.get_weights()
    model.fit(x, y, verbose=0)
    after = model.get_weights()
    numpy.testing.assert_array_equal(before[0], after[0])
    assert not numpy.array_equal(before[2], after[2])
    model.trainable = False
    model.compile("sgd", "mse")
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    model.train_on_batch(x, y)
    for a, b in zip(after, model.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_train_on_batch_warns_and_keeps_compile_state(rng):
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    model.compile("sgd", "mse")
    model.layers[0].trainable = False
    before = model.layers[0].get_weights()
    with pytest.warns(UserWarning, match="without calling `model.compile` after"):
        model.train_on_batch(x, y)
    assert not numpy.array_equal(before[0], model.layers[0].get_weights()[0])
    assert model.layers[0].trainable is False


def test_flags_restored_when_fit_fails(rng):
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    model.compile("sgd", "mse")
    model.layers[0].trainable = False
    with pytest.raises(ValueError):
        model.fit(rng.normal(size=(8, 3)).astype("float32"),
                  rng.normal(size=(7, 2)).astype("float32"), verbose=0)
    assert model.layers[0].trainable is False and model.layers[1].trainable is True


def test_lazily_built_sequential_collects_at_first_batch(rng):
    model = Sequential([Dense(4), Dense(2)])
    model.compile("sgd", "mse")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(rng.normal(size=(8, 3)).astype("float32"),
                  rng.normal(size=(8, 2)).astype("float32"), verbose=0)
    assert not discrepancy_warnings(record)
    assert len(model._collected_trainable_weights) == 4


def test_nested_model_frozen_as_a_layer(rng):
    """Fine-tuning pattern: a frozen base model inside a new model, BN in inference mode."""
    base = Sequential([Dense(4, input_shape=(3,)), BatchNormalization(), Dense(4)])
    base.trainable = False
    inp = Input((3,))
    model = Model(inp, Dense(1)(base(inp)))
    model.compile("sgd", "mse")
    assert [w.name for w in model.trainable_weights] == ["dense_2/kernel:0", "dense_2/bias:0"]
    before = base.get_weights()
    model.fit(rng.normal(size=(16, 3)).astype("float32"),
              rng.normal(size=(16, 1)).astype("float32"), batch_size=4, verbose=0)
    for a, b in zip(before, base.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    assert len(model.weights) == 2 + len(before)
    assert [w.name for w in model.weights][:2] == ["dense/kernel:0", "dense/bias:0"]


def test_collected_weights_are_the_compile_time_ones(rng):
    """Keras's rule: the optimizer updates the weights collected at compile, even when
    every flag is flipped afterwards (here a whole model frozen after compile)."""
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(gkeras.optimizers.SGD(0.1), "mse")
    model.trainable = False
    before = model.get_weights()
    with pytest.warns(UserWarning, match=DISCREPANCY):
        model.fit(rng.normal(size=(4, 3)).astype("float32"),
                  rng.normal(size=(4, 2)).astype("float32"), verbose=0)
    assert not numpy.array_equal(before[0], model.get_weights()[0])
    assert model.trainable is False and model.layers[0].trainable is False
