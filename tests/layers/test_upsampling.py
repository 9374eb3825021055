"""UpSampling1D/2D/3D (nearest; bilinear in 2-D) and K.resize_images / resize_volumes /
repeat_elements: Keras parity (forward, bilinear gradients, config, shapes;
tests/reference/pool_family_reference.*), signatures, import paths, float64 gradient
checks, layer_test round trips, errors.

Op-level tests (naive per-pixel references, edge cases) are in tests/ops/test_resize.py.
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

CASES = ref.case_names("up1", "up2", "up3")


@pytest.mark.parametrize("name", CASES)
def test_forward_matches_keras(name):
    ref.check_forward(name)


@pytest.mark.parametrize("name", [n for n in CASES if ref.has_gradient(n)])
def test_bilinear_gradient_matches_keras(name):
    ref.check_gradient(name)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    ref.check_config(name)


@pytest.mark.parametrize("name", CASES)
def test_shapes_match_keras(name):
    ref.check_shapes(name)


@pytest.mark.parametrize("name", CASES)
def test_layer_test(name):
    ref.check_layer_test(name)


@pytest.mark.parametrize("name", ref.backend_names("resize_images", "resize_volumes",
                                                   "repeat_elements"))
def test_backend_resize_matches_keras(name):
    ref.check_backend(name)


KERAS_SIGNATURES = {
    "UpSampling1D": "size=2",
    "UpSampling2D": "size=(2, 2), data_format=None, interpolation='nearest'",
    "UpSampling3D": "size=(2, 2, 2), data_format=None",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_and_import_paths(name):
    cls = getattr(layers, name)
    params = [p for n, p in inspect.signature(cls.__init__).parameters.items()
              if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert ", ".join(str(p) for p in params) == KERAS_SIGNATURES[name]
    assert getattr(convolutional, name) is cls


def test_backend_signatures():
    sig = {name: str(inspect.signature(getattr(K, name))) for name in (
        "resize_images", "resize_volumes", "repeat_elements", "temporal_padding",
        "spatial_2d_padding", "spatial_3d_padding")}
    assert sig["resize_images"] == ("(x, height_factor, width_factor, data_format=None, "
                                    "interpolation='nearest')")
    assert sig["resize_volumes"] == ("(x, depth_factor, height_factor, width_factor, "
                                     "data_format=None)")
    assert sig["repeat_elements"] == "(x, rep, axis)"
    assert sig["temporal_padding"] == "(x, padding=(1, 1))"
    assert sig["spatial_2d_padding"] == "(x, padding=((1, 1), (1, 1)), data_format=None)"
    assert sig["spatial_3d_padding"] == ("(x, padding=((1, 1), (1, 1), (1, 1)), "
                                         "data_format=None)")


def test_argument_forms():
    assert layers.UpSampling1D(3).size == 3
    assert layers.UpSampling1D(3.0).size == 3  # tf-keras stores int(size)
    assert layers.UpSampling1D((4,)).size == 4
    assert layers.UpSampling2D(3).size == (3, 3)
    assert layers.UpSampling2D(interpolation="BILINEAR").interpolation == "bilinear"
    assert layers.UpSampling3D((1, 2, 3)).size == (1, 2, 3)


def test_numbers_both_formats(rng):
    x = rng.normal(size=(2, 3, 4, 2, 3)).astype("float32")
    y = numpy.asarray(layers.UpSampling3D((2, 1, 3))(x))
    numpy.testing.assert_array_equal(y, x.repeat(2, 1).repeat(3, 3))
    cf = numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1))
    y = numpy.asarray(layers.UpSampling3D((2, 1, 3), data_format="channels_first")(cf))
    numpy.testing.assert_array_equal(y, cf.repeat(2, 2).repeat(3, 4))
    img = x[:, :, :, 0]
    y = numpy.asarray(layers.UpSampling2D((3, 2))(img))
    numpy.testing.assert_array_equal(y, img.repeat(3, 1).repeat(2, 2))
    seq = img[:, :, 0]
    numpy.testing.assert_array_equal(numpy.asarray(layers.UpSampling1D(4)(seq)),
                                     seq.repeat(4, 1))
    # bilinear: channels_first is channels_last transposed; factor 1 is the identity
    bl = numpy.asarray(layers.UpSampling2D((2, 3), interpolation="bilinear")(img))
    bf = numpy.asarray(layers.UpSampling2D((2, 3), data_format="channels_first",
                                           interpolation="bilinear")(
        numpy.ascontiguousarray(numpy.moveaxis(img, -1, 1))))
    numpy.testing.assert_allclose(numpy.moveaxis(bf, 1, -1), bl, rtol=1e-6)
    numpy.testing.assert_array_equal(
        numpy.asarray(layers.UpSampling2D(1, interpolation="bilinear")(img)), img)


@pytest.mark.parametrize("fn,shape", [
    (layers.UpSampling1D(3, dtype="float64"), (2, 3, 2)),
    (layers.UpSampling2D((2, 3), dtype="float64"), (1, 2, 3, 2)),
    (layers.UpSampling2D((3, 2), data_format="channels_first", dtype="float64"), (1, 2, 2, 3)),
    (layers.UpSampling2D((2, 3), interpolation="bilinear", dtype="float64"), (2, 3, 4, 2)),
    (layers.UpSampling2D(4, data_format="channels_first", interpolation="bilinear",
                         dtype="float64"), (1, 2, 3, 2)),
    (layers.UpSampling3D((1, 2, 3), dtype="float64"), (1, 2, 2, 2, 2)),
    (layers.UpSampling3D(2, data_format="channels_first", dtype="float64"), (1, 2, 2, 1, 2)),
    (lambda t: K.resize_images(t, 3, 1, "channels_last", "bilinear"), (1, 4, 2, 1)),
    (lambda t: K.resize_volumes(t, 2, 1, 2, "channels_first"), (1, 2, 2, 2, 2)),
    (lambda t: K.repeat_elements(t, 3, axis=-1), (2, 3, 2)),
])
def test_gradients(fn, shape, rng):
    check_gradients(getattr(fn, "call", fn), [rng.normal(size=shape)])


def test_in_a_model(rng):
    model = gkeras.Sequential([
        layers.UpSampling2D((2, 2), interpolation="bilinear", input_shape=(3, 3, 2)),
        layers.Conv2D(2, 3, padding="same"),
        layers.UpSampling2D(),
        layers.MaxPooling2D(4),
        layers.Reshape((3 * 3, 2)),
        layers.UpSampling1D(2),
        layers.Flatten(),
        layers.Dense(1),
    ])
    assert model.output_shape == (None, 1)
    assert model.layers[2].output_shape == (None, 12, 12, 2)
    x = rng.normal(size=(4, 3, 3, 2)).astype("float32")
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    assert numpy.isfinite(model.train_on_batch(x, numpy.ones((4, 1), "float32")))
    assert not numpy.array_equal(before[0], model.get_weights()[0])  # gradient reached conv
    clone = gkeras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                                  rtol=1e-6)


# ------------------------------------------------------------------ errors
STRICTER = {
    "up1_size_0": ValueError,  # tf-keras stores size=0 and returns empty outputs
    # a valid tf-keras method that gkeras does not implement
    "up2_interpolation_bicubic": NotImplementedError,
    # tf-keras's UpSampling3D sets its InputSpec before Layer.__init__ resets it, so it
    # accepts the 4-D input symbolically; gkeras checks the rank
    "up3_rank4_input": ValueError,
    # tf-keras raises NotImplementedError for an unknown name; gkeras a ValueError
    "up2_interpolation_bad": ValueError,
}
FRAGMENTS = {
    "up1_size_0": ["UpSampling1D", "size", "0"],
    "up2_size_0": ["UpSampling2D", "size", "0"],
    "up2_interpolation_bad": ["UpSampling2D", "interpolation", "cubic", "'bilinear'"],
    "up2_interpolation_bicubic": ["UpSampling2D", "bicubic", "not implemented"],
    "up3_size_len2": ["UpSampling3D", "size", "(2, 2)"],
    "up3_rank4_input": ["up_sampling3d", "expected ndim=5"],
    "k_resize_images_bad_format": ["resize_images", "data_format", "nchw"],
    "k_resize_images_bad_interpolation": ["resize_images", "interpolation", "cubic"],
}
NAMES = ref.error_names("up1", "up2", "up3") + ["k_resize_images_bad_format",
                                                "k_resize_images_bad_interpolation"]


@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments_raise_like_keras(name):
    ref.check_error(name, STRICTER, FRAGMENTS)


def test_every_error_case_has_fragments():
    assert set(FRAGMENTS) == set(NAMES)


@pytest.mark.parametrize("make,error,fragments", [
    (lambda: layers.UpSampling1D(2.5), ValueError, ["UpSampling1D", "size", "2.5"]),
    (lambda: layers.UpSampling1D((2, 2)), ValueError, ["UpSampling1D", "size"]),
    (lambda: layers.UpSampling2D((2, -1)), ValueError, ["UpSampling2D", "size", "-1"]),
    (lambda: layers.UpSampling2D(interpolation=None), ValueError,
     ["UpSampling2D", "interpolation"]),
    (lambda: layers.UpSampling3D(data_format="x"), ValueError, ["UpSampling3D",
                                                                "data_format"]),
    (lambda: K.resize_images(numpy.zeros((1, 2, 2, 1)), 0, 2, "channels_last"), ValueError,
     ["resize_images", "height_factor"]),
    (lambda: K.resize_images(numpy.zeros((1, 2, 2)), 2, 2, "channels_last"), ValueError,
     ["resize_images", "4-D"]),
    (lambda: K.resize_images(numpy.zeros((1, 2, 2, 1)), 2, 2, "channels_last", "area"),
     NotImplementedError, ["resize_images", "area"]),
    (lambda: K.resize_volumes(numpy.zeros((1, 2, 2, 2, 1)), 1, 1, -2, "channels_last"),
     ValueError, ["resize_volumes", "width_factor"]),
    (lambda: K.repeat_elements(numpy.zeros((1, 2)), 2, axis=2), ValueError,
     ["repeat_elements", "axis"]),
    (lambda: K.resize_images(numpy.zeros((1, 2, 2, 1), "int32"), 2, 2, "channels_last",
                             "bilinear"), TypeError, ["bilinear", "int32"]),
])
def test_more_bad_arguments(make, error, fragments):
    with pytest.raises(error) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
