"""MaxPooling1D/3D, AveragePooling1D/3D, GlobalMax/AveragePooling1D/2D/3D and their aliases:
Keras parity (forward, gradient, config, shapes; tests/reference/pool_family_reference.*),
signatures, import paths, float64 gradient checks, layer_test round trips, masks, errors,
K.pool2d / K.pool3d.

The 2-D layers' own tests are test_pooling.py and test_conv_parity.py.
"""
import inspect

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.autograd import Tape, Variable
from gkeras.autograd.gradient_check import check_gradients
from gkeras.layers import pooling

from . import pool_family_utils as ref

POOL_CASES = ref.case_names("mp1", "ap1", "mp3", "ap3", "gmp1", "gap1", "gap2", "gmp3", "gap3")


@pytest.mark.parametrize("name", POOL_CASES)
def test_forward_matches_keras(name):
    ref.check_forward(name)


@pytest.mark.parametrize("name", [n for n in POOL_CASES if ref.has_gradient(n)])
def test_gradient_matches_keras(name):
    ref.check_gradient(name)


@pytest.mark.parametrize("name", POOL_CASES)
def test_config_matches_keras(name):
    ref.check_config(name)


@pytest.mark.parametrize("name", POOL_CASES)
def test_shapes_match_keras(name):
    ref.check_shapes(name)


@pytest.mark.parametrize("name", [n for n in POOL_CASES if "mask" not in n])
def test_layer_test(name):
    ref.check_layer_test(name)


@pytest.mark.parametrize("name", ref.backend_names("pool2d", "pool3d"))
def test_backend_pool_matches_keras(name):
    ref.check_backend(name)


def test_every_pooling_family_case_is_covered():
    """Each reference case is exercised by one of the family's test modules."""
    covered = set(POOL_CASES) | set(ref.case_names("crop1", "crop3", "zpad1", "zpad3", "up1",
                                                   "up2", "up3", "sd1", "sd2", "sd3"))
    assert covered == set(ref.load()[1]["cases"])


# ------------------------------------------------------------------ signatures and paths
KERAS_SIGNATURES = {
    "MaxPooling1D": "pool_size=2, strides=None, padding='valid', data_format='channels_last'",
    "AveragePooling1D": "pool_size=2, strides=None, padding='valid', "
                        "data_format='channels_last'",
    "MaxPooling3D": "pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None",
    "AveragePooling3D": "pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None",
    "GlobalMaxPooling1D": "data_format='channels_last', keepdims=False",
    "GlobalAveragePooling1D": "data_format='channels_last', keepdims=False",
    "GlobalMaxPooling3D": "data_format=None, keepdims=False",
    "GlobalAveragePooling3D": "data_format=None, keepdims=False",
}
ALIASES = {
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_is_keras(name):
    params = [p for n, p in inspect.signature(getattr(layers, name).__init__).parameters.items()
              if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert ", ".join(str(p) for p in params) == KERAS_SIGNATURES[name]


def test_import_paths_and_aliases():
    from gkeras.layers import convolutional
    for alias, name in ALIASES.items():
        assert getattr(layers, alias) is getattr(layers, name) is getattr(pooling, name)
        assert getattr(pooling, alias) is getattr(pooling, name)
    for name in ("MaxPooling1D", "AveragePooling1D", "MaxPooling3D", "AveragePooling3D",
                 "MaxPool1D", "AvgPool3D"):  # Keras 2.x's convolutional module had these
        assert getattr(convolutional, name) is getattr(layers, name)
        assert name in dir(convolutional)
    assert K.pool2d is gkeras.ops.pool2d and K.pool3d is gkeras.ops.pool3d


def test_serialize_by_alias_name():
    layer = layers.deserialize({"class_name": "MaxPooling3D",
                                "config": layers.MaxPool3D(3).get_config()})
    assert type(layer) is layers.MaxPooling3D and layer.pool_size == (3, 3, 3)


def test_defaults():
    assert layers.MaxPooling1D().pool_size == (2,) and layers.MaxPooling1D().strides == (2,)
    assert layers.AveragePooling1D(3).strides == (3,)
    assert layers.MaxPooling3D().pool_size == (2, 2, 2)
    assert layers.AveragePooling3D((1, 2, 3)).strides == (1, 2, 3)
    assert layers.MaxPooling1D(padding="SAME").padding == "same"
    # tf-keras's 1-D layers default to channels_last even when the image format is not
    gkeras.backend.set_image_data_format("channels_first")
    try:
        assert layers.MaxPooling1D().data_format == "channels_last"
        assert layers.GlobalAveragePooling1D().data_format == "channels_last"
        assert layers.MaxPooling1D(data_format=None).data_format == "channels_first"
        assert layers.MaxPooling3D().data_format == "channels_first"
        assert layers.GlobalMaxPooling3D().data_format == "channels_first"
    finally:
        gkeras.backend.set_image_data_format("channels_last")
    cfg = layers.MaxPooling1D().get_config()
    assert list(cfg)[-4:] == ["strides", "pool_size", "padding", "data_format"]  # tf-keras
    cfg = layers.AveragePooling3D().get_config()
    assert list(cfg)[-4:] == ["pool_size", "padding", "strides", "data_format"]


# ------------------------------------------------------------------ numbers (no reference)
def test_pooling1d_is_a_2d_pooling_of_height_1(rng):
    x = rng.normal(size=(2, 9, 3)).astype("float32")
    for cls1, cls2 in ((layers.MaxPooling1D, layers.MaxPooling2D),
                       (layers.AveragePooling1D, layers.AveragePooling2D)):
        for kw in (dict(pool_size=3, strides=2, padding="same"), dict(pool_size=4, strides=1)):
            y1 = numpy.asarray(cls1(**kw)(x))
            k, s = kw["pool_size"], kw["strides"]
            y2 = numpy.asarray(cls2((1, k), (1, s), kw.get("padding", "valid"))(x[:, None]))
            numpy.testing.assert_allclose(y1, y2[:, 0], rtol=1e-6)


@pytest.mark.parametrize("cls,reduce,rank", [
    (layers.GlobalMaxPooling1D, numpy.max, 1), (layers.GlobalAveragePooling1D, numpy.mean, 1),
    (layers.GlobalMaxPooling3D, numpy.max, 3), (layers.GlobalAveragePooling3D, numpy.mean, 3)])
def test_global_pooling_both_formats(cls, reduce, rank, rng):
    x = rng.normal(size=(2,) + (3, 4, 2)[:rank] + (5,)).astype("float32")
    last = tuple(range(1, rank + 1))
    numpy.testing.assert_allclose(numpy.asarray(cls()(x)), reduce(x, axis=last), rtol=1e-6)
    y = numpy.asarray(cls(keepdims=True)(x))
    numpy.testing.assert_allclose(y, reduce(x, axis=last, keepdims=True), rtol=1e-6)
    cf = numpy.moveaxis(x, -1, 1)
    first = tuple(range(2, rank + 2))
    y = numpy.asarray(cls(data_format="channels_first", keepdims=True)(cf))
    numpy.testing.assert_allclose(y, reduce(cf, axis=first, keepdims=True), rtol=1e-6)


def test_global_average_pooling1d_mask(rng):
    x = rng.normal(size=(3, 5, 2)).astype("float32")
    mask = numpy.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 1, 0, 1]], bool)
    y = numpy.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))
    expected = numpy.stack([x[i][mask[i]].mean(axis=0) for i in range(3)])
    numpy.testing.assert_allclose(y, expected, rtol=1e-6)
    y = numpy.asarray(layers.GlobalAveragePooling1D(data_format="channels_first",
                                                    keepdims=True)(
        numpy.moveaxis(x, 1, 2), mask=mask))
    numpy.testing.assert_allclose(y[:, :, 0], expected, rtol=1e-6)
    # gradient through the masked mean (float64)
    layer = layers.GlobalAveragePooling1D(dtype="float64")
    check_gradients(lambda t: layer(t, mask=mask), [x.astype("float64")])
    # masked steps get no gradient
    v = Variable(x.copy())
    with Tape() as tape:
        out = layers.GlobalAveragePooling1D()(v, mask=mask)
    g, = tape.gradient(out, [v])
    assert (numpy.asarray(g)[~mask] == 0).all()


def test_global_average_pooling1d_mask_errors():
    layer = layers.GlobalAveragePooling1D(name="gap")
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D layer 'gap'.*`mask`.*"
                                         r"\(2, 4\).*\(2, 3\)"):
        layer(numpy.zeros((2, 4, 3), "float32"), mask=numpy.ones((2, 3)))
    inp = gkeras.Input((4, 3))
    mask = gkeras.Input((4,))
    with pytest.raises(ValueError, match="GlobalAveragePooling1D.*symbolic `mask`"):
        layer(inp, mask=mask)


# ------------------------------------------------------------------ float64 gradients
@pytest.mark.parametrize("layer,shape", [
    (layers.MaxPooling1D(3, 2, "same", dtype="float64"), (2, 8, 3)),
    (layers.MaxPooling1D(2, data_format="channels_first", dtype="float64"), (2, 3, 7)),
    (layers.AveragePooling1D(3, 2, "same", dtype="float64"), (2, 8, 3)),
    (layers.AveragePooling1D(3, 1, "same", data_format="channels_first", dtype="float64"),
     (1, 2, 5)),
    (layers.MaxPooling3D(2, padding="same", dtype="float64"), (1, 3, 4, 3, 2)),
    (layers.MaxPooling3D((2, 3, 1), (1, 2, 1), data_format="channels_first",
                         dtype="float64"), (1, 2, 3, 5, 2)),
    (layers.AveragePooling3D(3, 2, "same", dtype="float64"), (1, 4, 3, 4, 2)),
    (layers.AveragePooling3D(2, 1, data_format="channels_first", dtype="float64"),
     (1, 2, 3, 3, 3)),
    (layers.GlobalMaxPooling1D(keepdims=True, dtype="float64"), (2, 5, 3)),
    (layers.GlobalAveragePooling1D(data_format="channels_first", dtype="float64"), (2, 3, 5)),
    (layers.GlobalMaxPooling3D(data_format="channels_first", dtype="float64"), (2, 2, 3, 2, 2)),
    (layers.GlobalAveragePooling3D(keepdims=True, dtype="float64"), (2, 2, 3, 2, 2)),
])
def test_pooling_gradients(layer, shape, rng):
    # a permutation keeps every max well separated from the runner-up
    x = (rng.permutation(int(numpy.prod(shape))).reshape(shape) * 0.1).astype("float64")
    check_gradients(layer.call, [x])


def test_max_gradient_on_ties():
    """gkeras routes a tied max's gradient to the first maximum (row-major window order),
    in every pooling op. TensorFlow does so in MaxPooling1D/2D, but its MaxPooling3D gives
    the full gradient to EVERY tied cell and its GlobalMaxPooling (reduce_max) splits it
    equally among them (recorded in the reference): a difference on exact ties only."""
    arrays = ref.load()[0]
    for name in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "GlobalMaxPooling1D",
                 "GlobalMaxPooling2D", "GlobalMaxPooling3D"):
        theirs = arrays["tie.%s.gx" % name]
        v = Variable(numpy.ones(theirs.shape, "float32"))
        with Tape() as tape:
            y = getattr(layers, name)()(v)
        ours = numpy.asarray(tape.gradient(y, [v])[0]).ravel()
        first = numpy.zeros(ours.size, "float32")
        first[0] = 1
        numpy.testing.assert_array_equal(ours, first, err_msg=name)
        if name in ("MaxPooling1D", "MaxPooling2D"):
            numpy.testing.assert_array_equal(theirs.ravel(), first, err_msg=name)
        elif name == "MaxPooling3D":
            numpy.testing.assert_array_equal(theirs.ravel(), numpy.ones(ours.size))
        else:
            numpy.testing.assert_allclose(theirs.ravel(), numpy.full(ours.size, 1 / ours.size))


# ------------------------------------------------------------------ model use
def test_in_models_both_formats(rng):
    x = rng.normal(size=(4, 8, 3)).astype("float32")
    model = gkeras.Sequential([
        layers.Dense(4, input_shape=(8, 3)),
        layers.MaxPooling1D(),
        layers.AveragePooling1D(2, 1, "same"),
        layers.GlobalMaxPooling1D(),
        layers.Dense(2),
    ])
    model.compile("sgd", "mse")
    assert numpy.isfinite(model.train_on_batch(x, rng.normal(size=(4, 2)).astype("float32")))
    v = rng.normal(size=(2, 2, 4, 6, 6)).astype("float32")
    inp = gkeras.Input((2, 4, 6, 6))
    h = layers.MaxPooling3D(data_format="channels_first")(inp)
    h = layers.AveragePooling3D((1, 3, 3), padding="same", data_format="channels_first")(h)
    out = layers.GlobalAveragePooling3D(data_format="channels_first")(h)
    model = gkeras.Model(inp, out)
    assert model.output_shape == (None, 2)
    assert model.predict(v, verbose=0).shape == (2, 2)
    clone = gkeras.models.model_from_json(model.to_json())
    numpy.testing.assert_allclose(clone.predict(v, verbose=0), model.predict(v, verbose=0))


# ------------------------------------------------------------------ errors
# where gkeras deliberately differs from tf-keras
STRICTER = {
    # tf-keras accepts strides=0 (allow_zero) and fails later inside TensorFlow
    "mp1_strides_0": ValueError,
}
FRAGMENTS = {
    "mp1_pool_0": ["MaxPooling1D", "pool_size", "0"],
    "mp1_strides_0": ["MaxPooling1D", "strides", "0"],
    "mp1_padding_causal": ["MaxPooling1D", "padding", "causal"],
    "mp1_padding_bad": ["MaxPooling1D", "padding", "full"],
    "mp1_rank4_input": ["max_pooling1d", "expected ndim=3", "found ndim=4"],
    "mp1_too_big": ["MaxPooling1D", "pool_size=(5,)", "(3,)", "valid"],
    "ap1_pool_len2": ["AveragePooling1D", "pool_size", "(2, 2)"],
    "mp3_pool_len2": ["MaxPooling3D", "pool_size", "(2, 2)"],
    "ap3_strides_neg": ["AveragePooling3D", "strides", "-1"],
    "mp3_rank4_input": ["max_pooling3d", "expected ndim=5", "found ndim=4"],
    "mp3_data_format_bad": ["MaxPooling3D", "data_format", "ncdhw"],
    "gmp1_rank4_input": ["global_max_pooling1d", "expected ndim=3"],
    "gap3_data_format_bad": ["GlobalAveragePooling3D", "data_format", "ncdhw"],
    "gap3_rank4_input": ["global_average_pooling3d", "expected ndim=5"],
}


@pytest.mark.parametrize("name", ref.error_names("mp1", "ap1", "mp3", "ap3", "gmp1", "gap3"))
def test_bad_arguments_raise_like_keras(name):
    ref.check_error(name, STRICTER, FRAGMENTS)


def test_every_error_case_has_fragments():
    assert set(FRAGMENTS) == set(ref.error_names("mp1", "ap1", "mp3", "ap3", "gmp1", "gap3"))


@pytest.mark.parametrize("make,fragments", [
    (lambda: layers.MaxPooling1D(2.5), ["MaxPooling1D", "pool_size"]),
    (lambda: layers.AveragePooling1D(2, strides=(1, 1)), ["AveragePooling1D", "strides"]),
    (lambda: layers.MaxPooling3D(2, strides=0), ["MaxPooling3D", "strides"]),
    (lambda: layers.AveragePooling3D(padding="causal"), ["AveragePooling3D", "padding"]),
    (lambda: layers.GlobalMaxPooling1D(data_format="x"), ["GlobalMaxPooling1D",
                                                          "data_format"]),
    (lambda: layers.GlobalMaxPooling3D(keepdims="yes"), ["GlobalMaxPooling3D", "keepdims"]),
])
def test_more_bad_constructor_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_window_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"MaxPooling3D layer 'p'.*pool_size=\(2, 2, 2\).*"
                                         r"\(1, 4, 4\)"):
        layers.MaxPooling3D(name="p")(numpy.zeros((1, 1, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match=r"AveragePooling1D.*pool_size=\(3,\).*\(2,\)"):
        layers.AveragePooling1D(3, data_format="channels_first")(
            numpy.zeros((1, 4, 2), "float32"))
    assert layers.MaxPooling1D(3, padding="same")(
        numpy.ones((1, 2, 1), "float32")).shape == (1, 1, 1)
