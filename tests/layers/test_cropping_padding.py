"""Cropping1D/3D and ZeroPadding1D/3D (and the K.temporal_padding / spatial_2d_padding /
spatial_3d_padding functions): Keras parity (tests/reference/pool_family_reference.*),
signatures, import paths, float64 gradient checks, layer_test round trips, errors.

Cropping2D / ZeroPadding2D are covered by test_convolutional.py and test_conv_parity.py.
"""
import inspect

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.autograd.gradient_check import check_gradients
from gkeras.layers import convolutional

from . import pool_family_utils as ref

CASES = ref.case_names("crop1", "crop3", "zpad1", "zpad3")


@pytest.mark.parametrize("name", CASES)
def test_forward_matches_keras(name):
    ref.check_forward(name)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    ref.check_config(name)


@pytest.mark.parametrize("name", CASES)
def test_shapes_match_keras(name):
    ref.check_shapes(name)


@pytest.mark.parametrize("name", CASES)
def test_layer_test(name):
    ref.check_layer_test(name)


@pytest.mark.parametrize("name", ref.backend_names("temporal_padding", "spatial_2d_padding",
                                                   "spatial_3d_padding"))
def test_backend_padding_matches_keras(name):
    ref.check_backend(name)


KERAS_SIGNATURES = {
    "Cropping1D": "cropping=(1, 1)",
    "Cropping3D": "cropping=((1, 1), (1, 1), (1, 1)), data_format=None",
    "ZeroPadding1D": "padding=1",
    "ZeroPadding3D": "padding=(1, 1, 1), data_format=None",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_and_import_paths(name):
    cls = getattr(layers, name)
    params = [p for n, p in inspect.signature(cls.__init__).parameters.items()
              if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert ", ".join(str(p) for p in params) == KERAS_SIGNATURES[name]
    assert getattr(convolutional, name) is cls


def test_argument_forms():
    assert layers.Cropping1D(2).cropping == (2, 2)
    assert layers.Cropping1D([0, 3]).cropping == (0, 3)
    assert layers.Cropping3D(2).cropping == ((2, 2),) * 3
    assert layers.Cropping3D((1, 0, 2)).cropping == ((1, 1), (0, 0), (2, 2))
    assert layers.Cropping3D([[1, 0], 2, (0, 3)]).cropping == ((1, 0), (2, 2), (0, 3))
    assert layers.ZeroPadding1D().padding == (1, 1)
    assert layers.ZeroPadding1D((2, 0)).padding == (2, 0)
    assert layers.ZeroPadding3D(3).padding == ((3, 3),) * 3
    assert layers.ZeroPadding3D(((0, 1), (2, 3), (4, 5))).padding == ((0, 1), (2, 3), (4, 5))


def test_numbers_both_formats(rng):
    x = rng.normal(size=(2, 4, 5, 6, 3)).astype("float32")
    y = numpy.asarray(layers.Cropping3D(((1, 0), (0, 2), (2, 1)))(x))
    numpy.testing.assert_array_equal(y, x[:, 1:, :3, 2:5])
    cf = numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1))
    y = numpy.asarray(layers.Cropping3D(((1, 0), (0, 2), (2, 1)),
                                        data_format="channels_first")(cf))
    numpy.testing.assert_array_equal(y, cf[:, :, 1:, :3, 2:5])
    y = numpy.asarray(layers.ZeroPadding3D(((1, 0), (0, 2), (2, 1)),
                                           data_format="channels_first")(cf))
    numpy.testing.assert_array_equal(y, numpy.pad(cf, ((0, 0), (0, 0), (1, 0), (0, 2),
                                                       (2, 1))))
    s = x[:, :, 0, 0]  # (2, 4, 3)
    numpy.testing.assert_array_equal(numpy.asarray(layers.Cropping1D((1, 2))(s)), s[:, 1:2])
    numpy.testing.assert_array_equal(numpy.asarray(layers.ZeroPadding1D((0, 2))(s)),
                                     numpy.pad(s, ((0, 0), (0, 2), (0, 0))))
    # no-op amounts
    numpy.testing.assert_array_equal(numpy.asarray(layers.Cropping1D(0)(s)), s)
    numpy.testing.assert_array_equal(numpy.asarray(layers.ZeroPadding3D(0)(x)), x)


def test_backend_padding_functions(rng):
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    y = numpy.asarray(K.spatial_2d_padding(x, ((0, 1), (2, 0)), "channels_first"))
    numpy.testing.assert_array_equal(y, numpy.pad(x, ((0, 0), (0, 0), (0, 1), (2, 0))))
    gkeras.backend.set_image_data_format("channels_first")
    try:  # data_format=None is the global default
        numpy.testing.assert_array_equal(numpy.asarray(K.spatial_2d_padding(x)),
                                         numpy.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))))
    finally:
        gkeras.backend.set_image_data_format("channels_last")
    v = rng.normal(size=(1, 2, 2, 2, 1)).astype("float32")
    numpy.testing.assert_array_equal(numpy.asarray(K.spatial_3d_padding(v)),
                                     numpy.pad(v, ((0, 0),) + ((1, 1),) * 3 + ((0, 0),)))
    numpy.testing.assert_array_equal(numpy.asarray(K.temporal_padding(x[:, 0], (2, 1))),
                                     numpy.pad(x[:, 0], ((0, 0), (2, 1), (0, 0))))


@pytest.mark.parametrize("fn,shape", [
    (layers.Cropping1D((1, 2), dtype="float64"), (2, 5, 2)),
    (layers.Cropping3D(((1, 0), (0, 1), (1, 1)), dtype="float64"), (1, 3, 3, 4, 2)),
    (layers.Cropping3D(1, data_format="channels_first", dtype="float64"), (1, 2, 3, 4, 3)),
    (layers.ZeroPadding1D((2, 1), dtype="float64"), (2, 3, 2)),
    (layers.ZeroPadding3D(((0, 1), (2, 0), (1, 1)), dtype="float64"), (1, 2, 2, 3, 2)),
    (layers.ZeroPadding3D(1, data_format="channels_first", dtype="float64"), (1, 2, 2, 2, 2)),
    (lambda t: K.temporal_padding(t, (1, 2)), (2, 3, 2)),
    (lambda t: K.spatial_2d_padding(t, ((1, 0), (0, 2)), "channels_first"), (1, 2, 3, 3)),
    (lambda t: K.spatial_3d_padding(t, ((1, 0), (0, 2), (1, 1))), (1, 2, 2, 2, 2)),
])
def test_gradients(fn, shape, rng):
    check_gradients(getattr(fn, "call", fn), [rng.normal(size=shape)])


def test_in_a_model(rng):
    model = gkeras.Sequential([
        layers.ZeroPadding3D(1, input_shape=(3, 4, 4, 2)),
        layers.Cropping3D(((0, 1), (1, 0), (2, 1))),
        layers.Reshape((4 * 5 * 3, 2)),
        layers.ZeroPadding1D(2),
        layers.Cropping1D((1, 3)),
        layers.Flatten(),
        layers.Dense(2),
    ])
    assert model.output_shape == (None, 2)
    assert model.layers[3].output_shape == (None, 64, 2)
    x = rng.normal(size=(3, 3, 4, 4, 2)).astype("float32")
    model.compile("sgd", "mse")
    assert numpy.isfinite(model.train_on_batch(x, numpy.zeros((3, 2), "float32")))
    clone = gkeras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------------ errors
STRICTER = {
    # tf-keras builds an empty output; gkeras says what is wrong
    "crop3_too_much": ValueError,
    # tf-keras's backend asserts; gkeras raises a ValueError that says what is expected
    "k_spatial_2d_padding_one_pair": ValueError,
}
FRAGMENTS = {
    "crop1_negative": ["Cropping1D", "cropping", "-1"],
    "crop1_three": ["Cropping1D", "cropping", "(1, 2, 3)"],
    "crop1_too_much": ["Cropping1D", "cropping", "removes 5", "5 steps"],
    "crop3_two": ["Cropping3D", "cropping", "three elements"],
    "crop3_string": ["Cropping3D", "cropping", "symmetric_dim1_crop"],
    "crop3_negative_entry": ["Cropping3D", "1st entry of cropping", "-1"],
    "crop3_too_much": ["Cropping3D", "cropping", "removes 2", "dim1"],
    "zpad1_negative": ["ZeroPadding1D", "padding", "-1"],
    "zpad1_three": ["ZeroPadding1D", "padding", "(1, 2, 3)"],
    "zpad3_two": ["ZeroPadding3D", "padding", "three elements"],
    "zpad3_negative": ["ZeroPadding3D", "2nd entry of padding", "-2"],
    "k_spatial_2d_padding_one_pair": ["spatial_2d_padding", "padding", "2 pairs"],
    "k_spatial_3d_padding_bad_format": ["spatial_3d_padding", "data_format", "ncdhw"],
}
NAMES = ref.error_names("crop1", "crop3", "zpad1", "zpad3") + [
    "k_spatial_2d_padding_one_pair", "k_spatial_3d_padding_bad_format"]


@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments_raise_like_keras(name):
    ref.check_error(name, STRICTER, FRAGMENTS)


def test_every_error_case_has_fragments():
    assert set(FRAGMENTS) == set(NAMES)


@pytest.mark.parametrize("make,fragments", [
    (lambda: layers.Cropping3D(-1), ["Cropping3D", "cropping", ">= 0"]),
    (lambda: layers.Cropping3D(((1, 1, 1), 0, 0)), ["Cropping3D", "1st entry of cropping"]),
    (lambda: layers.Cropping3D(data_format="ndhwc"), ["Cropping3D", "data_format"]),
    (lambda: layers.ZeroPadding3D(-2), ["ZeroPadding3D", "padding", ">= 0"]),
    (lambda: layers.ZeroPadding3D(1.5), ["ZeroPadding3D", "padding", "symmetric_dim1_pad"]),
    (lambda: layers.ZeroPadding1D(1.5), ["ZeroPadding1D", "padding"]),
    (lambda: K.temporal_padding(numpy.zeros((1, 2, 1)), (1, -1)),
     ["temporal_padding", "padding"]),
    (lambda: K.temporal_padding(numpy.zeros((1, 2, 2, 1))), ["temporal_padding", "3-D"]),
    (lambda: K.spatial_3d_padding(numpy.zeros((1, 2, 2, 1))), ["spatial_3d_padding", "5-D"]),
])
def test_more_bad_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_wrong_rank():
    for layer, shape in ((layers.Cropping1D(), (4, 4, 2)), (layers.Cropping3D(), (4, 4, 2)),
                         (layers.ZeroPadding1D(), (4, 4, 2)),
                         (layers.ZeroPadding3D(), (4, 4, 4, 4, 2))):
        with pytest.raises(ValueError, match='layer "%s".*expected ndim' % layer.name):
            layer(gkeras.Input(shape))
