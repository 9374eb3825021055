"""SpatialDropout1D/2D/3D: whole channels dropped in training (noise shape per data
format), identity in inference; Keras parity of configs, shapes and inference outputs
(tests/reference/pool_family_reference.*), the structure of tf-keras's own training
output, seeds, learning phase, gradients, layer_test round trips, errors.
"""
import inspect

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.autograd import Tape, Variable
from gkeras.autograd.gradient_check import check_gradients
from gkeras.layers import spatial_dropout

from . import pool_family_utils as ref

CASES = ref.case_names("sd1", "sd2", "sd3")


@pytest.mark.parametrize("name", CASES)
def test_inference_is_identity_as_keras(name):
    ref.check_forward(name)
    _, _, x, _, y, _ = ref.case(name)
    numpy.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    """tf-keras's keys, plus data_format for 2-D/3-D (tf-keras omits it: a channels_first
    layer would come back channels_last from its own config)."""
    ref.check_config(name)
    cls, kwargs, *_ = ref.case(name)
    layer = cls(**kwargs)
    clone = cls.from_config(layer.get_config())
    assert getattr(clone, "data_format", None) == getattr(layer, "data_format", None)


@pytest.mark.parametrize("name", CASES)
def test_shapes_match_keras(name):
    ref.check_shapes(name)


@pytest.mark.parametrize("name", CASES)
def test_layer_test(name):
    ref.check_layer_test(name)


def _channel_maps(a, cf):
    """(batch, channels, cells) view of a channels_last / channels_first array."""
    a = numpy.moveaxis(a, 1, -1) if cf else a
    return numpy.moveaxis(a.reshape(a.shape[0], -1, a.shape[-1]), -1, 1)


def _assert_whole_channels(x, y, rate, cf):
    """Each (sample, channel) map is either all zero or x / (1 - rate)."""
    xs, ys = _channel_maps(x, cf), _channel_maps(y, cf)
    dropped = (ys == 0).all(axis=2)
    kept = numpy.isclose(ys, xs / (1 - rate), rtol=1e-6, atol=0).all(axis=2)
    assert (dropped | kept).all()
    return dropped


@pytest.mark.parametrize("name", CASES)
def test_training_drops_whole_channels(name):
    cls, kwargs, x, _, _, _ = ref.case(name)
    cf = kwargs.get("data_format") == "channels_first"
    x = numpy.where(x == 0, numpy.float32(0.5), x)  # no zeros: a zero map means dropped
    ours = numpy.asarray(cls(**kwargs)(x, training=True))
    dropped = _assert_whole_channels(x, ours, kwargs["rate"], cf)
    assert dropped.shape == (x.shape[0], x.shape[1] if cf else x.shape[-1])


def test_keras_training_output_structure():
    """tf-keras's recorded training outputs keep or zero whole channels."""
    arrays = ref.load()[0]
    for name in CASES:
        _, kwargs, x, _, _, _ = ref.case(name)
        cf = kwargs.get("data_format") == "channels_first"
        theirs = arrays["case.%s.y_train" % name]
        xs, ys = _channel_maps(x, cf), _channel_maps(theirs, cf)
        nonzero = xs != 0
        scale = numpy.where(nonzero, ys / numpy.where(nonzero, xs, 1), numpy.nan)
        for n in range(xs.shape[0]):
            for c in range(xs.shape[1]):
                values = scale[n, c][nonzero[n, c]]
                assert numpy.allclose(values, 0) or \
                    numpy.allclose(values, 1 / (1 - kwargs["rate"])), (name, n, c)


@pytest.mark.parametrize("cls,shape,cf,axis", [
    (layers.SpatialDropout1D, (64, 5, 40), False, -1),
    (layers.SpatialDropout2D, (64, 3, 4, 40), False, -1),
    (layers.SpatialDropout2D, (64, 40, 3, 4), True, 1),
    (layers.SpatialDropout3D, (64, 2, 3, 2, 40), False, -1),
    (layers.SpatialDropout3D, (64, 40, 2, 3, 2), True, 1),
])
def test_noise_shape_and_rate(cls, shape, cf, axis, rng):
    kwargs = {"data_format": "channels_first"} if cf else {}
    layer = cls(0.3, seed=7, **kwargs)
    assert layer._noise_shape(shape) == tuple(
        n if i in (0, axis % len(shape)) else 1 for i, n in enumerate(shape))
    x = rng.uniform(1, 2, size=shape).astype("float32")
    y = numpy.asarray(layer(x, training=True))
    dropped = _assert_whole_channels(x, y, 0.3, cf)
    assert abs(dropped.mean() - 0.3) < 0.05  # 2560 channel maps
    assert (dropped != dropped[:1]).any()  # masks differ between samples


def test_seed_and_inference(rng):
    x = rng.uniform(1, 2, size=(4, 3, 3, 8)).astype("float32")
    a = numpy.asarray(layers.SpatialDropout2D(0.5, seed=3)(x, training=True))
    b = numpy.asarray(layers.SpatialDropout2D(0.5, seed=3)(x, training=True))
    numpy.testing.assert_array_equal(a, b)
    layer = layers.SpatialDropout2D(0.5)
    numpy.testing.assert_array_equal(numpy.asarray(layer(x)), x)
    numpy.testing.assert_array_equal(numpy.asarray(layer(x, training=False)), x)
    numpy.testing.assert_array_equal(
        numpy.asarray(layers.SpatialDropout3D(0.0)(x[..., None], training=True)), x[..., None])


def test_learning_phase_and_model(rng):
    x = rng.uniform(1, 2, size=(8, 6, 4)).astype("float32")
    model = gkeras.Sequential([layers.Dense(5, input_shape=(6, 4), kernel_initializer="ones"),
                               layers.SpatialDropout1D(0.5), layers.Flatten(),
                               layers.Dense(1)])
    f = K.function([model.input, K.learning_phase()], [model.layers[1].output])
    full = K.function([model.input], [model.layers[0].output])([x])[0]
    numpy.testing.assert_allclose(f([x, 0])[0], full)
    _assert_whole_channels(full, f([x, 1])[0], 0.5, False)
    numpy.testing.assert_allclose(model.predict(x, verbose=0),
                                  model.predict(x, verbose=0))  # inference: deterministic
    model.compile("sgd", "mse")
    assert numpy.isfinite(model.fit(x, numpy.zeros((8, 1)), epochs=1, verbose=0)
                          .history["loss"][0])


def test_gradient(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    for fmt in ("channels_last", "channels_first"):
        def fn(t, fmt=fmt):
            return layers.SpatialDropout2D(0.5, data_format=fmt, seed=1,
                                           dtype="float64")(t, training=True)
        check_gradients(fn, [x])
    v = Variable(x.astype("float32"))
    with Tape() as tape:
        y = layers.SpatialDropout2D(0.4, seed=2)(v, training=True)
    g = numpy.asarray(tape.gradient(y, [v])[0])
    numpy.testing.assert_allclose(g * v.numpy(), numpy.asarray(y), rtol=1e-6)


KERAS_SIGNATURES = {
    "SpatialDropout1D": "rate",
    "SpatialDropout2D": "rate, data_format=None",
    "SpatialDropout3D": "rate, data_format=None",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_and_import_paths(name):
    cls = getattr(layers, name)
    params = [p for n, p in inspect.signature(cls.__init__).parameters.items()
              if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert ", ".join(str(p) for p in params) == KERAS_SIGNATURES[name]
    assert getattr(spatial_dropout, name) is cls
    assert issubclass(cls, layers.Dropout)  # as in tf-keras
    layer = cls(0.5, noise_shape=(1, 2), seed=4)  # accepted, as tf-keras's config has them
    assert layer.seed == 4 and layer.noise_shape == (1, 2)


def test_image_data_format_default():
    gkeras.backend.set_image_data_format("channels_first")
    try:
        assert layers.SpatialDropout2D(0.5).data_format == "channels_first"
        assert layers.SpatialDropout3D(0.5).data_format == "channels_first"
        assert layers.SpatialDropout1D(0.5).data_format == "channels_last"
    finally:
        gkeras.backend.set_image_data_format("channels_last")


# ------------------------------------------------------------------ errors
FRAGMENTS = {
    "sd1_rate_bad": ["SpatialDropout1D", "rate", "1.5"],
    "sd2_data_format_bad": ["SpatialDropout2D", "data_format", "channels_middle"],
    "sd3_rank4_input": ["spatial_dropout3d", "expected ndim=5"],
}


@pytest.mark.parametrize("name", ref.error_names("sd1", "sd2", "sd3"))
def test_bad_arguments_raise_like_keras(name):
    ref.check_error(name, {}, FRAGMENTS)


def test_every_error_case_has_fragments():
    assert set(FRAGMENTS) == set(ref.error_names("sd1", "sd2", "sd3"))


@pytest.mark.parametrize("make,fragments", [
    (lambda: layers.SpatialDropout2D(-0.1), ["SpatialDropout2D", "rate"]),
    (lambda: layers.SpatialDropout3D(1), ["SpatialDropout3D", "rate", "[0, 1)"]),
    (lambda: layers.SpatialDropout1D("0.5", name="sd"), ["SpatialDropout1D", "'sd'", "rate"]),
])
def test_more_bad_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
