"""MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D: signatures,
import paths, numbers against naive loops (both data formats, TF's 'same' padding with
padded cells excluded), shapes, gradients and argument errors.

Numeric parity with tf-keras itself is in test_conv_parity.py.
"""
import inspect
import json

import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.autograd.gradient_check import check_gradients
from gkeras.layers import pooling

from .layer_test_utils import layer_test

KERAS_SIGNATURES = {
    "MaxPooling2D": "pool_size=(2, 2), strides=None, padding='valid', data_format=None",
    "AveragePooling2D": "pool_size=(2, 2), strides=None, padding='valid', data_format=None",
    "GlobalMaxPooling2D": "data_format=None, keepdims=False",
    "GlobalAveragePooling2D": "data_format=None, keepdims=False",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_is_keras(name):
    params = [p for n, p in inspect.signature(getattr(layers, name).__init__).parameters.items()
              if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert ", ".join(str(p) for p in params) == KERAS_SIGNATURES[name]


def test_import_paths_and_aliases():
    for name in KERAS_SIGNATURES:
        assert getattr(pooling, name) is getattr(layers, name)
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool2D is layers.AveragePooling2D
    assert layers.GlobalMaxPool2D is layers.GlobalMaxPooling2D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    from gkeras.layers.pooling import MaxPooling2D  # noqa: F401


# ------------------------------------------------------------------ naive reference
def naive_pool(x, pool, strides, padding, mode):
    """channels_last; TF 'same': padded cells never win a max, never count in a mean."""
    n, h, w, c = x.shape
    (ph, pw), (sy, sx) = pool, strides
    if padding == "same":
        oh, ow = -(-h // sy), -(-w // sx)
        top = max((oh - 1) * sy + ph - h, 0) // 2
        left = max((ow - 1) * sx + pw - w, 0) // 2
    else:
        oh, ow = (h - ph) // sy + 1, (w - pw) // sx + 1
        top = left = 0
    out = numpy.zeros((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sy - top, j * sx - left
            win = x[:, max(r0, 0):min(r0 + ph, h), max(c0, 0):min(c0 + pw, w), :]
            out[:, i, j] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return out


GRID = [
    dict(pool_size=(2, 2), strides=None, padding="valid"),
    dict(pool_size=(3, 3), strides=(1, 1), padding="valid"),
    dict(pool_size=(3, 2), strides=(2, 1), padding="valid"),
    dict(pool_size=(2, 2), strides=None, padding="same"),
    dict(pool_size=(3, 3), strides=(2, 2), padding="same"),
    dict(pool_size=(3, 3), strides=(1, 1), padding="same"),
    dict(pool_size=(4, 1), strides=(3, 2), padding="same"),
]


@pytest.mark.parametrize("cls,mode", [(layers.MaxPooling2D, "max"),
                                      (layers.AveragePooling2D, "avg")])
@pytest.mark.parametrize("kw", GRID, ids=lambda kw: "p%s-s%s-%s" % (
    "".join(map(str, kw["pool_size"])), "".join(map(str, kw["strides"] or ())), kw["padding"]))
@pytest.mark.parametrize("size", [(8, 6), (7, 9)])
def test_pooling_matches_naive_both_formats(cls, mode, kw, size, rng):
    x = rng.normal(size=(2,) + size + (3,)).astype("float32")
    y = numpy.asarray(cls(**kw)(x))
    strides = kw["strides"] or kw["pool_size"]
    expected = naive_pool(x, kw["pool_size"], strides, kw["padding"], mode)
    assert y.shape == expected.shape == cls(**kw).compute_output_shape(x.shape)
    numpy.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    x_cf = numpy.ascontiguousarray(x.transpose(0, 3, 1, 2))
    y_cf = numpy.asarray(cls(data_format="channels_first", **kw)(x_cf))
    numpy.testing.assert_allclose(y_cf, expected.transpose(0, 3, 1, 2), rtol=1e-6, atol=1e-6)


def test_same_padding_is_excluded():
    # all-negative input: a zero from the padding would win a max
    x = -numpy.arange(1, 1 + 2 * 5 * 5, dtype="float32").reshape(2, 5, 5, 1)
    y = numpy.asarray(layers.MaxPooling2D(3, strides=2, padding="same")(x))
    assert (y < 0).all()
    # constant input: padded cells counted in the mean would shrink the border values
    ones = numpy.ones((1, 5, 5, 2), "float32")
    y = numpy.asarray(layers.AveragePooling2D(3, strides=1, padding="same")(ones))
    numpy.testing.assert_array_equal(y, numpy.ones((1, 5, 5, 2), "float32"))
    # the extra cell of an odd total padding goes at the bottom/right (TensorFlow)
    x = numpy.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    y = numpy.asarray(layers.AveragePooling2D(3, strides=2, padding="same")(x))[0, :, :, 0]
    # windows: rows 0-2 / 2-4(pad), cols likewise -> total padding 1, all at the end
    numpy.testing.assert_allclose(y, [[x[0, 0:3, 0:3].mean(), x[0, 0:3, 2:4].mean()],
                                      [x[0, 2:4, 0:3].mean(), x[0, 2:4, 2:4].mean()]])


@pytest.mark.parametrize("cls,reduce", [(layers.GlobalMaxPooling2D, numpy.max),
                                        (layers.GlobalAveragePooling2D, numpy.mean)])
def test_global_pooling(cls, reduce, rng):
    x = rng.normal(size=(3, 4, 5, 2)).astype("float32")
    numpy.testing.assert_allclose(numpy.asarray(cls()(x)), reduce(x, axis=(1, 2)), rtol=1e-6)
    y = numpy.asarray(cls(keepdims=True)(x))
    assert y.shape == (3, 1, 1, 2)
    numpy.testing.assert_allclose(y, reduce(x, axis=(1, 2), keepdims=True), rtol=1e-6)
    cf = numpy.asarray(cls(data_format="channels_first")(x))
    numpy.testing.assert_allclose(cf, reduce(x, axis=(2, 3)), rtol=1e-6)
    cfk = numpy.asarray(cls(data_format="channels_first", keepdims=True)(x))
    assert cfk.shape == (3, 4, 1, 1)
    assert cls().compute_output_shape((None, None, None, 7)) == (None, 7)
    assert cls(keepdims=True).compute_output_shape((None, 5, None, 7)) == (None, 1, 1, 7)
    assert cls(data_format="channels_first").compute_output_shape((2, 7, None, 3)) == (2, 7)
    assert cls(data_format="channels_first", keepdims=True).compute_output_shape(
        (None, 7, 3, 3)) == (None, 7, 1, 1)


@pytest.mark.parametrize("layer,in_shape,out_shape", [
    (layers.MaxPooling2D(), (None, None, None, 3), (None, None, None, 3)),
    (layers.MaxPooling2D(), (None, 7, None, 3), (None, 3, None, 3)),
    (layers.MaxPooling2D(padding="same"), (4, 7, 5, 3), (4, 4, 3, 3)),
    (layers.AveragePooling2D(3, 1), (None, 5, 6, 2), (None, 3, 4, 2)),
    (layers.AveragePooling2D((3, 2), (2, 3), "same", "channels_first"), (None, 2, 7, 7),
     (None, 2, 4, 3)),
])
def test_compute_output_shape(layer, in_shape, out_shape):
    assert layer.compute_output_shape(in_shape) == out_shape


def test_strides_default_to_pool_size_and_config():
    layer = layers.MaxPooling2D(pool_size=3)
    assert layer.pool_size == (3, 3) and layer.strides == (3, 3)
    cfg = layer.get_config()
    assert list(cfg)[-4:] == ["pool_size", "padding", "strides", "data_format"]  # Keras's order
    assert cfg["strides"] == (3, 3) and cfg["padding"] == "valid"
    clone = layers.MaxPooling2D.from_config(json.loads(json.dumps(cfg)))
    assert clone.get_config() == cfg
    assert layers.AveragePooling2D(2, strides=1).strides == (1, 1)
    assert layers.MaxPooling2D(padding="SAME").padding == "same"
    gcfg = layers.GlobalMaxPooling2D(keepdims=True).get_config()
    assert gcfg["keepdims"] is True and gcfg["data_format"] == "channels_last"


def test_image_data_format_default():
    gkeras.backend.set_image_data_format("channels_first")
    try:
        assert layers.MaxPooling2D().data_format == "channels_first"
        assert layers.Conv2D(2, 3).data_format == "channels_first"
        assert layers.GlobalAveragePooling2D().data_format == "channels_first"
    finally:
        gkeras.backend.set_image_data_format("channels_last")
    assert layers.MaxPooling2D().data_format == "channels_last"


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("layer", [
    layers.MaxPooling2D(3, 2, "same", dtype="float64"),
    layers.MaxPooling2D((2, 3), (1, 2), data_format="channels_first", dtype="float64"),
    layers.AveragePooling2D(3, 2, "same", dtype="float64"),
    layers.AveragePooling2D(2, 1, data_format="channels_first", dtype="float64"),
    layers.GlobalMaxPooling2D(dtype="float64"),
    layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True, dtype="float64"),
])
def test_pooling_gradients(layer, rng):
    # a permutation keeps every max well separated from the runner-up
    x = (rng.permutation(2 * 5 * 6 * 3).reshape(2, 5, 6, 3) * 0.1).astype("float64")
    check_gradients(layer.call, [x])


# ------------------------------------------------------------------ layer_test
@pytest.mark.parametrize("cls,kwargs", [
    (layers.MaxPooling2D, dict(pool_size=(2, 3), strides=(1, 2), padding="same")),
    (layers.MaxPooling2D, dict(data_format="channels_first")),
    (layers.AveragePooling2D, dict(pool_size=3, strides=2, padding="same")),
    (layers.AveragePooling2D, dict(data_format="channels_first")),
    (layers.GlobalMaxPooling2D, dict(keepdims=True)),
    (layers.GlobalMaxPooling2D, dict(data_format="channels_first")),
    (layers.GlobalAveragePooling2D, {}),
    (layers.GlobalAveragePooling2D, dict(data_format="channels_first", keepdims=True)),
])
def test_layer_test(cls, kwargs):
    layer_test(cls, kwargs, input_shape=(2, 5, 6, 3))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make,fragments", [
    (lambda: layers.MaxPooling2D(0), ["MaxPooling2D", "pool_size", "0"]),
    (lambda: layers.MaxPooling2D((2, -1)), ["MaxPooling2D", "pool_size", "-1"]),
    (lambda: layers.MaxPooling2D(2, strides=0), ["MaxPooling2D", "strides"]),
    (lambda: layers.AveragePooling2D(2, strides=(1, -2)), ["AveragePooling2D", "strides"]),
    (lambda: layers.AveragePooling2D((2, 2, 2)), ["AveragePooling2D", "pool_size"]),
    (lambda: layers.AveragePooling2D(2.5), ["AveragePooling2D", "pool_size"]),
    (lambda: layers.MaxPooling2D(padding="causal"), ["MaxPooling2D", "padding", "causal"]),
    (lambda: layers.MaxPooling2D(data_format="nchw"), ["MaxPooling2D", "data_format"]),
    (lambda: layers.GlobalMaxPooling2D(data_format="x"), ["GlobalMaxPooling2D",
                                                          "data_format"]),
])
def test_bad_constructor_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_pool_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"MaxPooling2D layer 'p'.*pool_size=\(3, 3\).*\(2, 5\)"):
        layers.MaxPooling2D(3, name="p")(gkeras.Input((2, 5, 1)))
    with pytest.raises(ValueError, match=r"AveragePooling2D.*pool_size=\(2, 2\).*\(1, 1\)"):
        layers.AveragePooling2D(data_format="channels_first")(
            numpy.zeros((1, 3, 1, 1), "float32"))
    layer = layers.MaxPooling2D(2)
    layer(numpy.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="MaxPooling2D"):
        layer(numpy.zeros((1, 1, 4, 1), "float32"))
    # 'same' pads instead
    assert layers.MaxPooling2D(3, padding="same")(
        numpy.ones((1, 2, 2, 1), "float32")).shape == (1, 1, 1, 1)


def test_wrong_rank():
    for layer in (layers.MaxPooling2D(), layers.AveragePooling2D(),
                  layers.GlobalMaxPooling2D(), layers.GlobalAveragePooling2D()):
        with pytest.raises(ValueError, match='layer "%s".*expected ndim=4, found ndim=3'
                           % layer.name):
            layer(gkeras.Input((6, 6)))
        with pytest.raises(ValueError, match="ndim=4"):
            layer(numpy.zeros((1, 4, 4, 4, 1), "float32"))
