"""Generate reference data for the convolution / pooling layers from REAL Keras 2 (tf-keras).

What it produces (in the directory of this script):

* ``conv_reference.npz`` -- numpy arrays (inputs, weights, outputs), keys listed below.
* ``conv_reference.json`` -- metadata (versions, seed), each case's class name, constructor
  arguments, ``get_config()``, input/output shapes and ``compute_output_shape`` results,
  how its channels_first numbers were obtained, the errors tf-keras raises for bad
  arguments, and the tiny CNN's training history; ``"npz_keys"`` describes every array.

Nothing depends on TensorFlow's RNG: all data come from ``numpy.random.default_rng(SEED)``
and every weight is set explicitly with ``set_weights``.  Inputs and weights of the forward
cases are small dyadic rationals (multiples of 1/8, max-pooling inputs a permutation of
k/16 so that no window has a tie): convolution outputs are then exact in float32 in any
summation order, so the parity tests measure indexing, padding and layout, not rounding.
The npz is written with fixed zip timestamps, so regenerating with the same versions gives
identical bytes.

How to regenerate (versions used for the committed files are pinned here)::

    python -m venv v
    v/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    v/bin/python tests/reference/make_reference_conv.py

(generated with Python 3.11, numpy 2.4.6, tensorflow-cpu 2.21.0, tf-keras 2.21.0 on CPU.)

channels_first: TensorFlow's CPU kernels do not implement every NCHW op in every mode
(graph-mode pooling in particular).  Every channels_first case is therefore ALSO computed
as the channels_last layer (same weights) on the transposed input, transposed back; the
script asserts both agree (exactly here) when TF computes NCHW directly, and otherwise
stores the transposed channels_last result.  json["cases"][<case>]["channels_first_via"]
says which: "tf" (TF ran NCHW itself and agreed) or "transpose".  The tiny CNN trains in
channels_last only.

NPZ key scheme (``.`` separated, float32 unless noted):

a. Forward cases ``case.<name>.x`` input, ``case.<name>.w<i>`` weights in
   ``get_weights()`` order (kernel, bias), ``case.<name>.y`` = ``layer(x)`` output.
   json["cases"][<name>] = {"class_name", "kwargs" (constructor arguments),
   "config" (get_config()), "input_shape", "output_shape",
   "compute_output_shape": [[input_shape, output_shape], ...] (None -> null; includes a
   None batch axis and None spatial axes), "channels_first_via" (channels_first only)}.
   Cases (names say what they cover; see CASES below for the exact arguments):
     conv2d_*   Conv2D: valid/same, strides, dilation, even/odd sizes (TF's asymmetric
                'same' padding: the extra cell at the bottom/right), even kernels,
                use_bias=False, activations, regularizer/constraint configs,
                channels_first.
     convt_*    Conv2DTranspose: strides 1/2/3, 'valid'/'same', output_padding, dilation,
                even kernels, channels_first.  Kernel layout (kh, kw, out, in).
     conv3d_*   Conv3D: valid/same, strides, dilation, channels_first.
     maxpool_* / avgpool_*   MaxPooling2D / AveragePooling2D: default and explicit
                strides, 'same' on even and odd sizes (average ignores padded cells),
                channels_first.
     gmp_* / gap_*   GlobalMaxPooling2D / GlobalAveragePooling2D, keepdims, channels_first.
     crop_*     Cropping2D: int, symmetric pair, full ((t, b), (l, r)), channels_first.
     zpad_*     ZeroPadding2D: default, int, pair, full, channels_first.

b. Tiny CNN training parity (json["training"]["tiny_cnn"]):
   ``train.cnn.x`` (12, 8, 8, 1), ``train.cnn.y`` (12, 3) one-hot,
   ``train.cnn.w0.<i>`` initial weights [conv kernel (3,3,1,4), conv bias (4,),
   dense kernel (36,3), dense bias (3,)],
   ``train.cnn.predict0`` predict(x) at w0,
   ``train.cnn.fit.w.<i>`` weights after fit(batch_size=4, epochs=2, shuffle=False),
   ``train.cnn.predict1`` predict(x) after fit.
   Model: Sequential([Conv2D(4, (3, 3), activation='relu', input_shape=(8, 8, 1)),
   MaxPooling2D(), Flatten(), Dense(3, activation='softmax')]), compiled with
   SGD(learning_rate=0.1), categorical_crossentropy, metrics=['accuracy'].

c. json["errors"][<name>] = {"call": source text, "raises": exception class name or null,
   "message": str(exception)}: what tf-keras does with each bad argument.
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

SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))

configure_tf(tf, keras)

rng = np.random.default_rng(SEED)
dyadic = functools.partial(_refutil.dyadic, rng)
distinct = functools.partial(_refutil.distinct, rng)
L = keras.layers

ARR = {}
DESC = {}
JS = {
    "meta": {
        "generator": "tests/reference/make_reference_conv.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "floatx": keras.backend.floatx(),
    },
    "cases": {},
    "training": {},
    "errors": {},
}


def put(key, value, desc=""):
    assert key not in ARR, key
    a = np.asarray(value)
    ARR[key] = a
    DESC[key] = f"{a.dtype}{list(a.shape)} {desc}".rstrip()


# ---------------------------------------------------------------------------
# a. Forward cases
# ---------------------------------------------------------------------------
# name -> (class name, kwargs, input shape, input kind)
CASES = {
    # Conv2D
    "conv2d_valid": ("Conv2D", dict(filters=3, kernel_size=(3, 3)), (2, 6, 5, 2), "d"),
    "conv2d_valid_relu_k32_s21": ("Conv2D", dict(filters=2, kernel_size=(3, 2), strides=(2, 1),
                                                 activation="relu"), (2, 7, 6, 2), "d"),
    "conv2d_same_even_s2": ("Conv2D", dict(filters=2, kernel_size=3, strides=2, padding="same"),
                            (2, 8, 6, 3), "d"),
    "conv2d_same_odd_s2": ("Conv2D", dict(filters=2, kernel_size=3, strides=2, padding="same"),
                           (2, 7, 5, 2), "d"),
    "conv2d_same_k4_s1": ("Conv2D", dict(filters=2, kernel_size=(4, 2), padding="same"),
                          (2, 5, 6, 2), "d"),
    "conv2d_same_k2_s2_even": ("Conv2D", dict(filters=2, kernel_size=2, strides=2,
                                              padding="same"), (1, 6, 4, 2), "d"),
    "conv2d_same_k3_s3": ("Conv2D", dict(filters=2, kernel_size=3, strides=(3, 2),
                                         padding="same"), (1, 8, 7, 2), "d"),
    "conv2d_dilation_valid": ("Conv2D", dict(filters=2, kernel_size=3, dilation_rate=(2, 1)),
                              (2, 8, 6, 2), "d"),
    "conv2d_dilation_same": ("Conv2D", dict(filters=2, kernel_size=3, dilation_rate=2,
                                            padding="same"), (1, 7, 6, 2), "d"),
    "conv2d_nobias_tanh_1x1": ("Conv2D", dict(filters=3, kernel_size=1, activation="tanh",
                                              use_bias=False), (2, 3, 4, 2), "d"),
    "conv2d_regs_constraints": ("Conv2D", dict(filters=2, kernel_size=2,
                                               kernel_regularizer="l2",
                                               bias_regularizer=None,
                                               activity_regularizer="l1",
                                               kernel_constraint="max_norm",
                                               kernel_initializer="he_normal",
                                               bias_initializer="ones"), (1, 4, 4, 2), "d"),
    "conv2d_cf_same_s12": ("Conv2D", dict(filters=3, kernel_size=(3, 2), strides=(1, 2),
                                          padding="same", data_format="channels_first"),
                           (2, 2, 7, 6), "d"),
    "conv2d_cf_valid_dilation": ("Conv2D", dict(filters=2, kernel_size=2, dilation_rate=(1, 2),
                                                data_format="channels_first"),
                                 (2, 3, 5, 6), "d"),
    "conv2d_cf_same_even_s2": ("Conv2D", dict(filters=2, kernel_size=3, strides=2,
                                              padding="same", data_format="channels_first"),
                               (1, 2, 6, 8), "d"),
    # Conv2DTranspose
    "convt_valid_s1": ("Conv2DTranspose", dict(filters=2, kernel_size=3), (2, 3, 4, 3), "d"),
    "convt_valid_s2": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2),
                       (2, 3, 2, 3), "d"),
    "convt_valid_s2_k2": ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=2),
                          (1, 3, 2, 2), "d"),
    "convt_valid_s3_k2": ("Conv2DTranspose", dict(filters=2, kernel_size=(2, 3), strides=(3, 2)),
                          (1, 2, 3, 2), "d"),
    "convt_same_s2": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                              padding="same"), (2, 3, 4, 2), "d"),
    "convt_same_s2_k4": ("Conv2DTranspose", dict(filters=2, kernel_size=4, strides=2,
                                                 padding="same", activation="relu"),
                         (1, 3, 3, 2), "d"),
    "convt_same_s1": ("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2), padding="same"),
                      (1, 4, 3, 2), "d"),
    "convt_same_s2_outpad1": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                      padding="same", output_padding=1),
                              (2, 3, 2, 2), "d"),
    "convt_valid_s3_outpad21": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=(3, 2),
                                                        output_padding=(2, 1)),
                                (1, 2, 3, 2), "d"),
    "convt_valid_s2_outpad0": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                       output_padding=0), (1, 3, 3, 2), "d"),
    "convt_dilation_valid": ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2),
                             (1, 3, 4, 2), "d"),
    "convt_dilation_same": ("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2),
                                                    dilation_rate=2, padding="same"),
                            (1, 4, 5, 2), "d"),
    "convt_nobias": ("Conv2DTranspose", dict(filters=3, kernel_size=2, strides=(1, 2),
                                             use_bias=False), (1, 3, 3, 2), "d"),
    "convt_cf_same_s2": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                 padding="same", data_format="channels_first"),
                         (2, 3, 3, 2), "d"),
    "convt_cf_valid_s2_outpad": ("Conv2DTranspose", dict(filters=3, kernel_size=(2, 3),
                                                         strides=2, output_padding=(1, 0),
                                                         data_format="channels_first"),
                                 (1, 2, 3, 2), "d"),
    # Conv3D
    "conv3d_valid": ("Conv3D", dict(filters=2, kernel_size=(2, 3, 2)), (2, 3, 4, 3, 2), "d"),
    "conv3d_same_s2": ("Conv3D", dict(filters=2, kernel_size=3, strides=2, padding="same"),
                       (1, 4, 5, 4, 2), "d"),
    "conv3d_dilation": ("Conv3D", dict(filters=2, kernel_size=2, dilation_rate=(1, 2, 1),
                                       activation="relu"), (1, 3, 5, 3, 2), "d"),
    "conv3d_cf_same": ("Conv3D", dict(filters=2, kernel_size=(3, 2, 2), strides=(1, 2, 1),
                                      padding="same", data_format="channels_first"),
                       (1, 2, 4, 4, 3), "d"),
    # MaxPooling2D
    "maxpool_default_odd": ("MaxPooling2D", {}, (2, 5, 7, 2), "p"),
    "maxpool_k3_s1": ("MaxPooling2D", dict(pool_size=3, strides=1), (1, 5, 4, 2), "p"),
    "maxpool_k32_s12": ("MaxPooling2D", dict(pool_size=(3, 2), strides=(1, 2)), (1, 5, 6, 2),
                        "p"),
    "maxpool_same_even": ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"),
                          (1, 6, 4, 2), "p"),
    "maxpool_same_odd": ("MaxPooling2D", dict(pool_size=2, padding="same"), (2, 5, 3, 2), "p"),
    "maxpool_same_negative": ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"),
                              (1, 5, 5, 1), "n"),
    "maxpool_cf_same": ("MaxPooling2D", dict(pool_size=(2, 3), strides=2, padding="same",
                                             data_format="channels_first"), (2, 2, 5, 6), "p"),
    # AveragePooling2D
    "avgpool_default_odd": ("AveragePooling2D", {}, (2, 5, 7, 2), "d"),
    "avgpool_k3_s1": ("AveragePooling2D", dict(pool_size=3, strides=1), (1, 5, 4, 2), "d"),
    "avgpool_same_even": ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"),
                          (1, 6, 4, 2), "d"),
    "avgpool_same_odd_k3s1": ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same"),
                              (1, 5, 5, 2), "d"),
    "avgpool_same_odd": ("AveragePooling2D", dict(pool_size=2, padding="same"), (2, 5, 3, 2),
                         "d"),
    "avgpool_cf_same": ("AveragePooling2D", dict(pool_size=3, strides=(2, 1), padding="same",
                                                 data_format="channels_first"),
                        (2, 2, 5, 4), "d"),
    # Global pooling
    "gmp": ("GlobalMaxPooling2D", {}, (2, 3, 4, 3), "p"),
    "gmp_keepdims": ("GlobalMaxPooling2D", dict(keepdims=True), (2, 3, 4, 3), "p"),
    "gmp_cf": ("GlobalMaxPooling2D", dict(data_format="channels_first"), (2, 3, 4, 2), "p"),
    "gmp_cf_keepdims": ("GlobalMaxPooling2D", dict(data_format="channels_first",
                                                   keepdims=True), (2, 3, 4, 2), "p"),
    "gap": ("GlobalAveragePooling2D", {}, (2, 3, 4, 3), "d"),
    "gap_keepdims": ("GlobalAveragePooling2D", dict(keepdims=True), (2, 3, 4, 3), "d"),
    "gap_cf": ("GlobalAveragePooling2D", dict(data_format="channels_first"), (2, 3, 4, 2), "d"),
    # Cropping2D
    "crop_default": ("Cropping2D", {}, (1, 3, 4, 2), "d"),
    "crop_int": ("Cropping2D", dict(cropping=1), (2, 4, 5, 2), "d"),
    "crop_pair": ("Cropping2D", dict(cropping=(1, 2)), (1, 4, 6, 2), "d"),
    "crop_full": ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 4, 5, 2), "d"),
    "crop_cf": ("Cropping2D", dict(cropping=((0, 2), (1, 1)), data_format="channels_first"),
                (2, 2, 5, 4), "d"),
    # ZeroPadding2D
    "zpad_default": ("ZeroPadding2D", {}, (1, 2, 3, 2), "d"),
    "zpad_int": ("ZeroPadding2D", dict(padding=2), (1, 2, 2, 2), "d"),
    "zpad_pair": ("ZeroPadding2D", dict(padding=(1, 0)), (2, 2, 3, 2), "d"),
    "zpad_full": ("ZeroPadding2D", dict(padding=((1, 0), (2, 3))), (1, 3, 2, 2), "d"),
    "zpad_cf": ("ZeroPadding2D", dict(padding=((0, 1), (2, 1)), data_format="channels_first"),
                (2, 2, 3, 2), "d"),
}


def _shape_cases(layer, shape):
    """compute_output_shape for the full, None-batch and None-spatial input shapes."""
    rank = len(shape)
    cf = getattr(layer, "data_format", "channels_last") == "channels_first"
    spatial = list(range(2, rank)) if cf else list(range(1, rank - 1))
    shapes = [list(shape), [None] + list(shape[1:])]
    none_sp = [None] + list(shape[1:])
    for ax in spatial:
        none_sp[ax] = None
    shapes.append(none_sp)
    one_none = [None] + list(shape[1:])
    one_none[spatial[-1]] = None
    shapes.append(one_none)
    return [[s, to_py(layer.compute_output_shape(tuple(s)))] for s in shapes]


def run_case(name, cls_name, kwargs, shape, kind):
    keras.backend.clear_session()
    if kind == "d":
        x = dyadic(shape)
    elif kind == "p":
        x = distinct(shape)
    else:  # negative only: a max over a window that includes 'same' padding stays < 0
        x = -np.abs(distinct(shape)) - 0.0625
    cls = getattr(L, cls_name)
    layer = cls(**kwargs)
    layer.build(tf.TensorShape((None,) + shape[1:]))
    weights = []
    for w in layer.get_weights():
        # kernels and biases as dyadic rationals; biases small
        weights.append(dyadic(w.shape, -4, 4, 8.0))
    if weights:
        layer.set_weights(weights)
    entry = {"class_name": cls_name, "kwargs": to_py(kwargs), "config": to_py(layer.get_config()),
             "input_shape": list(shape)}
    cf = kwargs.get("data_format") == "channels_first"
    if cf:
        # the same layer in channels_last, run on the transposed input
        last_kwargs = dict(kwargs, data_format="channels_last")
        twin = cls(**last_kwargs)
        twin.build(tf.TensorShape((None,) + to_channels_last(x).shape[1:]))
        if weights:
            twin.set_weights(weights)
        y_t = twin(tf.constant(to_channels_last(x))).numpy()
        if y_t.ndim == x.ndim:
            y_t = to_channels_first(y_t)
        try:
            y = layer(tf.constant(x)).numpy()
            np.testing.assert_allclose(y, y_t, rtol=1e-6, atol=1e-6)
            entry["channels_first_via"] = "tf"
        except (tf.errors.OpError, NotImplementedError, ValueError):
            y = y_t
            entry["channels_first_via"] = "transpose"
    else:
        y = layer(tf.constant(x)).numpy()
    put(f"case.{name}.x", x, f"{cls_name} input")
    for i, w in enumerate(weights):
        put(f"case.{name}.w{i}", w, f"{cls_name} weight {i}")
    put(f"case.{name}.y", y, f"{cls_name} output")
    entry["output_shape"] = list(y.shape)
    entry["compute_output_shape"] = _shape_cases(layer, shape)
    JS["cases"][name] = entry


def section_cases():
    for name, (cls_name, kwargs, shape, kind) in CASES.items():
        run_case(name, cls_name, kwargs, shape, kind)


# ---------------------------------------------------------------------------
# b. Tiny CNN training
# ---------------------------------------------------------------------------
def section_training():
    keras.backend.clear_session()
    n = 12
    x = (rng.integers(0, 9, size=(n, 8, 8, 1)) / 8.0).astype(np.float32)
    labels = np.array([0, 1, 2, 2, 1, 0, 1, 2, 0, 0, 2, 1])
    y = np.eye(3, dtype=np.float32)[labels]
    model = keras.Sequential([
        L.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(3, activation="softmax"),
    ])
    w0 = [(rng.normal(size=w.shape) * s).astype(np.float32)
          for w, s in zip(model.get_weights(), (0.5, 0.1, 0.3, 0.1))]
    model.set_weights(w0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    put("train.cnn.x", x, "tiny CNN inputs")
    put("train.cnn.y", y, "tiny CNN one-hot targets")
    for i, w in enumerate(w0):
        put(f"train.cnn.w0.{i}", w, "tiny CNN initial weights")
    put("train.cnn.predict0", model.predict(x, verbose=0), "predict(x) at w0")
    h = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        put(f"train.cnn.fit.w.{i}", w, "tiny CNN weights after fit")
    put("train.cnn.predict1", model.predict(x, verbose=0), "predict(x) after fit")
    JS["training"]["tiny_cnn"] = {
        "model": "Sequential([Conv2D(4, (3, 3), activation='relu', input_shape=(8, 8, 1)), "
                 "MaxPooling2D(), Flatten(), Dense(3, activation='softmax')])",
        "compile": "SGD(learning_rate=0.1), loss='categorical_crossentropy', "
                   "metrics=['accuracy']",
        "call": "fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)",
        "history": to_py(h.history),
        "weight_names": [w.name for w in model.weights],
        "layer_names": [layer.name for layer in model.layers],
        "output_shapes": [to_py(layer.output_shape) for layer in model.layers],
    }


# ---------------------------------------------------------------------------
# c. Errors
# ---------------------------------------------------------------------------
ERRORS = {
    "conv2d_filters_0": "L.Conv2D(0, 3)",
    "conv2d_filters_neg": "L.Conv2D(-2, 3)",
    "conv2d_kernel_0": "L.Conv2D(2, 0)",
    "conv2d_kernel_neg": "L.Conv2D(2, (3, -1))",
    "conv2d_kernel_len3": "L.Conv2D(2, (3, 3, 3))",
    "conv2d_strides_0": "L.Conv2D(2, 3, strides=0)",
    "conv2d_strides_neg": "L.Conv2D(2, 3, strides=(1, -1))",
    "conv2d_dilation_0": "L.Conv2D(2, 3, dilation_rate=0)",
    "conv2d_strides_and_dilation": "L.Conv2D(2, 3, strides=2, dilation_rate=2)",
    "conv2d_padding_bad": "L.Conv2D(2, 3, padding='full')",
    "conv2d_padding_causal": "L.Conv2D(2, 3, padding='causal')",
    "conv2d_data_format_bad": "L.Conv2D(2, 3, data_format='channels_middle')",
    "conv2d_kernel_too_big_valid": "L.Conv2D(2, 5)(tf.zeros((1, 4, 6, 1)))",
    "conv2d_kernel_too_big_symbolic": "L.Conv2D(2, 5)(keras.Input((4, 6, 1)))",
    "conv2d_rank3_input": "L.Conv2D(2, 3)(keras.Input((6, 6)))",
    "conv2d_cf_channel_mismatch": "(lambda l: (l(tf.zeros((1, 3, 5, 5))), "
                                  "l(tf.zeros((1, 4, 5, 5)))))"
                                  "(L.Conv2D(2, 3, data_format='channels_first'))",
    "conv2d_unknown_channels": "L.Conv2D(2, 3)(keras.Input((6, 6, None)))",
    "convt_output_padding_ge_strides": "L.Conv2DTranspose(2, 3, strides=2, output_padding=2)",
    "convt_strides_and_dilation": "L.Conv2DTranspose(2, 3, strides=2, dilation_rate=2)",
    "conv3d_strides_0": "L.Conv3D(2, 3, strides=(1, 0, 1))",
    "conv3d_rank4_input": "L.Conv3D(2, 3)(keras.Input((6, 6, 2)))",
    "maxpool_pool_0": "L.MaxPooling2D(pool_size=0)",
    "maxpool_strides_neg": "L.MaxPooling2D(strides=-1)",
    "maxpool_padding_bad": "L.MaxPooling2D(padding='full')",
    "maxpool_rank3_input": "L.MaxPooling2D()(keras.Input((6, 6)))",
    "avgpool_pool_len3": "L.AveragePooling2D(pool_size=(2, 2, 2))",
    "crop_negative": "L.Cropping2D(cropping=-1)",
    "crop_too_much": "L.Cropping2D(cropping=((2, 2), (0, 0)))(tf.zeros((1, 4, 5, 1)))",
    "crop_three": "L.Cropping2D(cropping=(1, 1, 1))",
    "zpad_negative": "L.ZeroPadding2D(padding=((1, -1), (0, 0)))",
    "gmp_rank3_input": "L.GlobalMaxPooling2D()(keras.Input((6, 6)))",
}


def section_errors():
    for name, src in ERRORS.items():
        keras.backend.clear_session()
        try:
            eval(src, {"L": L, "keras": keras, "tf": tf})  # noqa: S307 (fixed literals)
            JS["errors"][name] = {"call": src, "raises": None, "message": None}
        except Exception as e:  # noqa: BLE001 (recording what tf-keras raises)
            JS["errors"][name] = {"call": src, "raises": type(e).__name__,
                                  "message": " ".join(str(e).split())[:400]}


# ---------------------------------------------------------------------------
def main():
    section_cases()
    section_training()
    section_errors()
    JS["npz_keys"] = dict(sorted(DESC.items()))
    npz_path = os.path.join(HERE, "conv_reference.npz")
    json_path = os.path.join(HERE, "conv_reference.json")
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
