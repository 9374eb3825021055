"""Reference data for the rest of the convolution family, from REAL Keras 2 (tf-keras).

Layers: Conv1D (valid / same / causal, strides, dilation), Conv1DTranspose,
Conv3DTranspose, SeparableConv1D, SeparableConv2D, DepthwiseConv1D, DepthwiseConv2D,
plus the backend functions K.depthwise_conv2d, K.separable_conv2d and K.conv3d_transpose.
(tf-keras 2.21's internal `separable_conv1d` is broken -- it hands "NWC" to
tf.nn.separable_conv2d -- and is not exported; SeparableConv1D's cases cover that math.)

What it produces (in the directory of this script):

* ``conv_family_reference.npz`` -- numpy arrays (inputs, weights, outputs, gradients).
* ``conv_family_reference.json`` -- metadata (versions, seed), each case's class name,
  constructor arguments, ``get_config()``, ``compute_output_shape`` results and how its
  channels_first numbers were obtained; the errors tf-keras raises for bad arguments;
  ``"npz_keys"`` describes every array.

Nothing depends on TensorFlow's RNG: all data come from ``numpy.random.default_rng(SEED)``
and every weight is set explicitly with ``set_weights``. Inputs, weights and the output
cotangents ``r`` are multiples of 1/8 (small integers over 8): outputs and gradients are
then exact in float32 in any summation order, so the parity tests measure indexing,
padding and layout, not rounding. The npz is written with fixed zip timestamps, so
regenerating with the same versions gives identical bytes.

How to regenerate (versions used for the committed files are pinned here)::

    python -m venv v
    v/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    v/bin/python tests/reference/make_reference_conv_family.py

(generated with Python 3.11.7, numpy 2.4.6, tensorflow-cpu 2.21.0, tf-keras 2.21.0 on CPU;
the exact versions are recorded in json["meta"].)

channels_first: TensorFlow's CPU kernels do not implement every NCHW / NCW op. Every
channels_first case is ALSO computed as the channels_last layer (same weights) on the
transposed input, transposed back; when TF computes NCHW itself the script asserts both
agree, otherwise it stores the transposed result. json["cases"][<case>]
["channels_first_via"] says which ("tf" or "transpose").

NPZ layout (all float32): to keep the files small (one zip entry per array costs
~250 bytes), each case is ONE flat array, the concatenation of its parts in C order;
json lists the parts as [[part name, shape], ...] under "parts" (`unpack()` in
tests/layers/test_conv_family.py splits them back).

a. Layer cases, npz key ``case.<name>``; parts: ``x`` input, ``w<i>`` weights in
   ``get_weights()`` order, ``y`` = ``layer(x)``, ``r`` a fixed output cotangent,
   ``gx`` = d sum(y * r) / dx, ``gw<i>`` = d sum(y * r) / dw<i> (tf.GradientTape).
   json["cases"][<name>] = {"class_name", "kwargs", "config" (get_config()),
   "input_shape", "output_shape", "compute_output_shape": [[in, out], ...] (None ->
   null; full shape, None batch, None spatial axes), "channels_first_via" (cf only),
   "parts"}.
   Case name prefixes: conv1d_, convt1d_ (Conv1DTranspose), convt3d_ (Conv3DTranspose),
   sep1d_, sep2d_, dw1d_, dw2d_; "_cf" marks channels_first, "same_even" TF's asymmetric
   'same' padding on even sizes with stride 2.

b. Backend cases, npz key ``backend.<name>``; parts ``x``, ``k<i>`` (kernels in
   argument order), ``y``; json["backend"][<name>] = {"function", "kwargs", "parts"}
   (keyword arguments after the kernels; for conv3d_transpose "output_shape" is one).

c. json["errors"][<name>] = {"call": source text, "raises": exception class name or
   null, "message": str(exception)}: what tf-keras does with each bad argument.
"""

import functools
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import _refutil  # noqa: E402
from _refutil import (configure_tf, to_channels_first, to_channels_last,  # noqa: E402
                      to_py, write_npz)
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras.src import backend as KB  # noqa: E402  (conv3d_transpose is not exported)

SEED = 20240612
HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "conv_family_reference"

configure_tf(tf, keras)

rng = np.random.default_rng(SEED)
dyadic = functools.partial(_refutil.dyadic, rng)
L = keras.layers

ARR = {}
DESC = {}
JS = {
    "meta": {
        "generator": "tests/reference/make_reference_conv_family.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "floatx": keras.backend.floatx(),
    },
    "cases": {},
    "backend": {},
    "errors": {},
}


def put(key, parts, desc):
    """Stores [(part name, array), ...] as one flat float32 array; returns the json parts."""
    assert key not in ARR, key
    arrays = [np.asarray(a, dtype=np.float32) for _, a in parts]
    ARR[key] = np.concatenate([a.ravel() for a in arrays])
    DESC[key] = f"float32[{ARR[key].size}] {desc}: " + ", ".join(n for n, _ in parts)
    return [[n, list(a.shape)] for (n, _), a in zip(parts, arrays)]


# ---------------------------------------------------------------------------
# a. Layer cases: name -> (class name, constructor kwargs, input shape)
# ---------------------------------------------------------------------------
CF = {"data_format": "channels_first"}
CASES = {
    # Conv1D
    "conv1d_valid": ("Conv1D", dict(filters=3, kernel_size=3), (2, 7, 2)),
    "conv1d_same_even_s2": ("Conv1D", dict(filters=2, kernel_size=3, strides=2, padding="same"),
                            (2, 8, 3)),
    "conv1d_same_k4": ("Conv1D", dict(filters=2, kernel_size=4, padding="same"), (1, 6, 2)),
    "conv1d_causal_dil2": ("Conv1D", dict(filters=2, kernel_size=3, padding="causal",
                                          dilation_rate=2), (2, 9, 2)),
    "conv1d_causal_s2": ("Conv1D", dict(filters=2, kernel_size=2, strides=2, padding="causal"),
                         (1, 7, 2)),
    "conv1d_dilation_valid": ("Conv1D", dict(filters=2, kernel_size=2, dilation_rate=3),
                              (1, 8, 2)),
    "conv1d_nobias_config": ("Conv1D", dict(filters=2, kernel_size=2, use_bias=False,
                                            activation="tanh", kernel_regularizer="l2",
                                            activity_regularizer="l1",
                                            kernel_constraint="max_norm",
                                            kernel_initializer="he_uniform"), (1, 5, 2)),
    "conv1d_cf_same_s2": ("Conv1D", dict(filters=2, kernel_size=3, strides=2, padding="same",
                                         **CF), (2, 3, 7)),
    "conv1d_cf_causal": ("Conv1D", dict(filters=2, kernel_size=2, padding="causal",
                                        dilation_rate=2, **CF), (1, 2, 6)),
    # Conv1DTranspose
    "convt1d_valid_s1": ("Conv1DTranspose", dict(filters=2, kernel_size=3), (2, 4, 3)),
    "convt1d_valid_s2": ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2),
                         (1, 3, 2)),
    "convt1d_same_s2": ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                padding="same"), (2, 4, 2)),
    "convt1d_same_s2_outpad1": ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                        padding="same", output_padding=1),
                                (1, 3, 2)),
    "convt1d_valid_s3_outpad2": ("Conv1DTranspose", dict(filters=2, kernel_size=2, strides=3,
                                                         output_padding=2), (1, 3, 2)),
    "convt1d_dilation": ("Conv1DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2),
                         (1, 4, 2)),
    "convt1d_cf_same_s2": ("Conv1DTranspose", dict(filters=3, kernel_size=2, strides=2,
                                                   padding="same", **CF), (1, 2, 4)),
    # Conv3DTranspose
    "convt3d_valid": ("Conv3DTranspose", dict(filters=2, kernel_size=(2, 2, 3)),
                      (1, 2, 3, 2, 2)),
    "convt3d_same_s2": ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                padding="same"), (1, 2, 2, 3, 2)),
    "convt3d_valid_outpad": ("Conv3DTranspose", dict(filters=2, kernel_size=3,
                                                     strides=(2, 3, 2),
                                                     output_padding=(1, 2, 0)),
                             (1, 2, 2, 2, 1)),
    "convt3d_cf_same": ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=(1, 2, 2),
                                                padding="same", **CF), (1, 2, 2, 3, 2)),
    # SeparableConv1D
    "sep1d_valid": ("SeparableConv1D", dict(filters=4, kernel_size=3), (2, 7, 3)),
    "sep1d_same_s2_dm2": ("SeparableConv1D", dict(filters=3, kernel_size=3, strides=2,
                                                  padding="same", depth_multiplier=2),
                          (1, 8, 2)),
    "sep1d_causal_dil2": ("SeparableConv1D", dict(filters=2, kernel_size=3, padding="causal",
                                                  dilation_rate=2), (2, 8, 2)),
    "sep1d_cf_same": ("SeparableConv1D", dict(filters=2, kernel_size=2, padding="same", **CF),
                      (1, 3, 6)),
    "sep1d_config": ("SeparableConv1D", dict(filters=2, kernel_size=2, use_bias=False,
                                             activation="relu",
                                             depthwise_regularizer="l2",
                                             pointwise_regularizer="l1",
                                             depthwise_constraint="non_neg",
                                             pointwise_constraint="unit_norm",
                                             depthwise_initializer="he_normal",
                                             pointwise_initializer="ones",
                                             bias_initializer="ones"), (1, 5, 2)),
    # SeparableConv2D
    "sep2d_valid": ("SeparableConv2D", dict(filters=4, kernel_size=3), (2, 5, 6, 3)),
    "sep2d_same_even_s2": ("SeparableConv2D", dict(filters=3, kernel_size=3, strides=2,
                                                   padding="same"), (1, 6, 6, 2)),
    "sep2d_dm2_dilation": ("SeparableConv2D", dict(filters=3, kernel_size=(3, 2), padding="same",
                                                   depth_multiplier=2, dilation_rate=2),
                           (1, 7, 6, 2)),
    "sep2d_k2_same_s12": ("SeparableConv2D", dict(filters=2, kernel_size=2, padding="same",
                                                  strides=(1, 2)), (1, 5, 4, 2)),
    "sep2d_cf_same_s2": ("SeparableConv2D", dict(filters=2, kernel_size=3, strides=2,
                                                 padding="same", **CF), (2, 3, 6, 5)),
    "sep2d_config": ("SeparableConv2D", dict(filters=2, kernel_size=2, use_bias=False,
                                             activation="relu", depth_multiplier=2,
                                             depthwise_regularizer="l1_l2",
                                             pointwise_regularizer="l2",
                                             activity_regularizer="l2",
                                             depthwise_constraint="max_norm",
                                             pointwise_constraint="non_neg",
                                             depthwise_initializer="lecun_normal"),
                     (1, 4, 4, 2)),
    # DepthwiseConv1D
    "dw1d_valid": ("DepthwiseConv1D", dict(kernel_size=3), (2, 7, 3)),
    "dw1d_same_s2_dm2": ("DepthwiseConv1D", dict(kernel_size=3, strides=2, padding="same",
                                                 depth_multiplier=2), (1, 8, 2)),
    "dw1d_dilation_dm3": ("DepthwiseConv1D", dict(kernel_size=2, dilation_rate=2,
                                                  depth_multiplier=3), (1, 9, 2)),
    "dw1d_cf_same": ("DepthwiseConv1D", dict(kernel_size=3, padding="same", **CF), (1, 3, 6)),
    # DepthwiseConv2D
    "dw2d_valid": ("DepthwiseConv2D", dict(kernel_size=3), (2, 5, 6, 3)),
    "dw2d_same_even_s2": ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same"),
                          (1, 6, 8, 2)),
    "dw2d_dm2_same": ("DepthwiseConv2D", dict(kernel_size=(2, 3), padding="same",
                                              depth_multiplier=2), (1, 5, 5, 2)),
    "dw2d_dilation_dm2": ("DepthwiseConv2D", dict(kernel_size=2, dilation_rate=(2, 3),
                                                  depth_multiplier=2), (1, 7, 7, 2)),
    "dw2d_cf_same_s2": ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same",
                                                depth_multiplier=2, **CF), (2, 3, 6, 6)),
    "dw2d_config": ("DepthwiseConv2D", dict(kernel_size=2, use_bias=False, activation="relu",
                                            depthwise_regularizer="l2",
                                            activity_regularizer="l1",
                                            depthwise_constraint="max_norm",
                                            depthwise_initializer="he_uniform",
                                            bias_initializer="ones"), (1, 4, 4, 2)),
}


def _shape_cases(layer, shape):
    """compute_output_shape for the full, None-batch and None-spatial input shapes."""
    rank = len(shape)
    cf = layer.data_format == "channels_first"
    spatial = list(range(2, rank)) if cf else list(range(1, rank - 1))
    shapes = [list(shape), [None] + list(shape[1:])]
    none_sp = [None] + list(shape[1:])
    for ax in spatial:
        none_sp[ax] = None
    shapes.append(none_sp)
    return [[s, to_py(layer.compute_output_shape(tuple(s)))] for s in shapes]


def _forward_and_grads(layer, x, r):
    """y = layer(x) and the gradients of sum(y * r) w.r.t. x and each weight."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        s = tf.reduce_sum(y * tf.constant(r))
    grads = tape.gradient(s, [xt] + layer.weights)
    return y.numpy(), [g.numpy() for g in grads]


def run_case(name, cls_name, kwargs, shape):
    keras.backend.clear_session()
    x = dyadic(shape)
    cls = getattr(L, cls_name)
    layer = cls(**kwargs)
    layer.build(tf.TensorShape((None,) + shape[1:]))
    weights = [dyadic(w.shape, -4, 4, 8.0) for w in layer.get_weights()]
    layer.set_weights(weights)
    out_shape = tuple(layer.compute_output_shape((None,) + shape[1:]).as_list())
    r = dyadic((shape[0],) + out_shape[1:], -4, 4, 8.0)
    entry = {"class_name": cls_name, "kwargs": to_py(kwargs),
             "config": to_py(layer.get_config()), "input_shape": list(shape)}
    if kwargs.get("data_format") == "channels_first":
        twin = cls(**dict(kwargs, data_format="channels_last"))
        twin.build(tf.TensorShape((None,) + to_channels_last(x).shape[1:]))
        twin.set_weights(weights)
        y_t, g_t = _forward_and_grads(twin, to_channels_last(x), to_channels_last(r))
        y_t, g_t = to_channels_first(y_t), [to_channels_first(g_t[0])] + g_t[1:]
        try:
            y, grads = _forward_and_grads(layer, x, r)
            np.testing.assert_allclose(y, y_t, rtol=1e-6, atol=1e-6)
            for a, b in zip(grads, g_t):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
            entry["channels_first_via"] = "tf"
        except (tf.errors.OpError, NotImplementedError, ValueError):
            y, grads = y_t, g_t
            entry["channels_first_via"] = "transpose"
    else:
        y, grads = _forward_and_grads(layer, x, r)
    parts = ([("x", x)] + [(f"w{i}", w) for i, w in enumerate(weights)]
             + [("y", y), ("r", r), ("gx", grads[0])]
             + [(f"gw{i}", g) for i, g in enumerate(grads[1:])])
    entry["parts"] = put(f"case.{name}", parts, f"{cls_name} case")
    entry["output_shape"] = list(y.shape)
    entry["compute_output_shape"] = _shape_cases(layer, shape)
    JS["cases"][name] = entry


# ---------------------------------------------------------------------------
# b. Backend functions: name -> (function, x shape, kernel shapes, kwargs)
# ---------------------------------------------------------------------------
BACKEND = {
    "depthwise_conv2d_cf_s2": ("depthwise_conv2d", (1, 2, 6, 5), [(3, 3, 2, 2)],
                               dict(strides=(2, 2), padding="same",
                                    data_format="channels_first")),
    "depthwise_conv2d_dilation": ("depthwise_conv2d", (1, 7, 6, 2), [(2, 2, 2, 1)],
                                  dict(padding="valid", data_format="channels_last",
                                       dilation_rate=(2, 2))),
    "separable_conv2d_same_dil": ("separable_conv2d", (1, 6, 5, 2),
                                  [(3, 3, 2, 2), (1, 1, 4, 3)],
                                  dict(padding="same", data_format="channels_last",
                                       dilation_rate=(2, 2))),
    "separable_conv2d_cf_s2": ("separable_conv2d", (2, 2, 5, 6), [(2, 3, 2, 1), (1, 1, 2, 3)],
                               dict(strides=(2, 2), padding="same",
                                    data_format="channels_first")),
    "conv3d_transpose_same_s2": ("conv3d_transpose", (1, 2, 3, 2, 2), [(3, 3, 2, 3, 2)],
                                 dict(output_shape=(1, 4, 6, 4, 3), strides=(2, 2, 2),
                                      padding="same", data_format="channels_last")),
    "conv3d_transpose_cf_valid": ("conv3d_transpose", (1, 2, 2, 2, 3), [(2, 2, 2, 2, 2)],
                                  dict(output_shape=(1, 2, 3, 3, 4), strides=(1, 1, 1),
                                       padding="valid", data_format="channels_first")),
}


def section_backend():
    for name, (fn, xshape, kshapes, kwargs) in BACKEND.items():
        x = dyadic(xshape)
        ks = [dyadic(s, -4, 4, 8.0) for s in kshapes]
        y = getattr(KB, fn)(tf.constant(x), *[tf.constant(k) for k in ks], **kwargs)
        parts = [("x", x)] + [(f"k{i}", k) for i, k in enumerate(ks)] + [("y", y.numpy())]
        JS["backend"][name] = {"function": fn, "kwargs": to_py(kwargs),
                              "parts": put(f"backend.{name}", parts, f"K.{fn} case")}


# ---------------------------------------------------------------------------
# c. Errors
# ---------------------------------------------------------------------------
ERRORS = {
    "conv1d_strides_and_dilation": "L.Conv1D(2, 3, strides=2, dilation_rate=2)",
    "conv1d_padding_bad": "L.Conv1D(2, 3, padding='full')",
    "conv1d_filters_0": "L.Conv1D(0, 3)",
    "conv1d_kernel_too_big": "L.Conv1D(2, 5)(keras.Input((4, 2)))",
    "conv1d_rank2_input": "L.Conv1D(2, 3)(keras.Input((6,)))",
    "conv1d_rank4_input": "L.Conv1D(2, 3)(keras.Input((5, 6, 2)))",
    "convt1d_output_padding_ge_strides": "L.Conv1DTranspose(2, 3, strides=2, output_padding=2)",
    "convt1d_strides_and_dilation": "L.Conv1DTranspose(2, 3, strides=2, dilation_rate=2)",
    "convt1d_causal": "L.Conv1DTranspose(2, 3, padding='causal')(tf.zeros((1, 4, 2)))",
    "convt3d_output_padding_ge_strides": "L.Conv3DTranspose(2, 3, strides=(2, 1, 2), "
                                         "output_padding=(1, 1, 0))",
    "convt3d_strides_and_dilation": "L.Conv3DTranspose(2, 3, strides=2, dilation_rate=2)",
    "convt3d_rank4_input": "L.Conv3DTranspose(2, 3)(keras.Input((4, 4, 2)))",
    "sep1d_strides_and_dilation": "L.SeparableConv1D(2, 3, strides=2, dilation_rate=2)",
    "sep2d_strides_and_dilation": "L.SeparableConv2D(2, 3, strides=2, dilation_rate=2)",
    "sep2d_causal": "L.SeparableConv2D(2, 3, padding='causal')",
    "sep2d_filters_0": "L.SeparableConv2D(0, 3)",
    "sep2d_kernel_0": "L.SeparableConv2D(2, 0)",
    "sep2d_unknown_channels": "L.SeparableConv2D(2, 3)(keras.Input((6, 6, None)))",
    "sep2d_rank3_input": "L.SeparableConv2D(2, 3)(keras.Input((6, 6)))",
    "dw1d_causal": "L.DepthwiseConv1D(3, padding='causal')",
    "dw1d_strides_and_dilation": "L.DepthwiseConv1D(3, strides=2, dilation_rate=2)",
    "dw2d_strides_and_dilation": "L.DepthwiseConv2D(3, strides=2, dilation_rate=2)",
    "dw2d_causal": "L.DepthwiseConv2D(3, padding='causal')",
    "dw2d_padding_bad": "L.DepthwiseConv2D(3, padding='full')",
    "dw2d_kernel_0": "L.DepthwiseConv2D(0)",
    "dw2d_rank3_input": "L.DepthwiseConv2D(3)(keras.Input((6, 6)))",
    "dw2d_unknown_channels": "L.DepthwiseConv2D(3)(keras.Input((6, 6, None)))",
    "dw2d_depth_multiplier_0": "L.DepthwiseConv2D(3, depth_multiplier=0)",
    "dw2d_cf_channel_mismatch": "(lambda l: (l(tf.zeros((1, 3, 5, 5))), "
                                "l(tf.zeros((1, 4, 5, 5)))))"
                                "(L.DepthwiseConv2D(3, data_format='channels_first'))",
}


def section_errors():
    for name, src in ERRORS.items():
        keras.backend.clear_session()
        try:
            eval(src, {"L": L, "keras": keras, "tf": tf})  # noqa: S307 (fixed literals)
            JS["errors"][name] = {"call": src, "raises": None, "message": None}
        except Exception as e:  # noqa: BLE001 (recording what tf-keras raises)
            JS["errors"][name] = {"call": src, "raises": type(e).__name__,
                                  "message": " ".join(str(e).split())[:300]}


# ---------------------------------------------------------------------------
def main():
    for name, (cls_name, kwargs, shape) in CASES.items():
        run_case(name, cls_name, kwargs, shape)
    section_backend()
    section_errors()
    JS["npz_keys"] = dict(sorted(DESC.items()))
    npz_path = os.path.join(HERE, NAME + ".npz")
    json_path = os.path.join(HERE, NAME + ".json")
    write_npz(npz_path, ARR)
    with open(json_path, "w") as f:
        json.dump(JS, f, indent=None, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    with np.load(npz_path) as z:
        assert sorted(z.files) == sorted(ARR)
        for k in ARR:
            np.testing.assert_array_equal(z[k], ARR[k])
    for p in (npz_path, json_path):
        print(f"{os.path.relpath(p)}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main()
