"""Merge layers and their functional forms against tf-keras 2.21 (core_reference.*)."""
import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.layers import merge

from .layer_test_utils import assert_config_matches_keras, layer_test, reference_layer_case

MERGE_CASES = {
    "add": (layers.Add, {}),
    "add3": (layers.Add, {}),
    "subtract": (layers.Subtract, {}),
    "multiply": (layers.Multiply, {}),
    "average": (layers.Average, {}),
    "maximum": (layers.Maximum, {}),
    "minimum": (layers.Minimum, {}),
    "concatenate_last": (layers.Concatenate, dict(axis=-1)),
    "concatenate_axis1": (layers.Concatenate, dict(axis=1)),
    "dot_axes1": (layers.Dot, dict(axes=1)),
    "dot_axes1_2": (layers.Dot, dict(axes=(1, 2))),
    "dot_neg1_normalize": (layers.Dot, dict(axes=-1, normalize=True)),
    "dot_neg1_normalize_2d": (layers.Dot, dict(axes=-1, normalize=True)),
}

FUNCTIONAL = {
    "add": lambda xs: layers.add(xs),
    "add3": lambda xs: layers.add(xs),
    "subtract": lambda xs: layers.subtract(xs),
    "multiply": lambda xs: layers.multiply(xs),
    "average": lambda xs: layers.average(xs),
    "maximum": lambda xs: layers.maximum(xs),
    "minimum": lambda xs: layers.minimum(xs),
    "concatenate_last": lambda xs: layers.concatenate(xs),
    "concatenate_axis1": lambda xs: layers.concatenate(xs, axis=1),
    "dot_axes1": lambda xs: layers.dot(xs, axes=1),
    "dot_axes1_2": lambda xs: layers.dot(xs, axes=(1, 2)),
    "dot_neg1_normalize": lambda xs: layers.dot(xs, axes=-1, normalize=True),
    "dot_neg1_normalize_2d": lambda xs: layers.dot(xs, axes=-1, normalize=True),
}


@pytest.mark.parametrize("case", sorted(MERGE_CASES))
def test_forward_matches_keras(case):
    cls, kwargs = MERGE_CASES[case]
    xs, _, y, meta = reference_layer_case(case)
    out = numpy.asarray(cls(**kwargs)(xs))
    assert list(out.shape) == meta["output_shape"]
    numpy.testing.assert_allclose(out, y, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", sorted(MERGE_CASES))
def test_layer_test_helper(case):
    cls, kwargs = MERGE_CASES[case]
    xs, _, y, meta = reference_layer_case(case)
    layer_test(cls, kwargs, input_data=xs, expected_output=y,
               expected_output_shape=(None,) + tuple(meta["output_shape"][1:]))


@pytest.mark.parametrize("case", sorted(MERGE_CASES))
def test_config_matches_keras(case):
    cls, kwargs = MERGE_CASES[case]
    _, _, _, meta = reference_layer_case(case)
    assert meta["class_name"] == cls.__name__
    assert_config_matches_keras(cls(**kwargs).get_config(), meta["config"])


@pytest.mark.parametrize("case", sorted(FUNCTIONAL))
def test_functional_form_in_a_model(case):
    xs, _, y, _ = reference_layer_case(case)
    inputs = [gkeras.Input(a.shape[1:]) for a in xs]
    out = FUNCTIONAL[case](inputs)
    assert out.shape == (None,) + y.shape[1:]
    model = gkeras.Model(inputs, out)
    assert type(model.layers[-1]) is MERGE_CASES[case][0]
    numpy.testing.assert_allclose(model.predict(xs, verbose=0), y, rtol=1e-6, atol=1e-6)


def test_functional_form_eager():
    xs, _, y, _ = reference_layer_case("add")
    numpy.testing.assert_allclose(numpy.asarray(layers.add(xs)), y, rtol=1e-6)


def test_keras2_import_paths():
    assert merge.Add is layers.Add and merge.concatenate is layers.concatenate
    assert merge.Dot is layers.Dot


def test_merge_broadcasts_size_one_axes():
    a = gkeras.Input((3, 1))
    b = gkeras.Input((3, 4))
    assert layers.Multiply()([a, b]).shape == (None, 3, 4)


def test_average_of_three_and_dot_gradient_trains():
    rng = numpy.random.default_rng(0)
    a, b, c = (rng.normal(size=(4, 3)).astype("float32") for _ in range(3))
    numpy.testing.assert_allclose(numpy.asarray(layers.Average()([a, b, c])), (a + b + c) / 3,
                                  rtol=1e-6, atol=1e-6)
    ia, ib = gkeras.Input((3,)), gkeras.Input((3,))
    shared = layers.Dense(3)
    out = layers.dot([shared(ia), shared(ib)], axes=1, normalize=True)
    model = gkeras.Model([ia, ib], out)
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.train_on_batch([a, b], numpy.ones((4, 1), "float32"))
    assert any(not numpy.array_equal(w0, w1) for w0, w1 in zip(before, model.get_weights()))


def test_concatenate_symbolic_shapes():
    a, b = gkeras.Input((3, 4)), gkeras.Input((2, 4))
    assert layers.Concatenate(axis=1)([a, b]).shape == (None, 5, 4)
    assert layers.concatenate([gkeras.Input((2,)), gkeras.Input((5,))]).shape == (None, 7)


def test_wrong_number_of_inputs():
    a = gkeras.Input((3,))
    with pytest.raises(ValueError, match="Subtract.*exactly 2 inputs"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="Concatenate.*at least 2"):
        layers.Concatenate()([a])
    with pytest.raises(ValueError, match="Add.*at least 2"):
        layers.Add()([a])
    with pytest.raises(ValueError, match="Dot.*2 inputs"):
        layers.Dot(axes=1)([a, a, a])


def test_dot_incompatible_axes():
    with pytest.raises(ValueError, match=r"Dot.*\(None, 3\).*\(None, 4\)"):
        layers.Dot(axes=1)([gkeras.Input((3,)), gkeras.Input((4,))])
