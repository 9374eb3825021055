"""A reusable `layer_test`, in the spirit of Keras's own `testing_utils.layer_test`.

For one layer class and constructor kwargs it checks, on the active array module:

* building on symbolic inputs of the given shape creates the weights, and the symbolic
  output shape equals `compute_output_shape`;
* the eager output has the shape `compute_output_shape` predicts for the concrete
  input shape (and equals `expected_output` when given);
* `get_weights` / `set_weights` round trip (values and order);
* `get_config` is JSON-serialisable and `from_config(get_config())` (directly and through
  `gkeras.layers.serialize/deserialize`) gives a layer with the same config that, after
  `set_weights`, produces the same output;
* inside a one-layer functional model, `predict` equals the eager call and
  `train_on_batch` runs and returns a finite loss; the model's own config round trip
  predicts the same.

Also: `load_reference()` returns the arrays and metadata written by real Keras
(tests/reference/make_reference.py).
"""
import builtins
import json

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from reference import _refutil


def load_reference():
    """(npz arrays dict, json dict) generated from tf-keras 2.21 (core_reference)."""
    return _refutil.load_reference("core_reference")


def reference_layer_case(case):
    """(inputs, weights, expected output, json entry) of the npz case 'layer.<case>.*'."""
    arrays, meta = load_reference()
    prefix = "layer.%s." % case
    if prefix + "x" in arrays:
        inputs = arrays[prefix + "x"]
    else:
        inputs = []
        while "%sx%d" % (prefix, len(inputs)) in arrays:
            inputs.append(arrays["%sx%d" % (prefix, len(inputs))])
    weights = []
    while "%sw%d" % (prefix, len(weights)) in arrays:
        weights.append(arrays["%sw%d" % (prefix, len(weights))])
    return inputs, weights, arrays[prefix + "y"], meta["layers"][case]


def assert_config_matches_keras(ours, theirs, ignore=()):
    """Same keys and values as tf-keras's get_config, except the layer name.

    Initializers are compared by class_name and config only: tf-keras also writes
    'module' and 'registered_name' (Keras 2.13+ serialisation), gkeras writes the
    Keras 2.2-style {'class_name', 'config'} that every Keras 2 version reads.
    """
    ours = json.loads(json.dumps(ours))  # tuples -> lists, as in the JSON reference
    assert set(ours) - set(ignore) == set(theirs) - set(ignore), (sorted(ours), sorted(theirs))
    for key, value in theirs.items():
        if key == "name" or key in ignore:
            continue
        if isinstance(value, dict) and "class_name" in value:
            assert ours[key]["class_name"] == value["class_name"], key
            assert ours[key]["config"] == value["config"], key
        else:
            assert ours[key] == value, (key, ours[key], value)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _numpy(x):
    return [numpy.asarray(t) for t in x] if isinstance(x, (list, tuple)) else numpy.asarray(x)


def _random_input(shape, dtype, rng):
    shape = tuple(3 if d is None else d for d in shape)
    if numpy.dtype(dtype).kind in "iu":
        return rng.integers(0, 4, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def layer_test(layer_cls, kwargs=None, input_shape=None, input_dtype="float32",
               input_data=None, expected_output=None, expected_output_shape=None,
               weights=None, train=True, rtol=1e-6, atol=1e-6):
    """Runs the standard layer checks and returns the eager output (numpy).

    Args:
        layer_cls: the layer class.
        kwargs: constructor arguments.
        input_shape: a shape with the batch axis (None entries allowed) or a list of
            them for multi-input layers; taken from `input_data` when omitted.
        input_dtype: dtype of generated input data.
        input_data: an array or a list of arrays; random data when omitted.
        expected_output: compared with the eager output when given.
        expected_output_shape: the symbolic output shape, batch axis None.
        weights: values given to `set_weights` after building (e.g. Keras's weights).
        train: also check `train_on_batch` inside a one-layer model.
    """
    kwargs = dict(kwargs or {})
    rng = numpy.random.default_rng(0)
    if input_data is None:
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        data = [_random_input(s, input_dtype, rng) for s in shapes]
        input_data = data if isinstance(input_shape, list) else data[0]
    multi = isinstance(input_data, (list, tuple))
    arrays = [numpy.asarray(a) for a in _as_list(input_data)]
    if input_shape is None:
        input_shape = [(None,) + a.shape[1:] for a in arrays]
        input_shape = input_shape if multi else input_shape[0]
    sym_shapes = [tuple((None,) + tuple(s[1:])) for s in _as_list(input_shape)] if multi else \
        [(None,) + tuple(input_shape[1:])]

    # --- build on symbolic inputs
    layer = layer_cls(**kwargs)
    inputs = [gkeras.Input(batch_shape=s, dtype=a.dtype.name if a.dtype.kind in "iu" else None)
              for s, a in zip(sym_shapes, arrays)]
    sym_out = layer(inputs if multi else inputs[0])
    assert layer.built, "%s did not build on symbolic inputs" % layer_cls.__name__
    computed = layer.compute_output_shape(sym_shapes if multi else sym_shapes[0])
    assert tuple(sym_out.shape) == tuple(computed), (sym_out.shape, computed)
    if expected_output_shape is not None:
        assert tuple(sym_out.shape) == tuple(expected_output_shape), \
            (sym_out.shape, expected_output_shape)
    if weights is not None:
        layer.set_weights(weights)

    # --- weights round trip
    w = layer.get_weights()
    assert len(w) == len(layer.weights)
    for value, var in zip(w, layer.weights):
        assert tuple(value.shape) == tuple(var.shape)
    layer.set_weights(w)
    for a, b in zip(w, layer.get_weights()):
        numpy.testing.assert_array_equal(a, b)

    # --- eager output and its shape
    out = _numpy(layer(input_data if multi else arrays[0]))
    concrete = [a.shape for a in arrays]
    expected_shape = layer.compute_output_shape(concrete if multi else concrete[0])
    assert out.shape == tuple(expected_shape), (out.shape, expected_shape)
    if expected_output is not None:
        numpy.testing.assert_allclose(out, expected_output, rtol=rtol, atol=atol)

    # --- config round trip (direct and through serialize/deserialize)
    config = layer.get_config()
    json.dumps(config)  # must be JSON-serialisable
    for clone in (layer_cls.from_config(config),
                  layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))):
        assert type(clone) is layer_cls
        assert clone.get_config() == config
        clone(input_data if multi else arrays[0])  # builds for the same shapes
        clone.set_weights(w)
        clone_out = _numpy(clone(input_data if multi else arrays[0]))
        numpy.testing.assert_allclose(clone_out, out, rtol=rtol, atol=atol)

    # --- inside a model
    model = gkeras.Model(inputs if multi else inputs[0], sym_out)
    numpy.testing.assert_allclose(_numpy(model.predict(input_data, verbose=0)), out,
                                  rtol=rtol, atol=atol)
    model_clone = gkeras.Model.from_config(model.get_config())
    model_clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(_numpy(model_clone.predict(input_data, verbose=0)), out,
                                  rtol=rtol, atol=atol)
    if train and out.dtype.kind == "f":
        model.compile(optimizer="sgd", loss="mse")
        target = rng.normal(size=out.shape).astype(out.dtype)
        loss = model.train_on_batch(input_data, target)
        assert numpy.isfinite(loss), loss
        before = [v.copy() for v in w]
        if layer.trainable_weights:
            assert any(not numpy.array_equal(a, b) for a, b in zip(before, layer.get_weights()))
    K.clear_session()
    return out


class _TF:
    """The TensorFlow call the reference error cases use (tf.zeros), on numpy."""

    @staticmethod
    def zeros(shape):
        return numpy.zeros(shape, "float32")


def check_error_like_keras(err, name, stricter, fragments):
    """Reference error case `name` (`err`: its json entry, the call tf-keras was given):
    gkeras raises what tf-keras raised, or the `stricter` class where it deliberately
    refuses what tf-keras accepts or reports it differently, with `fragments[name]` in
    the message."""
    expected = stricter.get(name)
    if expected is None:
        assert err["raises"] is not None, "tf-keras accepts %s" % err["call"]
        expected = getattr(builtins, err["raises"])
    with pytest.raises(expected) as info:
        eval(err["call"], {"L": layers, "K": K, "keras": gkeras, "tf": _TF})  # noqa: S307
    for fragment in fragments.get(name, []):
        assert fragment in str(info.value), (fragment, str(info.value))
