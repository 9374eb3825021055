"""Conv1D, Conv1DTranspose, Conv3DTranspose, SeparableConv1D/2D, DepthwiseConv1D/2D
against tf-keras 2.21, plus the Keras 2 aliases, import paths and argument errors.

Reference data: tests/reference/conv_family_reference.{npz,json}, written by
tests/reference/make_reference_conv_family.py (fixed weights; each case is one flat
array split by the json "parts"). Inputs, weights and output cotangents there are
multiples of 1/8, so outputs and gradients are exact in float32; the tolerances only
leave room for activations.
"""
import functools
import json

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.autograd import Tape, Variable
from gkeras.backend import xp as gk_xp
from reference import _refutil

from .layer_test_utils import check_error_like_keras, layer_test

NEW_CLASSES = ("Conv1D", "Conv1DTranspose", "Conv3DTranspose", "SeparableConv1D",
               "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D")


load_reference = functools.partial(_refutil.load_reference, "conv_family_reference")


def unpack(flat, parts):
    """{part name: array} from one flat reference array and its [[name, shape], ...]."""
    out, start = {}, 0
    for name, shape in parts:
        size = int(numpy.prod(shape))
        out[name] = flat[start:start + size].reshape(shape)
        start += size
    assert start == flat.size
    return out


def case(name):
    """(layer class, kwargs, parts dict, weights list, json entry) of a layer case."""
    arrays, meta = load_reference()
    entry = meta["cases"][name]
    parts = unpack(arrays["case." + name], entry["parts"])
    weights = []
    while "w%d" % len(weights) in parts:
        weights.append(parts["w%d" % len(weights)])
    return getattr(layers, entry["class_name"]), dict(entry["kwargs"]), parts, weights, entry


CASES = sorted(load_reference()[1]["cases"])


def _norm(value):
    """Config values as compared with tf-keras's: no 'module'/'registered_name' (Keras
    2.13+ serialisation), floats rounded to float32 (tf-keras's regularizer factors)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if k not in ("module", "registered_name")}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, float):
        return float(numpy.float32(value))
    return value


def assert_config_matches(ours, theirs):
    """Same keys (in the same order) and values as tf-keras's get_config, except the name."""
    ours = json.loads(json.dumps(ours))
    assert list(ours) == list(theirs) or set(ours) == set(theirs), (list(ours), list(theirs))
    for key, value in theirs.items():
        if key != "name":
            assert _norm(ours[key]) == _norm(value), (key, ours[key], value)


def _built(cls, kwargs, x, weights):
    layer = cls(**kwargs)
    layer.build((None,) + x.shape[1:])
    layer.set_weights(weights)
    return layer


# ---------------------------------------------------------------- parity with tf-keras
def test_reference_covers_every_new_layer():
    names = {e["class_name"] for e in load_reference()[1]["cases"].values()}
    assert names == set(NEW_CLASSES)


@pytest.mark.parametrize("name", CASES)
def test_forward_matches_keras(name):
    cls, kwargs, p, weights, _ = case(name)
    layer = cls(**kwargs)
    layer.build((None,) + p["x"].shape[1:])
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)
    out = numpy.asarray(layer(p["x"]))
    assert out.dtype == numpy.float32 and out.shape == p["y"].shape
    numpy.testing.assert_allclose(out, p["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_keras(name):
    """d sum(layer(x) * r) / d(x, weights) equals tf.GradientTape's."""
    cls, kwargs, p, weights, _ = case(name)
    layer = _built(cls, kwargs, p["x"], weights)
    xp = gk_xp.xp()
    x = Variable(xp.asarray(p["x"]))
    with Tape() as tape:
        y = layer(x)
    grads = tape.gradient(y, [x] + list(layer.weights), xp.asarray(p["r"]))
    expected = [p["gx"]] + [p["gw%d" % i] for i in range(len(weights))]
    assert len(grads) == len(expected)
    for i, (g, e) in enumerate(zip(grads, expected)):
        numpy.testing.assert_allclose(gk_xp.asnumpy(g), e, rtol=1e-5, atol=1e-6,
                                      err_msg="gradient %d" % i)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    cls, kwargs, _, _, entry = case(name)
    assert cls.__name__ == entry["class_name"]
    assert_config_matches(cls(**kwargs).get_config(), entry["config"])


@pytest.mark.parametrize("name", CASES)
def test_from_keras_config(name):
    """A config written by tf-keras (initializers with 'module'/'registered_name', the
    unused kernel_* entries of separable layers, groups) builds the same layer."""
    cls, _, p, weights, entry = case(name)
    layer = cls.from_config(entry["config"])
    assert layer.name == entry["config"]["name"]
    assert_config_matches(layer.get_config(), entry["config"])
    layer.build((None,) + p["x"].shape[1:])
    layer.set_weights(weights)
    numpy.testing.assert_allclose(numpy.asarray(layer(p["x"])), p["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_compute_output_shape_matches_keras(name):
    cls, kwargs, _, _, entry = case(name)
    layer = cls(**kwargs)
    for in_shape, out_shape in entry["compute_output_shape"]:
        assert layer.compute_output_shape(tuple(in_shape)) == tuple(out_shape), in_shape


@pytest.mark.parametrize("name", CASES)
def test_layer_test_round_trips(name):
    cls, kwargs, p, weights, _ = case(name)
    layer_test(cls, kwargs, input_data=p["x"], weights=weights, expected_output=p["y"],
               expected_output_shape=(None,) + p["y"].shape[1:], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(load_reference()[1]["backend"]))
def test_backend_functions_match_keras(name):
    arrays, meta = load_reference()
    entry = meta["backend"][name]
    p = unpack(arrays["backend." + name], entry["parts"])
    kernels = [p["k%d" % i] for i in range(len(entry["parts"]) - 2)]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in entry["kwargs"].items()}
    y = getattr(K, entry["function"])(p["x"], *kernels, **kwargs)
    numpy.testing.assert_allclose(numpy.asarray(y), p["y"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- bad arguments
# where gkeras deliberately differs from tf-keras (see the report in the module docs)
STRICTER = {
    # tf-keras's Conv layers accept extra leading batch axes; gkeras's need rank + 2
    "conv1d_rank4_input": ValueError,
    # tf-keras accepts 'causal' and fails inside TF on the first call (AssertionError)
    "convt1d_causal": ValueError,
    # tf-keras builds a kernel with 0 filters per channel and an empty output
    "dw2d_depth_multiplier_0": ValueError,
}
FRAGMENTS = {
    "conv1d_strides_and_dilation": ["Conv1D", "strides > 1", "dilation_rate > 1"],
    "conv1d_padding_bad": ["Conv1D", "padding", "'causal'", "full"],
    "conv1d_filters_0": ["Conv1D", "filters"],
    "conv1d_kernel_too_big": ["Conv1D", "kernel_size=(5,)", "valid"],
    "conv1d_rank2_input": ["conv1d", "expected ndim=3", "found ndim=2"],
    "conv1d_rank4_input": ["conv1d", "expected ndim=3", "found ndim=4"],
    "convt1d_output_padding_ge_strides": ["Conv1DTranspose", "output padding"],
    "convt1d_strides_and_dilation": ["Conv1DTranspose", "dilation_rate > 1"],
    "convt1d_causal": ["Conv1DTranspose", "causal"],
    "convt3d_output_padding_ge_strides": ["Conv3DTranspose", "output padding"],
    "convt3d_strides_and_dilation": ["Conv3DTranspose", "dilation_rate > 1"],
    "convt3d_rank4_input": ["conv3d_transpose", "expected ndim=5"],
    "sep1d_strides_and_dilation": ["SeparableConv1D", "strides > 1", "dilation_rate > 1"],
    "sep2d_strides_and_dilation": ["SeparableConv2D", "strides > 1", "dilation_rate > 1"],
    "sep2d_causal": ["SeparableConv2D", "causal", "Conv1D and SeparableConv1D"],
    "sep2d_filters_0": ["SeparableConv2D", "filters"],
    "sep2d_kernel_0": ["SeparableConv2D", "kernel_size"],
    "sep2d_unknown_channels": ["SeparableConv2D", "channel dimension", "None"],
    "sep2d_rank3_input": ["separable_conv2d", "expected ndim=4"],
    "dw1d_causal": ["DepthwiseConv1D", "causal", "Conv1D and SeparableConv1D"],
    "dw1d_strides_and_dilation": ["DepthwiseConv1D", "strides > 1", "dilation_rate > 1"],
    "dw2d_strides_and_dilation": ["DepthwiseConv2D", "strides > 1", "dilation_rate > 1"],
    "dw2d_causal": ["DepthwiseConv2D", "causal"],
    "dw2d_padding_bad": ["DepthwiseConv2D", "padding", "full"],
    "dw2d_kernel_0": ["DepthwiseConv2D", "kernel_size"],
    "dw2d_rank3_input": ["depthwise_conv2d", "expected ndim=4"],
    "dw2d_unknown_channels": ["DepthwiseConv2D", "channel dimension", "None"],
    "dw2d_depth_multiplier_0": ["DepthwiseConv2D", "depth_multiplier"],
    "dw2d_cf_channel_mismatch": ["depthwise_conv2d", "axis -3", "value 3", "(1, 4, 5, 5)"],
}


@pytest.mark.parametrize("name", sorted(load_reference()[1]["errors"]))
def test_bad_arguments_raise_like_keras(name):
    check_error_like_keras(load_reference()[1]["errors"][name], name, STRICTER, FRAGMENTS)


def test_every_error_case_has_fragments():
    assert set(FRAGMENTS) == set(load_reference()[1]["errors"])


def test_more_argument_errors():
    with pytest.raises(ValueError, match="SeparableConv1D.*depth_multiplier"):
        layers.SeparableConv1D(2, 3, depth_multiplier=-1)
    with pytest.raises(ValueError, match="Conv1D.*groups"):
        layers.Conv1D(4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv3DTranspose.*padding.*causal"):
        layers.Conv3DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="Conv1DTranspose.*output_padding"):
        layers.Conv1DTranspose(2, 3, strides=2, output_padding=(1, 1))
    with pytest.raises(ValueError, match="DepthwiseConv1D.*kernel does not fit"):
        layers.DepthwiseConv1D(3, dilation_rate=3)(numpy.zeros((1, 6, 2), "float32"))
    with pytest.raises(TypeError, match="DepthwiseConv2D takes no `filters`"):
        layers.DepthwiseConv2D(3, filters=4)
    with pytest.raises(TypeError, match="not understood"):
        layers.SeparableConv2D(2, 3, kernel_size_typo=4)


# ---------------------------------------------------------------- names, aliases, paths
def test_keras2_aliases_and_import_paths():
    from gkeras.layers import convolutional as conv
    assert layers.Convolution1D is conv.Conv1D is layers.Conv1D
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.Deconvolution3D is layers.Deconv3D is layers.Conv3DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.SeparableConvolution2D is conv.SeparableConv2D
    assert conv.DepthwiseConv2D is layers.DepthwiseConv2D
    assert conv.DepthwiseConv1D is layers.DepthwiseConv1D
    # as in tf.keras, the transposed layers are their forward layers' subclasses
    assert issubclass(layers.Conv1DTranspose, layers.Conv1D)
    assert issubclass(layers.Conv3DTranspose, layers.Conv3D)
    for name in NEW_CLASSES:
        cls = getattr(layers, name)
        clone = layers.deserialize({"class_name": name, "config": cls(
            **({} if name.startswith("Depthwise") else {"filters": 2}), kernel_size=2
        ).get_config()})
        assert type(clone) is cls


def test_auto_names_and_weight_names():
    K.clear_session()
    sep = layers.SeparableConv2D(3, 2)
    dw = layers.DepthwiseConv1D(2, depth_multiplier=2)
    c1 = layers.Conv1D(2, 2)
    assert (sep.name, dw.name, c1.name) == ("separable_conv2d", "depthwise_conv1d", "conv1d")
    sep.build((None, 5, 5, 2))
    dw.build((None, 5, 2))
    assert [w.name for w in sep.weights] == ["separable_conv2d/depthwise_kernel:0",
                                             "separable_conv2d/pointwise_kernel:0",
                                             "separable_conv2d/bias:0"]
    assert [tuple(w.shape) for w in sep.weights] == [(2, 2, 2, 1), (1, 1, 2, 3), (3,)]
    assert [w.name for w in dw.weights] == ["depthwise_conv1d/depthwise_kernel:0",
                                            "depthwise_conv1d/bias:0"]
    assert [tuple(w.shape) for w in dw.weights] == [(2, 2, 2), (4,)]
    assert dw.filters is None
    K.clear_session()


def test_conv1d_ignores_image_data_format_like_tf_keras():
    """tf.keras's Conv1D defaults to data_format='channels_last' (not None); the other
    new layers follow image_data_format()."""
    old = K.image_data_format()
    try:
        K.set_image_data_format("channels_first")
        assert layers.Conv1D(2, 3).data_format == "channels_last"
        assert layers.Conv1DTranspose(2, 3).data_format == "channels_first"
        assert layers.SeparableConv1D(2, 3).data_format == "channels_first"
        assert layers.DepthwiseConv2D(3).data_format == "channels_first"
    finally:
        K.set_image_data_format(old)


def test_conv3d_transpose_dilation_is_honoured_and_kept_in_config():
    """tf.keras silently ignores Conv3DTranspose's dilation_rate; gkeras computes the
    dilated transposed convolution and keeps dilation_rate in the config only when it
    is not the default (default configs stay identical to tf.keras's)."""
    from gkeras.ops import conv_transpose
    layer = layers.Conv3DTranspose(2, 2, dilation_rate=(1, 2, 1), use_bias=False)
    assert layer.get_config()["dilation_rate"] == (1, 2, 1)
    assert "dilation_rate" not in layers.Conv3DTranspose(2, 2).get_config()
    x = numpy.random.default_rng(0).normal(size=(1, 2, 3, 2, 2)).astype("float32")
    y = numpy.asarray(layer(x))
    assert y.shape == (1, 3, 5, 3, 2)
    ref = conv_transpose.conv3d_transpose(x, layer.kernel, None, dilation_rate=(1, 2, 1))
    numpy.testing.assert_allclose(y, numpy.asarray(ref), rtol=1e-6)
    clone = layers.Conv3DTranspose.from_config(layer.get_config())
    assert clone.dilation_rate == (1, 2, 1)


def test_causal_conv1d_does_not_look_ahead():
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = numpy.random.default_rng(1).normal(size=(1, 9, 2)).astype("float32")
    y0 = numpy.asarray(layer(x))
    x[:, 6:] += 1.0
    y1 = numpy.asarray(layer(x))
    numpy.testing.assert_array_equal(y0[:, :6], y1[:, :6])
    assert not numpy.allclose(y0[:, 6:], y1[:, 6:])


def test_separable_equals_depthwise_then_pointwise_conv():
    rng = numpy.random.default_rng(2)
    x = rng.normal(size=(2, 6, 5, 3)).astype("float32")
    sep = layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, use_bias=False)
    dw = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, use_bias=False)
    pw = layers.Conv2D(4, 1, use_bias=False)
    y = numpy.asarray(sep(x))
    dw.build(x.shape)
    pw.build((None, 6, 5, 6))
    dw.set_weights([sep.get_weights()[0]])
    pw.set_weights([sep.get_weights()[1]])
    numpy.testing.assert_allclose(y, numpy.asarray(pw(dw(x))), rtol=1e-5, atol=1e-6)


def test_small_model_trains_and_saves_config():
    """A functional model mixing the new layers fits, and survives a config round trip."""
    K.clear_session()
    rng = numpy.random.default_rng(3)
    inp = gkeras.Input((12, 3))
    h = layers.Conv1D(4, 3, padding="causal", activation="relu")(inp)
    h = layers.SeparableConv1D(4, 3, strides=2, padding="same")(h)
    h = layers.DepthwiseConv1D(2, depth_multiplier=2)(h)
    h = layers.Conv1DTranspose(2, 3, strides=2)(h)
    model = gkeras.Model(inp, h)
    model.compile("adam", "mse")
    x = rng.normal(size=(8, 12, 3)).astype("float32")
    y = rng.normal(size=(8,) + model.output_shape[1:]).astype("float32")
    hist = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert numpy.all(numpy.isfinite(hist.history["loss"]))
    clone = gkeras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                                  rtol=1e-5, atol=1e-6)
    K.clear_session()


def test_regularizers_and_constraints_reach_the_right_weights():
    from gkeras import constraints, regularizers
    layer = layers.SeparableConv2D(2, 2, depthwise_regularizer=regularizers.l2(0.5),
                                   pointwise_regularizer=regularizers.l1(0.25),
                                   depthwise_constraint=constraints.NonNeg(),
                                   pointwise_constraint="unit_norm")
    layer.build((None, 4, 4, 2))
    dw, pw = (gk_xp.asnumpy(w.data) for w in layer.weights[:2])
    expected = sorted([0.5 * float(numpy.sum(dw ** 2)), 0.25 * float(numpy.sum(abs(pw)))])
    got = sorted(float(gk_xp.asnumpy(getattr(v, "data", v))) for v in layer.losses)
    numpy.testing.assert_allclose(got, expected, rtol=1e-5)
    assert isinstance(layer.depthwise_kernel.constraint, constraints.NonNeg)
    assert isinstance(layer.pointwise_kernel.constraint, constraints.UnitNorm)
    assert layer.bias.constraint is None
    dwl = layers.DepthwiseConv2D(2, depthwise_regularizer="l2", depthwise_constraint="max_norm")
    dwl.build((None, 4, 4, 2))
    assert len(dwl.losses) == 1
    assert isinstance(dwl.depthwise_kernel.constraint, constraints.MaxNorm)
