"""Shared checks of the pooling / cropping / padding / upsampling / spatial-dropout layers
against tf-keras 2.21 (tests/reference/pool_family_reference.{npz,json}, written by
tests/reference/make_reference_pool_family.py; see its docstring for the keys).

Each test module of the family parametrizes over its own case-name prefixes and calls
`check_forward`, `check_gradient`, `check_config`, ... here.
"""
import functools
import json

import numpy

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.autograd import Tape, Variable
from reference._refutil import load_reference

from .layer_test_utils import check_error_like_keras, layer_test

# the config keys gkeras adds to tf-keras's (see gkeras/layers/spatial_dropout.py)
EXTRA_CONFIG_KEYS = {"SpatialDropout2D": {"data_format"}, "SpatialDropout3D": {"data_format"}}


load = functools.partial(load_reference, "pool_family_reference")


def case_names(*prefixes):
    return sorted(n for n in load()[1]["cases"] if n.split("_")[0] in prefixes)


def backend_names(*functions):
    return sorted(n for n, e in load()[1]["backend"].items() if e["function"] in functions)


def error_names(*prefixes):
    return sorted(n for n in load()[1]["errors"] if n.split("_")[0] in prefixes)


def cotangent(shape):
    """The generator's fixed cotangent: r.flat[i] = ((7 i) mod 17 - 8) / 8."""
    n = int(numpy.prod(shape))
    return (((7 * numpy.arange(n)) % 17 - 8) / 8.0).astype(numpy.float32).reshape(shape)


def case(name):
    """(layer class, kwargs, x, call kwargs (mask), y, json entry)."""
    arrays, meta = load()
    entry = meta["cases"][name]
    prefix = "case.%s." % name
    call_kwargs = {"mask": arrays[prefix + "mask"]} if prefix + "mask" in arrays else {}
    return (getattr(layers, entry["class_name"]), dict(entry["kwargs"]), arrays[prefix + "x"],
            call_kwargs, arrays[prefix + "y"], entry)


def check_forward(name):
    cls, kwargs, x, call_kwargs, y, _ = case(name)
    out = numpy.asarray(cls(**kwargs)(x, **call_kwargs))
    assert out.shape == y.shape and out.dtype == numpy.float32
    numpy.testing.assert_allclose(out, y, rtol=1e-6, atol=1e-6)


def has_gradient(name):
    return "case.%s.gx" % name in load()[0]


def check_gradient(name):
    """The tape's d sum(layer(x) * r) / dx equals TensorFlow's."""
    cls, kwargs, x, call_kwargs, y, _ = case(name)
    v = Variable(x.copy())
    with Tape() as tape:
        out = cls(**kwargs)(v, **call_kwargs)
    gx, = tape.gradient(out, [v], cotangent(y.shape))
    numpy.testing.assert_allclose(numpy.asarray(gx), load()[0]["case.%s.gx" % name],
                                  rtol=1e-6, atol=1e-6)


def check_config(name):
    """get_config has tf-keras's keys and values (except the name; + EXTRA_CONFIG_KEYS),
    and tf-keras's own config builds the same layer."""
    cls, kwargs, x, call_kwargs, y, entry = case(name)
    theirs = entry["config"]
    ours = json.loads(json.dumps(cls(**kwargs).get_config()))
    extra = EXTRA_CONFIG_KEYS.get(cls.__name__, set())
    assert set(ours) == set(theirs) | extra, (sorted(ours), sorted(theirs))
    for key, value in theirs.items():
        if key != "name":
            assert ours[key] == value, (key, ours[key], value)
    layer = cls.from_config(theirs)
    assert layer.name == theirs["name"]
    numpy.testing.assert_allclose(numpy.asarray(layer(x, **call_kwargs)), y, rtol=1e-6,
                                  atol=1e-6)


def check_shapes(name):
    """compute_output_shape (incl. None axes) and the symbolic output shape."""
    cls, kwargs, x, _, y, entry = case(name)
    layer = cls(**kwargs)
    for in_shape, out_shape in entry["compute_output_shape"]:
        assert layer.compute_output_shape(tuple(in_shape)) == tuple(out_shape), in_shape
    out = cls(**kwargs)(gkeras.Input(shape=x.shape[1:]))
    assert tuple(out.shape) == (None,) + y.shape[1:]


def check_layer_test(name):
    cls, kwargs, x, call_kwargs, y, _ = case(name)
    assert not call_kwargs, "layer_test does not pass call arguments (the mask)"
    layer_test(cls, kwargs, input_data=x, expected_output=y,
               expected_output_shape=(None,) + y.shape[1:])


def check_backend(name):
    """K.<function>(x, *args, **kwargs) equals tf-keras's backend function."""
    arrays, meta = load()
    entry = meta["backend"][name]
    fn = getattr(K, entry["function"])
    y = arrays["k.%s.y" % name]
    out = numpy.asarray(fn(arrays["k.%s.x" % name], *entry["args"], **entry["kwargs"]))
    assert out.shape == y.shape
    numpy.testing.assert_allclose(out, y, rtol=1e-6, atol=1e-6)


def check_error(name, stricter, fragments):
    """`check_error_like_keras` for the pool family reference's error case `name`."""
    check_error_like_keras(load()[1]["errors"][name], name, stricter, fragments)
