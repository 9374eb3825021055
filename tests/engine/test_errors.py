"""Errors name the problem and what was expected (docs/keras_reference.md section 5)."""
import numpy
import pytest

import gkeras
from gkeras import activations, layers, losses, metrics, optimizers


@pytest.fixture
def model():
    m = gkeras.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                           layers.Dense(3, activation="softmax")])
    m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    return m


X4 = numpy.zeros((10, 4), "float32")
X5 = numpy.zeros((10, 5), "float32")
Y = numpy.eye(3, dtype="float32")[numpy.arange(10) % 3]

KERAS_SHAPE_ERROR = (r'Input 0 of layer "sequential" is incompatible with the layer: '
                     r"expected shape=\(None, 4\), found shape=\(None, 5\)")


def test_fit_wrong_input_shape(model):
    with pytest.raises(ValueError, match=KERAS_SHAPE_ERROR):
        model.fit(X5, Y, verbose=0)


def test_predict_and_evaluate_wrong_input_shape(model):
    with pytest.raises(ValueError, match=KERAS_SHAPE_ERROR):
        model.predict(X5, verbose=0)
    with pytest.raises(ValueError, match=KERAS_SHAPE_ERROR):
        model.evaluate(X5, Y, verbose=0)
    with pytest.raises(ValueError, match=KERAS_SHAPE_ERROR):
        model.train_on_batch(X5, Y)


def test_direct_call_wrong_input_shape(model):
    with pytest.raises(ValueError, match=r'Input 0 of layer "sequential" is incompatible with '
                                         r"the layer: expected shape=\(None, 4\), "
                                         r"found shape=\(10, 5\)"):
        model(X5)


def test_wrong_rank_input(model):
    with pytest.raises(ValueError, match=r'layer "sequential".*expected shape=\(None, 4\)'):
        model.predict(numpy.zeros(4, "float32"), verbose=0)


def test_functional_input_index_and_name_in_error():
    ia, ib = gkeras.Input((2,)), gkeras.Input((3,))
    m = gkeras.Model([ia, ib], layers.concatenate([ia, ib]), name="two_in")
    with pytest.raises(ValueError, match=r'Input 1 of layer "two_in" is incompatible.*'
                                         r"expected shape=\(None, 3\), found shape=\(None, 4\)"):
        m.predict([numpy.zeros((2, 2)), numpy.zeros((2, 4))], verbose=0)
    with pytest.raises(ValueError, match=r"expects 2 input array\(s\).*received 1"):
        m.predict(numpy.zeros((2, 2)), verbose=0)


def test_targets_incompatible_with_outputs(model):
    with pytest.raises(ValueError, match=r"\(10, 4\).*\(10, 3\)"):
        model.fit(X4, numpy.eye(4, dtype="float32")[numpy.arange(10) % 4], verbose=0)


def test_unknown_optimizer(model):
    with pytest.raises(ValueError, match="Unknown optimizer: 'foo'") as e:
        model.compile(optimizer="foo", loss="mse")
    assert "rmsprop" in str(e.value)
    with pytest.raises(ValueError, match="Unknown optimizer: 'foo'"):
        optimizers.get("foo")


def test_unknown_loss(model):
    # tf-keras accepts an unknown loss string in compile() and fails at the first fit;
    # gkeras fails at compile() already, with Keras's message
    with pytest.raises(ValueError, match="Unknown loss function: 'foo'") as e:
        model.compile(optimizer="sgd", loss="foo")
    assert "categorical_crossentropy" in str(e.value)
    with pytest.raises(ValueError, match="Unknown loss function: 'foo'"):
        losses.get("foo")


def test_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation function.*'foo'"):
        layers.Dense(2, activation="foo")
    with pytest.raises(ValueError, match="Unknown activation function.*'foo'"):
        activations.get("foo")
    with pytest.raises(ValueError, match="Unknown activation function.*'foo'"):
        layers.Activation("foo")


def test_unknown_metric(model):
    # tf-keras fails at the first step with "'str' object is not callable"
    with pytest.raises(ValueError, match="Unknown metric function: 'foo'") as e:
        model.compile("sgd", "mse", metrics=["foo"])
    assert "accuracy" in str(e.value)
    with pytest.raises(ValueError, match="Unknown metric function: 'foo'"):
        metrics.get("foo")


def test_data_cardinality(model):
    with pytest.raises(ValueError) as e:
        model.fit(X4, Y[:8], verbose=0)
    assert str(e.value) == ("Data cardinality is ambiguous:\n  x sizes: 10\n  y sizes: 8\n"
                            "Make sure all arrays contain the same number of samples.")
    with pytest.raises(ValueError, match="(?s)cardinality is ambiguous.*sample_weight sizes: 3"):
        model.fit(X4, Y, sample_weight=numpy.ones(3), verbose=0)


def test_fit_before_compile():
    m = gkeras.Sequential([layers.Dense(1, input_shape=(4,))])
    with pytest.raises(RuntimeError, match=r"You must compile your model before training/"
                                           r"testing|You must compile your model before training"):
        m.fit(X4, Y[:, :1], verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        m.evaluate(X4, Y[:, :1], verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        m.train_on_batch(X4, Y[:, :1])
    assert m.predict(X4, verbose=0).shape == (10, 1)  # predict needs no compile


def test_compile_unbuilt_and_without_loss():
    with pytest.raises(ValueError, match="loss"):
        gkeras.Sequential([layers.Dense(1, input_shape=(2,))]).compile("sgd")
    with pytest.raises(TypeError, match="Invalid keyword argument.*foo"):
        gkeras.Sequential([layers.Dense(1, input_shape=(2,))]).compile("sgd", "mse", foo=1)


def test_set_weights_wrong_count():
    m = gkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r'You called `set_weights\(weights\)` on layer '
                                         r".sequential. with a weight list of length 1, but the "
                                         r"layer was expecting 2 weights"):
        m.set_weights([numpy.zeros((3, 2))])


def test_set_weights_wrong_shape():
    m = gkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"Layer .sequential. weight shape \(3, 2\) is not "
                                         r"compatible with provided weight shape \(3, 3\)"):
        m.set_weights([numpy.zeros((3, 3)), numpy.zeros(2)])


def test_softmax_on_1d():
    with pytest.raises(ValueError, match=r"softmax.*(1D|rank)"):
        activations.softmax(gkeras.backend.constant([1.0, 2.0]))


def test_reshape_size_mismatch():
    with pytest.raises(ValueError, match=r"Reshape.*\[12\].*\[5\]"):
        layers.Reshape((5,))(numpy.zeros((2, 12), "float32"))
    with pytest.raises(ValueError, match=r"Reshape.*unchanged"):
        layers.Reshape((5,))(gkeras.Input((12,)))
    with pytest.raises(ValueError, match="only be one unknown dimension"):
        layers.Reshape((-1, -1))


def test_add_incompatible_shapes():
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes "
                                         r"\(2, 3\) and \(2, 4\)"):
        layers.Add()([numpy.zeros((2, 3), "float32"), numpy.zeros((2, 4), "float32")])
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(None, 3\) and \(None, 4\)"):
        layers.Add()([gkeras.Input((3,)), gkeras.Input((4,))])


def test_concatenate_incompatible_shapes():
    with pytest.raises(ValueError, match=r"A `Concatenate` layer requires inputs with matching "
                                         r"shapes except for the concatenation axis. Received: "
                                         r"input_shape=\[\(None, 3, 4\), \(None, 2, 2\)\]"):
        layers.Concatenate()([gkeras.Input((3, 4)), gkeras.Input((2, 2))])


@pytest.mark.parametrize("units", [0, -3, 2.5, "8", None, True])
def test_dense_bad_units(units):
    with pytest.raises((ValueError, TypeError), match=r"units.*positive integer.*" +
                       repr(units).replace("(", r"\(").replace(".", r"\.")):
        layers.Dense(units)


def test_unknown_layer_kwarg():
    with pytest.raises(TypeError, match="Keyword argument not understood by Dense: foo"):
        layers.Dense(2, foo=1)
    with pytest.raises(TypeError, match="Keyword argument not understood by Dropout: bar"):
        layers.Dropout(0.5, bar=2)


@pytest.mark.parametrize("split", [1.0, 1.5, -0.1])
def test_validation_split_out_of_range(model, split):
    with pytest.raises(ValueError, match=r"`validation_split` must be in .*\(0, 1\), got " +
                       repr(split).replace(".", r"\.")):
        model.fit(X4, Y, validation_split=split, verbose=0)


def test_validation_split_leaving_no_data(model):
    with pytest.raises(ValueError, match="validation_split=0.5 leaves no training data with 1"):
        model.fit(X4[:1], Y[:1], validation_split=0.5, verbose=0)


def test_validation_split_on_generator(model):
    def gen():
        while True:
            yield X4, Y
    with pytest.raises(ValueError, match="`validation_split` is only supported for array"):
        model.fit(gen(), steps_per_epoch=1, validation_split=0.2, verbose=0)


def test_generator_without_steps(model):
    def gen():
        yield X4, Y
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(gen(), verbose=0)


def test_bad_generator_output(model):
    def gen():
        while True:
            yield X4
    with pytest.raises(ValueError, match=r"tuple \(x, y\).*found: ndarray"):
        model.fit(gen(), steps_per_epoch=1, verbose=0)


def test_bad_batch_size(model):
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        model.fit(X4, Y, batch_size=0, verbose=0)


def test_missing_targets(model):
    with pytest.raises(ValueError, match="needs target data"):
        model.fit(X4, verbose=0)


def test_class_weight_missing_class(model):
    with pytest.raises(ValueError, match=r"`class_weight` must contain all classes.*\[2\]"):
        model.fit(X4, Y, class_weight={0: 1.0, 1: 1.0}, verbose=0)


def test_unknown_dict_keys():
    ia = gkeras.Input((2,), name="a")
    m = gkeras.Model(ia, layers.Dense(1, name="out")(ia))
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"Unknown entries in input dictionary: \['b'\]"):
        m.predict({"b": numpy.zeros((1, 2))}, verbose=0)
    with pytest.raises(ValueError, match=r"Unknown entries in loss dictionary: \['nope'\]"):
        m.compile("sgd", {"nope": "mse"})


def test_loss_list_length_mismatch():
    ia = gkeras.Input((2,))
    m = gkeras.Model(ia, [layers.Dense(1)(ia), layers.Dense(1)(ia)])
    with pytest.raises(ValueError, match="2 outputs.*loss"):
        m.compile("sgd", ["mse"])
