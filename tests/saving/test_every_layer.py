"""Every Layer class exported by gkeras.layers: built in a model, its config round trips
(get_config/from_config, serialize/deserialize through JSON), the model round trips through
to_json/model_from_json, a whole-model .h5 file and a .keras archive, predicting the same.

A layer added to gkeras.layers without an entry in CASES is still tested with its default
arguments on a few input shapes; if none works the test fails asking for an entry.
"""
import inspect
import json

import numpy
import pytest

import gkeras as keras
from gkeras import layers


def doubled(x):
    return x * 2.0


CASES = {  # class name -> (constructor kwargs, input shape(s) without the batch axis)
    "Dense": ({"units": 3, "activation": "relu", "kernel_regularizer": "l2",
               "bias_constraint": "non_neg"}, (4,)),
    "Activation": ({"activation": "tanh"}, (4,)),
    "Dropout": ({"rate": 0.3, "seed": 1}, (4,)),
    "Flatten": ({}, (2, 3)),
    "Reshape": ({"target_shape": (3, -1)}, (6,)),
    "Permute": ({"dims": (2, 1)}, (2, 3)),
    "RepeatVector": ({"n": 2}, (3,)),
    "Lambda": ({"function": doubled, "output_shape": (3,)}, (3,)),
    "Embedding": ({"input_dim": 10, "output_dim": 3, "input_length": 4}, ("int", 4)),
    "BatchNormalization": ({"momentum": 0.9, "epsilon": 0.01}, (4,)),
    "Add": ({}, [(3,), (3,)]), "Subtract": ({}, [(3,), (3,)]),
    "Multiply": ({}, [(3,), (3,)]), "Average": ({}, [(3,), (3,)]),
    "Maximum": ({}, [(3,), (3,)]), "Minimum": ({}, [(3,), (3,)]),
    "Concatenate": ({"axis": -1}, [(3,), (2,)]),
    "Dot": ({"axes": 1, "normalize": True}, [(3,), (3,)]),
    "Conv1D": ({"filters": 2, "kernel_size": 2, "padding": "same"}, (5, 3)),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 2, "strides": 2}, (5, 3)),
    "Conv2D": ({"filters": 2, "kernel_size": (2, 3), "strides": 2, "padding": "same"},
               (5, 6, 3)),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
                        (4, 4, 3)),
    "Conv3D": ({"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (5, 5, 5, 2)),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2}, (3, 3, 3, 2)),
    "DepthwiseConv1D": ({"kernel_size": 2, "depth_multiplier": 2}, (5, 3)),
    "DepthwiseConv2D": ({"kernel_size": 2, "depth_multiplier": 2}, (5, 5, 3)),
    "SeparableConv1D": ({"filters": 2, "kernel_size": 2}, (5, 3)),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 2}, (5, 5, 3)),
    "Cropping1D": ({"cropping": (1, 2)}, (6, 3)),
    "Cropping2D": ({"cropping": ((1, 0), (0, 2))}, (5, 5, 2)),
    "Cropping3D": ({"cropping": 1}, (4, 4, 4, 2)),
    "ZeroPadding1D": ({"padding": (1, 2)}, (4, 3)),
    "ZeroPadding2D": ({"padding": ((1, 0), (2, 1))}, (4, 4, 2)),
    "ZeroPadding3D": ({"padding": 1}, (3, 3, 3, 2)),
    "UpSampling1D": ({"size": 3}, (4, 2)),
    "UpSampling2D": ({"size": (2, 3)}, (3, 3, 2)),
    "UpSampling3D": ({"size": 2}, (2, 2, 2, 2)),
    "MaxPooling1D": ({"pool_size": 2}, (6, 3)),
    "MaxPooling2D": ({"pool_size": 2, "padding": "same"}, (5, 5, 2)),
    "MaxPooling3D": ({"pool_size": 2}, (4, 4, 4, 2)),
    "AveragePooling1D": ({"pool_size": 3, "strides": 1}, (6, 3)),
    "AveragePooling2D": ({"pool_size": 2, "padding": "same"}, (5, 5, 2)),
    "AveragePooling3D": ({"pool_size": 2}, (4, 4, 4, 2)),
    "GlobalMaxPooling1D": ({}, (6, 3)), "GlobalAveragePooling1D": ({"keepdims": True}, (6, 3)),
    "GlobalMaxPooling2D": ({}, (4, 4, 3)), "GlobalAveragePooling2D": ({}, (4, 4, 3)),
    "GlobalMaxPooling3D": ({}, (3, 3, 3, 2)), "GlobalAveragePooling3D": ({}, (3, 3, 3, 2)),
    "SpatialDropout1D": ({"rate": 0.2}, (5, 3)),
    "SpatialDropout2D": ({"rate": 0.2}, (4, 4, 3)),
    "SpatialDropout3D": ({"rate": 0.2}, (3, 3, 3, 2)),
}
STRUCTURAL = {"Layer", "InputLayer"}  # tested through every model below
FALLBACK_SHAPES = [(4,), (5, 3), (4, 4, 3), (3, 3, 3, 2)]
CUSTOM = {"doubled": doubled}


def _exported_classes():
    classes = {}
    for name in dir(layers):
        obj = getattr(layers, name)
        if inspect.isclass(obj) and issubclass(obj, layers.Layer) \
                and obj.__name__ not in STRUCTURAL:
            classes[obj.__name__] = obj
    return classes


CLASSES = _exported_classes()


def _inputs(shape):
    if isinstance(shape, list):
        return [keras.Input(s) for s in shape]
    if shape[0] == "int":
        return keras.Input(shape[1:])
    return keras.Input(shape)


def _data(shape, rng, n=3):
    if isinstance(shape, list):
        return [rng.normal(size=(n,) + s).astype("float32") for s in shape]
    if shape[0] == "int":
        return rng.integers(0, 10, size=(n,) + shape[1:]).astype("float32")
    return rng.normal(size=(n,) + shape).astype("float32")


def _model_for(cls):
    """(model, layer, input shape) for `cls`, from CASES or from its default arguments."""
    if cls.__name__ in CASES:
        kwargs, shape = CASES[cls.__name__]
        inputs = _inputs(shape)
        layer = cls(**kwargs)
        return keras.Model(inputs, layer(inputs)), layer, shape
    errors = []
    for shape in FALLBACK_SHAPES:
        try:
            layer = cls()
            inp = keras.Input(shape)
            return keras.Model(inp, layer(inp)), layer, shape
        except Exception as e:  # collected for the message below
            errors.append("%s: %s" % (shape, e))
    pytest.fail("gkeras.layers.%s has no entry in tests/saving/test_every_layer.py CASES and "
                "does not build with default arguments (%s); add an entry."
                % (cls.__name__, "; ".join(errors)))


def _json(value):
    return json.loads(json.dumps(value))


def _same_predictions(a, b, x):
    numpy.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0),
                                  rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_layer_config_and_model_file_round_trips(name, tmp_path):
    cls = CLASSES[name]
    model, layer, shape = _model_for(cls)
    x = _data(shape, numpy.random.default_rng(0))

    config = layer.get_config()
    assert _json(config) == _json(config)  # JSON-serialisable
    with keras.utils.custom_object_scope(CUSTOM):
        clone = cls.from_config(config)
        assert type(clone) is cls and _json(clone.get_config()) == _json(config)
        again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
        assert type(again) is cls and _json(again.get_config()) == _json(config)

        from_json = keras.models.model_from_json(model.to_json())
    from_json.set_weights(model.get_weights())
    _same_predictions(model, from_json, x)

    model.compile("sgd", "mse")
    for suffix in (".h5", ".keras"):
        path = tmp_path / ("m" + suffix)
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects=CUSTOM)
        assert type(loaded.layers[-1]) is cls
        _same_predictions(model, loaded, x)
        assert _json(loaded.layers[-1].get_config()) == _json(config)
