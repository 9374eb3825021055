"""Generate reference data for the pooling / cropping / padding / upsampling / spatial-dropout
layer family and the matching backend functions from REAL Keras 2 (tf-keras).

What it produces (in the directory of this script):

* ``pool_family_reference.npz`` -- numpy arrays (inputs, outputs, gradients), keys below.
* ``pool_family_reference.json`` -- metadata (versions, seed), each case's class name,
  constructor arguments, ``get_config()``, input/output shapes, ``compute_output_shape``
  results and how its channels_first numbers were obtained; the backend-function cases;
  the errors tf-keras raises for bad arguments. The array keys are described below.

These layers have no weights. All data come from ``numpy.random.default_rng(SEED)``
(nothing depends on TensorFlow's RNG except the one recorded SpatialDropout training
output, whose values are not compared, only its structure). Inputs are small dyadic
rationals (multiples of 1/8); max-pooling inputs are a permutation of k/16 so that no
window has a tie. Averages, paddings, crops, repeats and the bilinear weights of factors
that are powers of two are then exact in float32. The npz is written with fixed zip
timestamps, so regenerating with the same versions gives identical bytes.

How to regenerate (versions used for the committed files are pinned here)::

    python -m venv v
    v/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    v/bin/python tests/reference/make_reference_pool_family.py

(generated with Python 3.11, numpy 2.4.6, tensorflow-cpu 2.21.0, tf-keras 2.21.0 on CPU.)

channels_first: TensorFlow's CPU kernels do not implement every NCHW op (pooling in
particular). Every channels_first case is therefore ALSO computed as the channels_last
layer on the transposed input, transposed back; the script asserts both agree when TF
computes NCHW directly, and otherwise stores the transposed channels_last result.
json["cases"][<case>]["channels_first_via"] says which: "tf" or "transpose". The same
holds for the backend-function cases (json["backend"][<case>]["channels_first_via"]).

NPZ key scheme (``.`` separated, float32):

a. Layer cases ``case.<name>.x`` input, ``case.<name>.y`` = ``layer(x)`` (inference),
   ``case.<name>.mask`` (GlobalAveragePooling1D mask cases only: ``layer(x, mask=mask)``,
   0/1 float32 of shape (batch, steps)), ``case.<name>.gx`` = d sum(layer(x) * r) / dx
   from ``tf.GradientTape`` for the cases whose gradient has semantics of its own (the
   windowed poolings, bilinear upsampling, the masked average; names in GRAD_CASES), where
   the cotangent r is not stored but computed: ``cotangent(y.shape)`` below,
   r.flat[i] = ((7 i) mod 17 - 8) / 8; ``case.<name>.y_train`` (SpatialDropout only) =
   ``layer(x, training=True)`` with a fixed seed: its numbers are TF's RNG, recorded to
   show the structure (whole channels zeroed, the rest scaled by 1 / (1 - rate)).
   json["cases"][<name>] = {"class_name", "kwargs", "config" (get_config()),
   "input_shape", "output_shape", "compute_output_shape": [[input_shape, output_shape],
   ...] (None -> null), "channels_first_via" (channels_first only)}.
   Case name prefixes: mp1/ap1 Max/AveragePooling1D, mp3/ap3 Max/AveragePooling3D,
   gmp1/gap1/gap2/gmp3/gap3 global pooling (keepdims, channels_first, masks), crop1/crop3
   Cropping1D/3D, zpad1/zpad3 ZeroPadding1D/3D, up1/up2/up3 UpSampling1D/2D/3D (nearest,
   bilinear), sd1/sd2/sd3 SpatialDropout1D/2D/3D.

b. Backend functions ``k.<name>.x`` input, ``k.<name>.y`` output;
   json["backend"][<name>] = {"function", "args" (after x), "kwargs", "call" (source),
   "channels_first_via"}.

c. json["errors"][<name>] = {"call": source text, "raises": exception class name or null,
   "message": str(exception)}: what tf-keras does with each bad argument.

d. ``tie.<class>.gx`` = d sum(layer(ones)) / dx for MaxPooling1D/2D/3D and
   GlobalMaxPooling1D/2D/3D on an input that is a single window of ties: how TensorFlow
   routes a max's gradient when several cells are equal (it differs per op).
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

SEED = 20240612
HERE = os.path.dirname(os.path.abspath(__file__))

configure_tf(tf, keras)

rng = np.random.default_rng(SEED)
dyadic = functools.partial(_refutil.dyadic, rng)
distinct = functools.partial(_refutil.distinct, rng)
L = keras.layers
K = keras.backend

ARR = {}
JS = {
    "meta": {
        "generator": "tests/reference/make_reference_pool_family.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "floatx": K.floatx(),
    },
    "cases": {},
    "backend": {},
    "errors": {},
}


def put(key, value, desc=""):
    """Stores one array (`desc` documents the call site only)."""
    assert key not in ARR, key
    ARR[key] = np.asarray(value)


def cotangent(shape):
    """The fixed cotangent of the gradient cases: r.flat[i] = ((7 i) mod 17 - 8) / 8."""
    n = int(np.prod(shape))
    return (((7 * np.arange(n)) % 17 - 8) / 8.0).astype(np.float32).reshape(shape)


def make_input(shape, kind):
    if kind == "d":
        return dyadic(shape)
    if kind == "p":
        return distinct(shape)
    # negative and distinct: a max over a window that includes 'same' padding stays < 0
    n = int(np.prod(shape))
    return (-(rng.permutation(n) + 1) / 16.0).astype(np.float32).reshape(shape)


# ---------------------------------------------------------------------------
# a. Layer cases
# ---------------------------------------------------------------------------
CF = {"data_format": "channels_first"}
# name -> (class name, kwargs, input shape, input kind)
CASES = {
    # MaxPooling1D / AveragePooling1D
    "mp1_default_odd": ("MaxPooling1D", {}, (2, 7, 3), "p"),
    "mp1_k3_s1": ("MaxPooling1D", dict(pool_size=3, strides=1), (2, 6, 2), "p"),
    "mp1_same_even_k3_s2": ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"),
                            (1, 8, 2), "p"),
    "mp1_same_odd": ("MaxPooling1D", dict(pool_size=2, padding="same"), (2, 5, 2), "p"),
    "mp1_same_negative": ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"),
                          (1, 6, 2), "n"),
    "mp1_cf_same": ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same", **CF),
                    (2, 3, 8), "p"),
    "mp1_cf_valid": ("MaxPooling1D", dict(pool_size=2, **CF), (1, 2, 7), "p"),
    "ap1_default_odd": ("AveragePooling1D", {}, (2, 7, 3), "d"),
    "ap1_same_even_k3_s2": ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"),
                            (1, 8, 2), "d"),
    "ap1_same_k3_s1": ("AveragePooling1D", dict(pool_size=3, strides=1, padding="same"),
                       (1, 5, 2), "d"),
    "ap1_k4_s3": ("AveragePooling1D", dict(pool_size=4, strides=3), (1, 11, 2), "d"),
    "ap1_cf_same": ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same", **CF),
                    (2, 3, 6), "d"),
    # MaxPooling3D / AveragePooling3D
    "mp3_default_odd": ("MaxPooling3D", {}, (1, 5, 4, 5, 2), "p"),
    "mp3_k232_s121": ("MaxPooling3D", dict(pool_size=(2, 3, 2), strides=(1, 2, 1)),
                      (1, 4, 5, 4, 2), "p"),
    "mp3_same_even_k3_s2": ("MaxPooling3D", dict(pool_size=3, strides=2, padding="same"),
                            (1, 4, 6, 4, 2), "p"),
    "mp3_same_negative": ("MaxPooling3D", dict(pool_size=3, strides=2, padding="same"),
                          (1, 3, 5, 4, 1), "n"),
    "mp3_cf_same": ("MaxPooling3D", dict(pool_size=2, padding="same", **CF),
                    (1, 2, 3, 5, 4), "p"),
    "ap3_default": ("AveragePooling3D", {}, (1, 4, 5, 4, 2), "d"),
    "ap3_same_even_k3_s2": ("AveragePooling3D", dict(pool_size=3, strides=2, padding="same"),
                            (1, 4, 6, 4, 2), "d"),
    "ap3_same_k3_s1": ("AveragePooling3D", dict(pool_size=3, strides=1, padding="same"),
                       (1, 3, 4, 3, 1), "d"),
    "ap3_cf_same": ("AveragePooling3D", dict(pool_size=(3, 2, 2), strides=(2, 1, 2),
                                             padding="same", **CF), (1, 2, 5, 4, 4), "d"),
    # Global pooling
    "gmp1": ("GlobalMaxPooling1D", {}, (2, 5, 3), "p"),
    "gmp1_keepdims": ("GlobalMaxPooling1D", dict(keepdims=True), (2, 5, 3), "p"),
    "gmp1_cf": ("GlobalMaxPooling1D", dict(CF), (2, 3, 5), "p"),
    "gmp1_cf_keepdims": ("GlobalMaxPooling1D", dict(keepdims=True, **CF), (2, 3, 5), "p"),
    "gap1": ("GlobalAveragePooling1D", {}, (2, 5, 3), "d"),
    "gap1_keepdims": ("GlobalAveragePooling1D", dict(keepdims=True), (2, 5, 3), "d"),
    "gap1_cf": ("GlobalAveragePooling1D", dict(CF), (2, 3, 5), "d"),
    "gap1_cf_keepdims": ("GlobalAveragePooling1D", dict(keepdims=True, **CF), (2, 3, 5), "d"),
    "gap1_mask": ("GlobalAveragePooling1D", {}, (3, 5, 2), "d"),
    "gap1_mask_cf_keepdims": ("GlobalAveragePooling1D", dict(keepdims=True, **CF),
                              (3, 2, 5), "d"),
    "gap2_keepdims": ("GlobalAveragePooling2D", dict(keepdims=True), (2, 3, 4, 3), "d"),
    "gap2_cf_keepdims": ("GlobalAveragePooling2D", dict(keepdims=True, **CF), (2, 3, 4, 2),
                         "d"),
    "gmp3": ("GlobalMaxPooling3D", {}, (2, 3, 2, 4, 3), "p"),
    "gmp3_keepdims": ("GlobalMaxPooling3D", dict(keepdims=True), (2, 3, 2, 4, 3), "p"),
    "gmp3_cf": ("GlobalMaxPooling3D", dict(CF), (2, 3, 2, 3, 2), "p"),
    "gmp3_cf_keepdims": ("GlobalMaxPooling3D", dict(keepdims=True, **CF), (2, 3, 2, 3, 2),
                         "p"),
    "gap3": ("GlobalAveragePooling3D", {}, (2, 3, 2, 4, 3), "d"),
    "gap3_keepdims": ("GlobalAveragePooling3D", dict(keepdims=True), (2, 3, 2, 4, 3), "d"),
    "gap3_cf": ("GlobalAveragePooling3D", dict(CF), (2, 3, 2, 3, 2), "d"),
    "gap3_cf_keepdims": ("GlobalAveragePooling3D", dict(keepdims=True, **CF),
                         (2, 3, 2, 3, 2), "d"),
    # Cropping1D / Cropping3D
    "crop1_default": ("Cropping1D", {}, (2, 5, 3), "d"),
    "crop1_int": ("Cropping1D", dict(cropping=2), (1, 6, 2), "d"),
    "crop1_pair": ("Cropping1D", dict(cropping=(0, 2)), (2, 5, 2), "d"),
    "crop1_asym": ("Cropping1D", dict(cropping=(3, 1)), (1, 6, 2), "d"),
    "crop3_default": ("Cropping3D", {}, (1, 4, 5, 4, 2), "d"),
    "crop3_int": ("Cropping3D", dict(cropping=1), (1, 3, 4, 5, 1), "d"),
    "crop3_triple": ("Cropping3D", dict(cropping=(1, 0, 2)), (1, 4, 3, 6, 2), "d"),
    "crop3_full": ("Cropping3D", dict(cropping=((0, 1), (2, 0), (1, 1))), (1, 3, 4, 5, 2),
                   "d"),
    "crop3_cf": ("Cropping3D", dict(cropping=((1, 0), (0, 1), (2, 1)), **CF),
                 (1, 2, 3, 4, 5), "d"),
    # ZeroPadding1D / ZeroPadding3D
    "zpad1_default": ("ZeroPadding1D", {}, (2, 3, 2), "d"),
    "zpad1_int": ("ZeroPadding1D", dict(padding=2), (1, 2, 2), "d"),
    "zpad1_pair": ("ZeroPadding1D", dict(padding=(0, 3)), (1, 3, 2), "d"),
    "zpad3_default": ("ZeroPadding3D", {}, (1, 2, 2, 2, 2), "d"),
    "zpad3_int": ("ZeroPadding3D", dict(padding=2), (1, 1, 2, 1, 1), "d"),
    "zpad3_triple": ("ZeroPadding3D", dict(padding=(1, 0, 2)), (1, 2, 2, 2, 1), "d"),
    "zpad3_full": ("ZeroPadding3D", dict(padding=((0, 1), (2, 0), (1, 1))), (1, 2, 3, 2, 2),
                   "d"),
    "zpad3_cf": ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1)), **CF),
                 (1, 2, 2, 3, 2), "d"),
    # UpSampling1D / 2D / 3D
    "up1_default": ("UpSampling1D", {}, (2, 3, 2), "d"),
    "up1_size3": ("UpSampling1D", dict(size=3), (1, 4, 2), "d"),
    "up2_default": ("UpSampling2D", {}, (2, 3, 4, 2), "d"),
    "up2_size23": ("UpSampling2D", dict(size=(2, 3)), (1, 2, 3, 2), "d"),
    "up2_cf": ("UpSampling2D", dict(size=(3, 2), **CF), (1, 2, 2, 3), "d"),
    "up2_bilinear": ("UpSampling2D", dict(interpolation="bilinear"), (2, 3, 4, 2), "d"),
    "up2_bilinear_s32": ("UpSampling2D", dict(size=(3, 2), interpolation="bilinear"),
                         (1, 3, 3, 2), "d"),
    "up2_bilinear_s14": ("UpSampling2D", dict(size=(1, 4), interpolation="Bilinear"),
                         (1, 2, 3, 1), "d"),
    "up2_bilinear_s5": ("UpSampling2D", dict(size=5, interpolation="bilinear"),
                        (1, 2, 2, 1), "d"),
    "up2_bilinear_cf": ("UpSampling2D", dict(size=2, interpolation="bilinear", **CF),
                        (1, 2, 3, 4), "d"),
    "up3_default": ("UpSampling3D", {}, (1, 2, 3, 2, 2), "d"),
    "up3_size123": ("UpSampling3D", dict(size=(1, 2, 3)), (1, 2, 2, 2, 1), "d"),
    "up3_cf": ("UpSampling3D", dict(size=2, **CF), (1, 2, 2, 3, 2), "d"),
    # SpatialDropout (inference = identity; one seeded training output for its structure)
    "sd1": ("SpatialDropout1D", dict(rate=0.5, seed=3), (4, 6, 5), "d"),
    "sd2": ("SpatialDropout2D", dict(rate=0.3, seed=3), (4, 3, 4, 5), "d"),
    "sd2_cf": ("SpatialDropout2D", dict(rate=0.4, seed=3, **CF), (4, 5, 3, 4), "d"),
    "sd3": ("SpatialDropout3D", dict(rate=0.25, seed=3), (3, 2, 3, 2, 6), "d"),
    "sd3_cf": ("SpatialDropout3D", dict(rate=0.5, seed=3, **CF), (3, 6, 2, 3, 2), "d"),
}
MASKED = ("gap1_mask", "gap1_mask_cf_keepdims")
GRAD_CASES = tuple(n for n in CASES if n.split("_")[0] in ("mp1", "ap1", "mp3", "ap3")
                   or n.startswith("up2_bilinear") or n in MASKED)


def _shape_cases(layer, shape, cf):
    """compute_output_shape for the full, None-batch and None-spatial input shapes."""
    rank = len(shape)
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


def _forward_and_grad(layer, x, r, mask=None):
    """(layer(x), d sum(layer(x) * r) / dx) (r None: no gradient)."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, mask=tf.constant(mask)) if mask is not None else layer(xt)
        s = tf.reduce_sum(y * tf.constant(r)) if r is not None else None
    g = tape.gradient(s, xt).numpy() if r is not None else None
    return y.numpy(), g


def run_case(name, cls_name, kwargs, shape, kind):
    keras.backend.clear_session()
    x = make_input(shape, kind)
    cls = getattr(L, cls_name)
    layer = cls(**kwargs)
    cf = kwargs.get("data_format") == "channels_first"
    dropout = cls_name.startswith("SpatialDropout")
    mask = None
    if name in MASKED:
        steps = shape[2] if cf else shape[1]
        mask = (rng.random((shape[0], steps)) < 0.6).astype(np.float32)
        mask[:, 0] = 1.0  # at least one unmasked step per sample
    entry = {"class_name": cls_name, "kwargs": to_py(kwargs), "config": to_py(layer.get_config()),
             "input_shape": list(shape)}
    y_shape = tuple(tf.TensorShape(layer.compute_output_shape(shape)).as_list())
    r = cotangent(y_shape) if name in GRAD_CASES else None
    if cf and not dropout:
        # the same layer in channels_last, run on the transposed input
        twin = cls(**dict(kwargs, data_format="channels_last"))
        r_t = to_channels_last(r) if r is not None and len(y_shape) == len(shape) else r
        y_t, g_t = _forward_and_grad(twin, to_channels_last(x), r_t, mask)
        if y_t.ndim == x.ndim:
            y_t = to_channels_first(y_t)
        g_t = to_channels_first(g_t) if g_t is not None else None
        try:
            y, g = _forward_and_grad(layer, x, r, mask)
            np.testing.assert_allclose(y, y_t, rtol=1e-6, atol=1e-6)
            if g is not None:
                np.testing.assert_allclose(g, g_t, rtol=1e-6, atol=1e-6)
            entry["channels_first_via"] = "tf"
        except (tf.errors.OpError, NotImplementedError, ValueError):
            y, g = y_t, g_t
            entry["channels_first_via"] = "transpose"
    else:
        y, g = _forward_and_grad(layer, x, r, mask)
    put(f"case.{name}.x", x, f"{cls_name} input")
    if mask is not None:
        put(f"case.{name}.mask", mask, f"{cls_name} mask (batch, steps)")
    put(f"case.{name}.y", y, f"{cls_name} output (inference)")
    if dropout:
        y_train = layer(tf.constant(x), training=True).numpy()
        put(f"case.{name}.y_train", y_train, f"{cls_name} output with training=True (TF RNG)")
    elif g is not None:
        put(f"case.{name}.gx", g, f"{cls_name} d sum(y * cotangent(y.shape)) / dx")
    entry["output_shape"] = list(y.shape)
    entry["compute_output_shape"] = _shape_cases(layer, shape, cf)
    JS["cases"][name] = entry


def section_cases():
    for name, (cls_name, kwargs, shape, kind) in CASES.items():
        run_case(name, cls_name, kwargs, shape, kind)


# ---------------------------------------------------------------------------
# b. Backend functions
# ---------------------------------------------------------------------------
# name -> (function, input shape, kind, positional args after x, kwargs, channels_first)
BACKEND = {
    "resize_images_nearest": ("resize_images", (1, 2, 3, 2), "d", [2, 3, "channels_last"], {},
                              False),
    "resize_images_nearest_cf": ("resize_images", (1, 2, 2, 3), "d", [3, 2, "channels_first"],
                                 {}, True),
    "resize_images_bilinear": ("resize_images", (2, 3, 4, 2), "d", [2, 2, "channels_last"],
                               dict(interpolation="bilinear"), False),
    "resize_images_bilinear_32": ("resize_images", (1, 3, 4, 1), "d",
                                  [3, 2, "channels_last"], dict(interpolation="bilinear"),
                                  False),
    "resize_images_bilinear_cf": ("resize_images", (1, 2, 3, 3), "d",
                                  [2, 3, "channels_first"], dict(interpolation="bilinear"),
                                  True),
    "resize_volumes": ("resize_volumes", (1, 2, 2, 2, 2), "d", [1, 2, 3, "channels_last"], {},
                       False),
    "resize_volumes_cf": ("resize_volumes", (1, 2, 2, 2, 2), "d",
                          [2, 2, 1, "channels_first"], {}, True),
    "spatial_2d_padding_default": ("spatial_2d_padding", (1, 2, 3, 2), "d", [], {}, False),
    "spatial_2d_padding_cf": ("spatial_2d_padding", (1, 2, 2, 3), "d", [],
                              dict(padding=((0, 1), (2, 1)), data_format="channels_first"),
                              True),
    "spatial_3d_padding_default": ("spatial_3d_padding", (1, 2, 2, 2, 1), "d", [], {},
                                   False),
    "spatial_3d_padding_cf": ("spatial_3d_padding", (1, 2, 2, 2, 2), "d", [],
                              dict(padding=((1, 0), (0, 2), (1, 1)),
                                   data_format="channels_first"), True),
    "temporal_padding_default": ("temporal_padding", (2, 3, 2), "d", [], {}, False),
    "temporal_padding_02": ("temporal_padding", (1, 3, 2), "d", [], dict(padding=(0, 2)),
                            False),
    "pool2d_max_same_s2": ("pool2d", (1, 5, 6, 2), "p", [(3, 3)],
                           dict(strides=(2, 2), padding="same", pool_mode="max"), False),
    "pool2d_avg_cf_same": ("pool2d", (1, 2, 5, 4), "d", [(2, 2)],
                           dict(strides=(2, 2), padding="same", data_format="channels_first",
                                pool_mode="avg"), True),
    "pool3d_max_valid": ("pool3d", (1, 4, 4, 4, 2), "p", [(2, 2, 2)],
                         dict(strides=(2, 2, 2), pool_mode="max"), False),
    "pool3d_avg_same": ("pool3d", (1, 3, 4, 5, 2), "d", [(2, 3, 2)],
                        dict(strides=(2, 2, 2), padding="same", pool_mode="avg"), False),
    "pool3d_max_cf": ("pool3d", (1, 2, 3, 4, 4), "p", [(1, 2, 2)],
                      dict(strides=(1, 2, 2), padding="same", data_format="channels_first",
                           pool_mode="max"), True),
    "repeat_elements_axis1": ("repeat_elements", (2, 3, 2), "d", [2, 1], {}, False),
    "repeat_elements_last": ("repeat_elements", (1, 2, 3), "d", [3, -1], {}, False),
}


def _channels_last_args(args, kwargs):
    """The same call in channels_last."""
    args = ["channels_last" if a == "channels_first" else a for a in args]
    kwargs = dict(kwargs)
    if "data_format" in kwargs:
        kwargs["data_format"] = "channels_last"
    return args, kwargs


def section_backend():
    for name, (fn, shape, kind, args, kwargs, cf) in BACKEND.items():
        x = make_input(shape, kind)
        f = getattr(K, fn)
        entry = {"function": fn, "args": to_py(args), "kwargs": to_py(kwargs),
                 "call": "K.%s(x%s%s)" % (fn, "".join(", %r" % (a,) for a in args),
                                          "".join(", %s=%r" % kv for kv in kwargs.items()))}
        if cf:
            a_l, k_l = _channels_last_args(args, kwargs)
            y_t = to_channels_first(f(tf.constant(to_channels_last(x)), *a_l, **k_l).numpy())
            try:
                y = f(tf.constant(x), *args, **kwargs).numpy()
                np.testing.assert_allclose(y, y_t, rtol=1e-6, atol=1e-6)
                entry["channels_first_via"] = "tf"
            except (tf.errors.OpError, NotImplementedError, ValueError):
                y = y_t
                entry["channels_first_via"] = "transpose"
        else:
            y = f(tf.constant(x), *args, **kwargs).numpy()
        put(f"k.{name}.x", x, f"K.{fn} input")
        put(f"k.{name}.y", y, f"K.{fn} output")
        JS["backend"][name] = entry


# ---------------------------------------------------------------------------
# d. Max-pooling gradients on ties (TensorFlow's rules differ per op)
# ---------------------------------------------------------------------------
TIES = {
    "MaxPooling1D": (1, 2, 1),
    "MaxPooling2D": (1, 2, 2, 1),
    "MaxPooling3D": (1, 2, 2, 2, 1),
    "GlobalMaxPooling1D": (1, 2, 1),
    "GlobalMaxPooling2D": (1, 2, 2, 1),
    "GlobalMaxPooling3D": (1, 2, 2, 2, 1),
}


def section_ties():
    """d sum(layer(ones)) / dx: one window (or the whole input) where every cell ties."""
    for cls_name, shape in TIES.items():
        keras.backend.clear_session()
        _, g = _forward_and_grad(getattr(L, cls_name)(), np.ones(shape, np.float32),
                                 np.ones((1,) * (len(shape) - 1) + (1,), np.float32))
        put(f"tie.{cls_name}.gx", g, f"{cls_name} gradient where all cells tie")


# ---------------------------------------------------------------------------
# c. Errors
# ---------------------------------------------------------------------------
ERRORS = {
    "mp1_pool_0": "L.MaxPooling1D(pool_size=0)",
    "mp1_strides_0": "L.MaxPooling1D(strides=0)",
    "mp1_padding_causal": "L.MaxPooling1D(padding='causal')(tf.zeros((1, 4, 2)))",
    "mp1_padding_bad": "L.MaxPooling1D(padding='full')",
    "mp1_rank4_input": "L.MaxPooling1D()(keras.Input((4, 4, 2)))",
    "mp1_too_big": "L.MaxPooling1D(5)(keras.Input((3, 2)))",
    "ap1_pool_len2": "L.AveragePooling1D(pool_size=(2, 2))",
    "mp3_pool_len2": "L.MaxPooling3D(pool_size=(2, 2))",
    "ap3_strides_neg": "L.AveragePooling3D(strides=(1, -1, 1))",
    "mp3_rank4_input": "L.MaxPooling3D()(keras.Input((4, 4, 2)))",
    "mp3_data_format_bad": "L.MaxPooling3D(data_format='ncdhw')",
    "gmp1_rank4_input": "L.GlobalMaxPooling1D()(keras.Input((4, 4, 2)))",
    "gap3_data_format_bad": "L.GlobalAveragePooling3D(data_format='ncdhw')",
    "gap3_rank4_input": "L.GlobalAveragePooling3D()(keras.Input((4, 4, 2)))",
    "crop1_negative": "L.Cropping1D(cropping=-1)",
    "crop1_three": "L.Cropping1D(cropping=(1, 2, 3))",
    "crop1_too_much": "L.Cropping1D((2, 3))(tf.zeros((1, 5, 2)))",
    "crop3_two": "L.Cropping3D(cropping=(1, 1))",
    "crop3_string": "L.Cropping3D(cropping='1')",
    "crop3_negative_entry": "L.Cropping3D(cropping=((1, -1), (0, 0), (0, 0)))",
    "crop3_too_much": "L.Cropping3D(((1, 1), (0, 0), (0, 0)))(tf.zeros((1, 2, 3, 3, 1)))",
    "zpad1_negative": "L.ZeroPadding1D(padding=-1)",
    "zpad1_three": "L.ZeroPadding1D(padding=(1, 2, 3))",
    "zpad3_two": "L.ZeroPadding3D(padding=(1, 1))",
    "zpad3_negative": "L.ZeroPadding3D(padding=((0, 0), (1, -2), (0, 0)))",
    "up1_size_0": "L.UpSampling1D(size=0)",
    "up2_size_0": "L.UpSampling2D(size=0)",
    "up2_interpolation_bad": "L.UpSampling2D(interpolation='cubic')",
    "up2_interpolation_bicubic": "L.UpSampling2D(interpolation='bicubic')",
    "up3_size_len2": "L.UpSampling3D(size=(2, 2))",
    "up3_rank4_input": "L.UpSampling3D()(keras.Input((4, 4, 2)))",
    "sd1_rate_bad": "L.SpatialDropout1D(1.5)",
    "sd2_data_format_bad": "L.SpatialDropout2D(0.5, data_format='channels_middle')",
    "sd3_rank4_input": "L.SpatialDropout3D(0.5)(keras.Input((4, 4, 2)))",
    "k_resize_images_bad_format": "K.resize_images(tf.zeros((1, 2, 2, 1)), 2, 2, 'nchw')",
    "k_resize_images_bad_interpolation": "K.resize_images(tf.zeros((1, 2, 2, 1)), 2, 2, "
                                         "'channels_last', 'cubic')",
    "k_spatial_2d_padding_one_pair": "K.spatial_2d_padding(tf.zeros((1, 2, 2, 1)), ((1, 1),))",
    "k_spatial_3d_padding_bad_format": "K.spatial_3d_padding(tf.zeros((1, 2, 2, 2, 1)), "
                                       "data_format='ncdhw')",
}


def section_errors():
    for name, src in ERRORS.items():
        keras.backend.clear_session()
        try:
            eval(src, {"L": L, "K": K, "keras": keras, "tf": tf})  # noqa: S307 (fixed literals)
            JS["errors"][name] = {"call": src, "raises": None, "message": None}
        except Exception as e:  # noqa: BLE001 (recording what tf-keras raises)
            JS["errors"][name] = {"call": src, "raises": type(e).__name__,
                                  "message": " ".join(str(e).split())[:300]}


# ---------------------------------------------------------------------------
def main():
    section_cases()
    section_backend()
    section_ties()
    section_errors()
    npz_path = os.path.join(HERE, "pool_family_reference.npz")
    json_path = os.path.join(HERE, "pool_family_reference.json")
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
