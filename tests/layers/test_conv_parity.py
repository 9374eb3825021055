"""Convolution / pooling / cropping / padding layers against tf-keras 2.21.

Reference data: tests/reference/conv_reference.{npz,json}, written by
tests/reference/make_reference_conv.py (fixed weights, see its docstring for the keys).
Inputs and weights there are multiples of 1/8, so convolution outputs are exact in
float32; the tolerance (rtol 1e-5) only leaves room for activations and averages.
"""
import functools
import json

import numpy
import pytest

import gkeras
from gkeras import layers
from reference._refutil import load_reference

from .layer_test_utils import check_error_like_keras, layer_test

CLASSES = {name: getattr(layers, name) for name in (
    "Conv2D", "Conv2DTranspose", "Conv3D", "MaxPooling2D", "AveragePooling2D",
    "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Cropping2D", "ZeroPadding2D")}


load_conv_reference = functools.partial(load_reference, "conv_reference")


def conv_case(name):
    """(layer class, kwargs, x, weights, y, json entry) of reference case `name`."""
    arrays, meta = load_conv_reference()
    entry = meta["cases"][name]
    prefix = "case.%s." % name
    weights = []
    while "%sw%d" % (prefix, len(weights)) in arrays:
        weights.append(arrays["%sw%d" % (prefix, len(weights))])
    return (CLASSES[entry["class_name"]], dict(entry["kwargs"]), arrays[prefix + "x"],
            weights, arrays[prefix + "y"], entry)


CASES = sorted(load_conv_reference()[1]["cases"])


def _shape(s):
    return tuple(s)


def _norm(value):
    """Config values as compared with tf-keras's: no 'module'/'registered_name' (Keras
    2.13+ serialisation), floats rounded to float32 (tf-keras stores the L1/L2 factors
    as float32, e.g. 0.009999999776482582 for 0.01)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if k not in ("module", "registered_name")}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, float):
        return float(numpy.float32(value))
    return value


def assert_conv_config_matches(ours, theirs):
    """Same keys and values as tf-keras's get_config, except the layer name."""
    ours = json.loads(json.dumps(ours))
    assert list(ours) == [k for k in ours if k in theirs] and set(ours) == set(theirs), \
        (sorted(ours), sorted(theirs))
    for key, value in theirs.items():
        if key != "name":
            assert _norm(ours[key]) == _norm(value), (key, ours[key], value)


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_keras(case):
    cls, kwargs, x, weights, y, _ = conv_case(case)
    layer = cls(**kwargs)
    layer.build((None,) + x.shape[1:])
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in weights]
    if weights:
        layer.set_weights(weights)
    out = numpy.asarray(layer(x))
    assert out.shape == y.shape
    assert out.dtype == numpy.float32
    numpy.testing.assert_allclose(out, y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_config_matches_keras(case):
    cls, kwargs, _, _, _, entry = conv_case(case)
    assert cls.__name__ == entry["class_name"]
    assert_conv_config_matches(cls(**kwargs).get_config(), entry["config"])


@pytest.mark.parametrize("case", CASES)
def test_from_keras_config(case):
    """A config written by tf-keras (initializers with 'module'/'registered_name')
    builds the same layer."""
    cls, _, x, weights, y, entry = conv_case(case)
    layer = cls.from_config(entry["config"])
    assert_conv_config_matches(layer.get_config(), entry["config"])
    assert layer.name == entry["config"]["name"]
    layer.build((None,) + x.shape[1:])
    if weights:
        layer.set_weights(weights)
    numpy.testing.assert_allclose(numpy.asarray(layer(x)), y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_compute_output_shape_matches_keras(case):
    cls, kwargs, _, _, _, entry = conv_case(case)
    layer = cls(**kwargs)
    for in_shape, out_shape in entry["compute_output_shape"]:
        assert layer.compute_output_shape(_shape(in_shape)) == _shape(out_shape), in_shape


@pytest.mark.parametrize("case", CASES)
def test_symbolic_output_shape_matches_keras(case):
    cls, kwargs, x, _, y, entry = conv_case(case)
    inp = gkeras.Input(shape=x.shape[1:])
    out = cls(**kwargs)(inp)
    assert tuple(out.shape) == (None,) + y.shape[1:]


@pytest.mark.parametrize("case", CASES)
def test_layer_test_helper(case):
    cls, kwargs, x, weights, y, _ = conv_case(case)
    layer_test(cls, kwargs, input_data=x, weights=weights or None, expected_output=y,
               expected_output_shape=(None,) + y.shape[1:], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- bad arguments
# where gkeras deliberately differs from tf-keras
STRICTER = {
    # tf-keras accepts a negative int (and crops nothing sensible); gkeras refuses it
    "crop_negative": ValueError,
    # tf-keras fails inside TF's BiasAdd (InvalidArgumentError); gkeras says what is wrong
    "conv2d_kernel_too_big_valid": ValueError,
}
FRAGMENTS = {
    "conv2d_filters_0": ["Conv2D", "filters"],
    "conv2d_filters_neg": ["Conv2D", "filters=-2"],
    "conv2d_kernel_0": ["Conv2D", "kernel_size"],
    "conv2d_kernel_len3": ["Conv2D", "kernel_size", "(3, 3, 3)"],
    "conv2d_kernel_neg": ["kernel_size", "-1"],
    "conv2d_strides_0": ["Conv2D", "strides"],
    "conv2d_strides_neg": ["strides"],
    "conv2d_dilation_0": ["dilation_rate"],
    "conv2d_strides_and_dilation": ["Conv2D", "strides > 1", "dilation_rate > 1"],
    "conv2d_padding_bad": ["Conv2D", "padding", "full"],
    "conv2d_padding_causal": ["Conv2D", "padding", "causal"],
    "conv2d_data_format_bad": ["data_format", "channels_middle"],
    "conv2d_kernel_too_big_valid": ["Conv2D", "kernel_size=(5, 5)", "(4, 6)", "valid"],
    "conv2d_kernel_too_big_symbolic": ["Conv2D", "kernel_size=(5, 5)", "(4, 6)"],
    "conv2d_rank3_input": ["conv2d", "expected ndim=4", "found ndim=3"],
    "conv2d_cf_channel_mismatch": ["conv2d", "axis -3", "value 3", "(1, 4, 5, 5)"],
    "conv2d_unknown_channels": ["channel dimension", "None"],
    "convt_output_padding_ge_strides": ["Conv2DTranspose", "output padding"],
    "convt_strides_and_dilation": ["Conv2DTranspose", "dilation_rate"],
    "conv3d_strides_0": ["Conv3D", "strides"],
    "conv3d_rank4_input": ["conv3d", "expected ndim=5"],
    "maxpool_pool_0": ["MaxPooling2D", "pool_size"],
    "maxpool_strides_neg": ["MaxPooling2D", "strides"],
    "maxpool_padding_bad": ["MaxPooling2D", "padding"],
    "maxpool_rank3_input": ["max_pooling2d", "expected ndim=4"],
    "avgpool_pool_len3": ["AveragePooling2D", "pool_size"],
    "crop_negative": ["Cropping2D", "cropping"],
    "crop_too_much": ["Cropping2D", "cropping", "height"],
    "crop_three": ["Cropping2D", "two elements"],
    "zpad_negative": ["ZeroPadding2D", "padding", "-1"],
    "gmp_rank3_input": ["global_max_pooling2d", "expected ndim=4"],
}


@pytest.mark.parametrize("name", sorted(load_conv_reference()[1]["errors"]))
def test_bad_arguments_raise_like_keras(name):
    check_error_like_keras(load_conv_reference()[1]["errors"][name], name, STRICTER, FRAGMENTS)


def test_every_error_case_has_fragments():
    assert set(FRAGMENTS) == set(load_conv_reference()[1]["errors"])


# ---------------------------------------------------------------- tiny CNN training
def test_tiny_cnn_training_matches_keras():
    arrays, meta = load_conv_reference()
    ref = meta["training"]["tiny_cnn"]
    x, y = arrays["train.cnn.x"], arrays["train.cnn.y"]
    w0 = [arrays["train.cnn.w0.%d" % i] for i in range(4)]
    model = gkeras.Sequential([
        layers.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    assert [lyr.name for lyr in model.layers] == ref["layer_names"]
    assert [list(lyr.output_shape) for lyr in model.layers] == ref["output_shapes"]
    assert [w.name for w in model.weights] == ref["weight_names"]
    model.set_weights(w0)
    model.compile(optimizer=gkeras.optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    numpy.testing.assert_allclose(model.predict(x, verbose=0), arrays["train.cnn.predict0"],
                                  rtol=1e-5, atol=1e-6)
    hist = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert list(hist.history) == list(ref["history"]) or \
        sorted(hist.history) == sorted(ref["history"])
    for key, values in ref["history"].items():
        numpy.testing.assert_allclose(hist.history[key], values, rtol=1e-5, err_msg=key)
    for i, w in enumerate(model.get_weights()):
        numpy.testing.assert_allclose(w, arrays["train.cnn.fit.w.%d" % i], rtol=1e-4,
                                      atol=1e-6, err_msg="weight %d" % i)
    numpy.testing.assert_allclose(model.predict(x, verbose=0), arrays["train.cnn.predict1"],
                                  rtol=1e-4, atol=1e-6)
