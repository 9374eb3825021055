"""Generate ground-truth reference data from REAL Keras 2 (tf-keras) for gkeras tests.

What it produces (all in the directory of this script):

* ``core_reference.npz`` -- numpy arrays (inputs, weights, outputs), keys listed below.
* ``core_reference.json`` -- metadata (versions, seed), scalar results (History dicts,
  train_on_batch / test_on_batch / evaluate return values, metrics_names, per-batch
  logs), layer ``get_config()`` dicts, and ``"npz_keys"``: a one-line description of
  every array in the npz.

Nothing depends on TensorFlow's RNG: all data come from ``numpy.random.default_rng(SEED)``
and every weight is set explicitly with ``set_weights``.  The npz is written with fixed
zip timestamps so that regenerating with the same versions gives identical bytes.

How to regenerate (versions used for the committed files are pinned here)::

    python -m venv v
    v/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py
    v/bin/python tests/reference/make_reference.py

(generated with Python 3.11, numpy 2.4.6, tensorflow-cpu 2.21.0, tf-keras 2.21.0 on CPU.)

NPZ key scheme (``.`` separated):

a. Activations (``keras.activations.get(name)(x)``; computed twice, in float32 and float64):
   ``act.x.f32`` / ``act.x.f64``            the 1-D input vector (13 values, -30..30, incl. 0)
   ``act.x2d.f32`` / ``act.x2d.f64``        2-D input (4, 5) used for softmax / log_softmax
   ``act.x3d.f32`` / ``act.x3d.f64``        3-D input (2, 2, 3) used for softmax on rank 3
   ``act.<name>.<f32|f64>``                 output for string name <name> on ``act.x``
       names: relu sigmoid tanh softplus softsign elu selu exponential linear
       hard_sigmoid swish silu(alias of swish) gelu (= approximate=False) mish relu6 leaky_relu
   ``act.softmax.<d>`` / ``act.log_softmax.<d>`` on ``act.x2d`` (axis=-1);
   ``act.softmax_3d.<d>`` on ``act.x3d``
   ``act.gelu_approx_false.<d>`` / ``act.gelu_approx_true.<d>``  keras.activations.gelu(x, approximate=...)
   ``act.relu_alpha0.1``, ``act.relu_max6``, ``act.relu_thr1``, ``act.relu_alpha0.1_max6_thr1``
                                            keras.activations.relu(x, alpha=, max_value=, threshold=)
   ``act.elu_alpha0.5``                     keras.activations.elu(x, alpha=0.5)

b. Losses (functional form ``keras.losses.<fn>(y_true, y_pred)`` -> per-sample vector;
   computed in float32 and float64; ``<d>`` is f32/f64):
   ``loss.data.<set>.y_true.<d>`` / ``loss.data.<set>.y_pred.<d>``  the inputs, sets:
       reg   (5,3) real targets (y_true has an exact 0 -> MAPE clipping)
       pos   (5,3) non-negative targets/preds incl. exact zeros (msle, poisson, kld)
       bin   (5,3) {0,1} labels, probabilities incl. exact 0. and 1.
       binlog (5,3) {0,1} labels, logits incl. +-30 and 0
       pm1   (5,3) {-1,+1} labels, real scores (hinge family)
       cat   (5,4) one-hot labels, row-normalised probabilities incl. exact 0 and 1
       catun (5,4) one-hot labels, UN-normalised positive "probabilities" (incl. 0)
       catlog (5,4) one-hot labels, logits
       sparse (5,) int labels (argmax of cat) -- y_pred taken from cat / catlog
   ``loss.<name>.<set>.<d>``                the per-sample loss vector (shape (5,)); see
       json["npz_keys"] for the full list.  Notable ones:
       binary_crossentropy.bin, binary_crossentropy_from_logits.binlog,
       categorical_crossentropy.{cat,catun}, categorical_crossentropy_from_logits.catlog,
       sparse_categorical_crossentropy.{sparse,sparse_from_logits},
       hinge.{bin,pm1}, squared_hinge.{bin,pm1}, categorical_hinge.{cat,catlog},
       huber.reg (delta=1), huber_delta0.5.reg, cosine_similarity.reg, ...
   ``lossobj.<name>.<set>[.sw].<d>``       scalar from the Loss *class* (reduction
       SUM_OVER_BATCH_SIZE), with and without ``sample_weight = loss.sample_weight.<d>``.

c. Layers forward (float32, weights set explicitly, ``layer(x)`` in inference mode):
   ``layer.<case>.x`` (or ``.x0``, ``.x1``, ...) inputs, ``layer.<case>.w<i>`` the weights
   in ``get_weights()`` order, ``layer.<case>.y`` the output.  Cases:
       dense_relu_2d (Dense(3, relu), x (4,5)), dense_nobias_softmax_2d (Dense(3, softmax,
       use_bias=False)), dense_linear_3d (Dense(3) on (2,3,5)), dense_relu_3d,
       embedding (Embedding(7,3) on int32 (2,4)), flatten ((2,3,4)->(2,12)),
       reshape (Reshape((2,-1))), permute (Permute((2,1))), repeatvector (RepeatVector(3) on
       (2,4)), activation_tanh, dropout_inference (Dropout(0.5), training=False),
       add, subtract, multiply, average, maximum, minimum (two (2,3,4) inputs),
       add3 (three inputs), concatenate_last (axis=-1), concatenate_axis1 (axis=1),
       dot_axes1 (2-D (2,4),(2,4)), dot_axes1_2 (Dot(axes=(1,2)), (2,3,4),(2,5,3)),
       dot_neg1_normalize (Dot(axes=-1, normalize=True), (2,3,4),(2,5,4)),
       dot_neg1_normalize_2d ((2,4),(2,4)).
   json["layers"][<case>] holds the class name, get_config() and output shape.

d. Training parity (SGD(learning_rate=0.1), float32):
   ``train.mlp.x`` (10,4) float32, ``train.mlp.y`` (10,3) one-hot float32,
   ``train.mlp.w0.<i>`` initial weights [W1 (4,5), b1 (5,), W2 (5,3), b2 (3,)].
   MLP = Sequential([Dense(5, relu, input_shape=(4,)), Dense(3, softmax)]),
   loss categorical_crossentropy, metrics=['accuracy'].
   ``train.mlp.fit.w.<i>``        weights after fit(batch_size=4, epochs=3, shuffle=False,
                                  validation_split=0.2) -> json["training"]["mlp_fit"]
   ``train.mlp.tob.w.<i>``        weights after one train_on_batch(x[:4], y[:4]) from w0
   ``train.mlp.predict``          predict(x) with w0
   ``train.mlp.per_sample_loss``  categorical_crossentropy per-sample on predict(x) (w0)
   ``train.mlp.sample_weight``    the sample weights used in mlp_sample_weight
   ``train.mlp.sw.w.<i>``         weights after 1 epoch with sample_weight (batch 4, no val)
   ``train.mlp.swwm.w.<i>``       same, but compiled with weighted_metrics=['accuracy'] too
   ``train.mlp.cw.w.<i>``         weights after 1 epoch with class_weight={0:1,1:2,2:0.5}
   Two-input/two-output functional model (see build_two_io()):
   ``train.twoio.xa`` (10,3), ``train.twoio.xb`` (10,2), ``train.twoio.ya`` (10,1) real,
   ``train.twoio.yb`` (10,1) {0,1}; ``train.twoio.w0.<i>`` initial weights,
   ``train.twoio.fit.w.<i>`` after fit(batch_size=4, epochs=2, shuffle=False),
   ``train.twoio.predict_a`` / ``predict_b`` with w0 -> json["training"]["twoio_fit"].

   json["training"][...] entries hold: "history" (History.history), "batch_logs" (the
   logs dict passed to on_train_batch_end -- running epoch means), "metrics_names",
   train_on_batch / test_on_batch / evaluate return values.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
from _refutil import configure_tf, to_py, write_npz  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

SEED = 20240607
HERE = os.path.dirname(os.path.abspath(__file__))

configure_tf(tf, keras)

rng = np.random.default_rng(SEED)

ARR = {}  # npz payload
DESC = {}  # npz key -> description
JS = {
    "meta": {
        "generator": "tests/reference/make_reference.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "floatx": keras.backend.floatx(),
        "epsilon": keras.backend.epsilon(),
    },
    "layers": {},
    "training": {},
    "notes": {},
}

DTYPES = {"f32": np.float32, "f64": np.float64}


def put(key, value, desc=""):
    assert key not in ARR, key
    a = np.asarray(value)
    ARR[key] = a
    DESC[key] = f"{a.dtype}{list(a.shape)} {desc}".rstrip()


# ---------------------------------------------------------------------------
# a. Activations
# ---------------------------------------------------------------------------
def section_activations():
    x = np.array([-30.0, -5.0, -2.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 30.0])
    x2d = np.array(
        [
            [-30.0, -1.0, 0.0, 1.0, 30.0],
            [0.5, 0.5, 0.5, 0.5, 0.5],
            [-2.0, -1.0, 0.0, 1.0, 2.0],
            [1000.0, 0.0, -1000.0, 999.0, 1.0],
        ]
    )
    x3d = rng.normal(size=(2, 2, 3)) * 3.0
    names = [
        "relu", "sigmoid", "tanh", "softplus", "softsign", "elu", "selu",
        "exponential", "linear", "hard_sigmoid", "swish", "silu", "gelu", "mish",
        "relu6", "leaky_relu",
    ]
    for dn, dt in DTYPES.items():
        xt = tf.constant(x.astype(dt))
        x2t = tf.constant(x2d.astype(dt))
        x3t = tf.constant(x3d.astype(dt))
        put(f"act.x.{dn}", x.astype(dt), "activation input vector")
        put(f"act.x2d.{dn}", x2d.astype(dt), "softmax input, axis=-1")
        put(f"act.x3d.{dn}", x3d.astype(dt), "softmax rank-3 input, axis=-1")
        for n in names:
            put(f"act.{n}.{dn}", keras.activations.get(n)(xt).numpy(),
                f"keras.activations.get('{n}')(act.x)")
        put(f"act.softmax.{dn}", keras.activations.get("softmax")(x2t).numpy(),
            "softmax(act.x2d)")
        put(f"act.log_softmax.{dn}", keras.activations.get("log_softmax")(x2t).numpy(),
            "log_softmax(act.x2d)")
        put(f"act.softmax_3d.{dn}", keras.activations.softmax(x3t).numpy(),
            "softmax(act.x3d)")
        put(f"act.gelu_approx_false.{dn}", keras.activations.gelu(xt, approximate=False).numpy())
        put(f"act.gelu_approx_true.{dn}", keras.activations.gelu(xt, approximate=True).numpy())
        put(f"act.relu_alpha0.1.{dn}", keras.activations.relu(xt, alpha=0.1).numpy())
        put(f"act.relu_max6.{dn}", keras.activations.relu(xt, max_value=6.0).numpy())
        put(f"act.relu_thr1.{dn}", keras.activations.relu(xt, threshold=1.0).numpy())
        put(f"act.relu_alpha0.1_max6_thr1.{dn}",
            keras.activations.relu(xt, alpha=0.1, max_value=6.0, threshold=1.0).numpy())
        put(f"act.elu_alpha0.5.{dn}", keras.activations.elu(xt, alpha=0.5).numpy())
    JS["notes"]["activations"] = (
        "string 'gelu' == gelu(approximate=False); 'silu' is an alias of swish; "
        "'leaky_relu' via get() uses tf.nn.leaky_relu default alpha=0.2; "
        "hard_sigmoid = clip(0.2*x + 0.5, 0, 1)."
    )


# ---------------------------------------------------------------------------
# b. Losses
# ---------------------------------------------------------------------------
def loss_data():
    d = {}
    yt = rng.uniform(-2, 2, size=(5, 3))
    yt[0, 0] = 0.0
    yt[3, 2] = 1e-9
    yp = rng.normal(size=(5, 3)) * 1.5
    yp[2] = yt[2]  # a perfect row
    d["reg"] = (yt, yp)

    yt = rng.uniform(0, 3, size=(5, 3))
    yt[1, 0] = 0.0
    yp = rng.uniform(0, 3, size=(5, 3))
    yp[0, 1] = 0.0
    yp[4, :] = 0.0
    d["pos"] = (yt, yp)

    yt = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0]], float)
    yp = np.array(
        [
            [1.0, 0.0, 0.9],  # exact hits
            [1.0, 0.0, 0.0],  # exact misses (0 where label 1, 1 where label 0)
            [0.5, 0.999, 1e-9],
            [0.2, 0.7, 0.1],
            [0.9999999, 1e-8, 0.3],
        ]
    )
    d["bin"] = (yt, yp)
    ylog = np.array(
        [[30.0, -30.0, 2.0], [-30.0, 30.0, 0.0], [0.0, 5.0, -5.0], [-1.5, 0.7, 100.0], [3.0, -0.2, -100.0]]
    )
    d["binlog"] = (yt, ylog)
    d["pm1"] = (2 * yt - 1, np.array(
        [[2.0, -0.5, 0.3], [-1.0, 1.0, 0.0], [0.9, 1.2, -3.0], [-0.1, 0.4, 1.5], [1.0, -2.0, 0.0]]))

    labels = np.array([0, 2, 1, 3, 2])
    yt = np.eye(4)[labels]
    yp = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],  # exact 1 at the true class
            [0.3, 0.7, 0.0, 0.0],  # exact 0 at the true class
            [0.1, 0.6, 0.2, 0.1],
            [0.25, 0.25, 0.25, 0.25],
            [0.05, 0.05, 0.8, 0.1],
        ]
    )
    d["cat"] = (yt, yp)
    yun = np.array(
        [
            [2.0, 0.0, 0.0, 0.0],
            [0.3, 1.4, 0.0, 0.5],
            [1.0, 3.0, 2.0, 1.0],
            [0.1, 0.1, 0.1, 0.1],
            [0.5, 0.0, 4.0, 1.5],
        ]
    )
    d["catun"] = (yt, yun)
    ylog = np.array(
        [
            [30.0, -30.0, 0.0, 1.0],
            [0.0, 2.0, -1.0, 0.5],
            [-1.0, 1.0, 0.0, 0.0],
            [3.0, 3.0, 3.0, 3.0],
            [-2.0, 0.5, 1.5, 100.0],
        ]
    )
    d["catlog"] = (yt, ylog)
    d["sparse"] = (labels, yp)
    d["sparse_from_logits"] = (labels, ylog)
    return d


def section_losses():
    d = loss_data()
    L = keras.losses
    cases = [
        # (key name, function, dataset)
        ("mean_squared_error", L.mean_squared_error, "reg"),
        ("mean_absolute_error", L.mean_absolute_error, "reg"),
        ("mean_absolute_percentage_error", L.mean_absolute_percentage_error, "reg"),
        ("mean_squared_logarithmic_error", L.mean_squared_logarithmic_error, "reg"),
        ("mean_squared_logarithmic_error", L.mean_squared_logarithmic_error, "pos"),
        ("logcosh", L.logcosh, "reg"),
        ("huber", L.huber, "reg"),
        ("huber_delta0.5", lambda a, b: L.huber(a, b, delta=0.5), "reg"),
        ("cosine_similarity", L.cosine_similarity, "reg"),
        ("cosine_similarity", L.cosine_similarity, "pos"),
        ("poisson", L.poisson, "pos"),
        ("kullback_leibler_divergence", L.kullback_leibler_divergence, "pos"),
        ("kullback_leibler_divergence", L.kullback_leibler_divergence, "cat"),
        ("binary_crossentropy", L.binary_crossentropy, "bin"),
        ("binary_crossentropy_from_logits",
         lambda a, b: L.binary_crossentropy(a, b, from_logits=True), "binlog"),
        ("binary_crossentropy_label_smoothing0.1",
         lambda a, b: L.binary_crossentropy(a, b, label_smoothing=0.1), "bin"),
        ("categorical_crossentropy", L.categorical_crossentropy, "cat"),
        ("categorical_crossentropy", L.categorical_crossentropy, "catun"),
        ("categorical_crossentropy_from_logits",
         lambda a, b: L.categorical_crossentropy(a, b, from_logits=True), "catlog"),
        ("sparse_categorical_crossentropy", L.sparse_categorical_crossentropy, "sparse"),
        ("sparse_categorical_crossentropy_from_logits",
         lambda a, b: L.sparse_categorical_crossentropy(a, b, from_logits=True),
         "sparse_from_logits"),
        ("hinge", L.hinge, "bin"),
        ("hinge", L.hinge, "pm1"),
        ("squared_hinge", L.squared_hinge, "bin"),
        ("squared_hinge", L.squared_hinge, "pm1"),
        ("categorical_hinge", L.categorical_hinge, "cat"),
        ("categorical_hinge", L.categorical_hinge, "catlog"),
    ]
    # string-name lookups must resolve to the same functions
    for name in ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
                 "mean_squared_logarithmic_error", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
                 "squared_hinge", "categorical_hinge", "logcosh",
                 "kullback_leibler_divergence", "poisson", "cosine_similarity", "huber"]:
        assert keras.losses.get(name) is getattr(keras.losses, name), name

    sw = np.array([1.0, 0.5, 2.0, 0.0, 3.0])
    for dn, dt in DTYPES.items():
        for setname, (yt, yp) in d.items():
            ytd = yt.astype(np.int32) if setname.startswith("sparse") else yt.astype(dt)
            put(f"loss.data.{setname}.y_true.{dn}", ytd, f"loss inputs '{setname}'")
            put(f"loss.data.{setname}.y_pred.{dn}", yp.astype(dt), f"loss inputs '{setname}'")
        put(f"loss.sample_weight.{dn}", sw.astype(dt), "sample_weight for lossobj.*.sw")
        for name, fn, setname in cases:
            yt, yp = d[setname]
            ytd = yt.astype(np.int32) if setname.startswith("sparse") else yt.astype(dt)
            out = fn(tf.constant(ytd), tf.constant(yp.astype(dt))).numpy()
            put(f"loss.{name}.{setname}.{dn}", out,
                f"keras.losses {name}(loss.data.{setname}.y_true, y_pred) per sample")
        # Loss classes: reduced scalar, SUM_OVER_BATCH_SIZE, with/without sample_weight
        objs = [
            ("MeanSquaredError", keras.losses.MeanSquaredError(), "reg"),
            ("CategoricalCrossentropy", keras.losses.CategoricalCrossentropy(), "cat"),
            ("BinaryCrossentropy", keras.losses.BinaryCrossentropy(), "bin"),
            ("SparseCategoricalCrossentropy_logits",
             keras.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse_from_logits"),
        ]
        for oname, obj, setname in objs:
            yt, yp = d[setname]
            ytd = yt.astype(np.int32) if setname.startswith("sparse") else yt.astype(dt)
            a, b = tf.constant(ytd), tf.constant(yp.astype(dt))
            put(f"lossobj.{oname}.{setname}.{dn}", obj(a, b).numpy(), "Loss class, no weights")
            put(f"lossobj.{oname}.{setname}.sw.{dn}",
                obj(a, b, sample_weight=tf.constant(sw.astype(dt))).numpy(),
                "Loss class with sample_weight=loss.sample_weight: sum(l*sw)/batch_size")
    JS["notes"]["losses"] = (
        "Loss classes reduce with SUM_OVER_BATCH_SIZE: sum(per_sample*sw)/n_samples "
        "(NOT divided by sum(sw)). Crossentropies clip probabilities to [eps, 1-eps] "
        "with eps=1e-7; categorical_crossentropy first divides y_pred by its row sum. "
        "hinge/squared_hinge convert {0,1} labels to {-1,1}."
    )


# ---------------------------------------------------------------------------
# c. Layers forward
# ---------------------------------------------------------------------------
def f32(a):
    return np.asarray(a, dtype=np.float32)


def run_layer(case, layer, inputs, weights=None, **call_kw):
    """Build ``layer`` for ``inputs``, set weights, run forward, store everything."""
    single = not isinstance(inputs, list)
    ins = [inputs] if single else inputs
    tins = [tf.constant(a) for a in ins]
    shapes = [tf.TensorShape((None,) + a.shape[1:]) for a in ins]
    layer.build(shapes[0] if single else shapes)
    if weights is not None:
        layer.set_weights(weights)
    y = layer(tins[0] if single else tins, **call_kw).numpy()
    if single:
        put(f"layer.{case}.x", ins[0], f"{type(layer).__name__} input")
    else:
        for i, a in enumerate(ins):
            put(f"layer.{case}.x{i}", a, f"{type(layer).__name__} input {i}")
    for i, w in enumerate(layer.get_weights()):
        put(f"layer.{case}.w{i}", w, f"{type(layer).__name__} weight {i}")
    put(f"layer.{case}.y", y, f"{type(layer).__name__} output")
    JS["layers"][case] = {
        "class_name": type(layer).__name__,
        "config": to_py(layer.get_config()),
        "input_shapes": [list(a.shape) for a in ins],
        "output_shape": list(y.shape),
        "call_kwargs": to_py(call_kw),
    }


def section_layers():
    Ly = keras.layers
    x2 = f32(rng.normal(size=(4, 5)))
    x3 = f32(rng.normal(size=(2, 3, 5)))
    W = f32(rng.normal(size=(5, 3)) * 0.7)
    b = f32(rng.normal(size=(3,)) * 0.3)
    run_layer("dense_relu_2d", Ly.Dense(3, activation="relu"), x2, [W, b])
    run_layer("dense_nobias_softmax_2d", Ly.Dense(3, activation="softmax", use_bias=False), x2, [W])
    run_layer("dense_linear_3d", Ly.Dense(3), x3, [W, b])
    run_layer("dense_relu_3d", Ly.Dense(3, activation="relu"), x3, [W, b])

    ids = np.array([[0, 1, 6, 3], [2, 2, 5, 0]], dtype=np.int32)
    E = f32(rng.normal(size=(7, 3)))
    run_layer("embedding", Ly.Embedding(input_dim=7, output_dim=3), ids, [E])

    t = f32(rng.normal(size=(2, 3, 4)))
    run_layer("flatten", Ly.Flatten(), t)
    run_layer("reshape", Ly.Reshape((2, -1)), t)
    run_layer("permute", Ly.Permute((2, 1)), t)
    run_layer("repeatvector", Ly.RepeatVector(3), f32(rng.normal(size=(2, 4))))
    run_layer("activation_tanh", Ly.Activation("tanh"), f32(rng.normal(size=(2, 3, 4)) * 2))
    run_layer("dropout_inference", Ly.Dropout(0.5), t, training=False)

    a = f32(rng.normal(size=(2, 3, 4)))
    c = f32(rng.normal(size=(2, 3, 4)))
    e = f32(rng.normal(size=(2, 3, 4)))
    run_layer("add", Ly.Add(), [a, c])
    run_layer("add3", Ly.Add(), [a, c, e])
    run_layer("subtract", Ly.Subtract(), [a, c])
    run_layer("multiply", Ly.Multiply(), [a, c])
    run_layer("average", Ly.Average(), [a, c])
    run_layer("maximum", Ly.Maximum(), [a, c])
    run_layer("minimum", Ly.Minimum(), [a, c])
    run_layer("concatenate_last", Ly.Concatenate(axis=-1), [a, f32(rng.normal(size=(2, 3, 2)))])
    run_layer("concatenate_axis1", Ly.Concatenate(axis=1), [a, f32(rng.normal(size=(2, 2, 4)))])
    p = f32(rng.normal(size=(2, 4)))
    q = f32(rng.normal(size=(2, 4)))
    run_layer("dot_axes1", Ly.Dot(axes=1), [p, q])
    run_layer("dot_axes1_2", Ly.Dot(axes=(1, 2)), [a, f32(rng.normal(size=(2, 5, 3)))])
    run_layer("dot_neg1_normalize", Ly.Dot(axes=-1, normalize=True),
              [a, f32(rng.normal(size=(2, 5, 4)))])
    run_layer("dot_neg1_normalize_2d", Ly.Dot(axes=-1, normalize=True), [p, q])


# ---------------------------------------------------------------------------
# d. Training parity
# ---------------------------------------------------------------------------
class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({"batch": batch, **{k: float(v) for k, v in (logs or {}).items()}})

    def on_epoch_begin(self, epoch, logs=None):
        self.logs.append({"epoch_begin": epoch})


def sgd():
    return keras.optimizers.SGD(learning_rate=0.1)


def build_mlp(w0, **compile_kw):
    keras.backend.clear_session()
    m = keras.Sequential(
        [
            keras.layers.Dense(5, activation="relu", input_shape=(4,)),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    m.set_weights(w0)
    kw = dict(metrics=["accuracy"])
    kw.update(compile_kw)
    m.compile(optimizer=sgd(), loss="categorical_crossentropy", **kw)
    return m


def put_weights(prefix, ws, desc):
    for i, w in enumerate(ws):
        put(f"{prefix}.{i}", w, desc)


def section_training():
    N = 10
    x = f32(rng.normal(size=(N, 4)))
    labels = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 1])
    y = f32(np.eye(3)[labels])
    w0 = [
        f32(rng.normal(size=(4, 5)) * 0.6),
        f32(rng.normal(size=(5,)) * 0.1),
        f32(rng.normal(size=(5, 3)) * 0.6),
        f32(rng.normal(size=(3,)) * 0.1),
    ]
    put("train.mlp.x", x, "MLP inputs")
    put("train.mlp.y", y, "MLP one-hot targets")
    put_weights("train.mlp.w0", w0, "MLP initial weights")
    T = JS["training"]

    # fit with validation split
    m = build_mlp(w0)
    cb = BatchLogs()
    h = m.fit(x, y, batch_size=4, epochs=3, shuffle=False, validation_split=0.2, verbose=0,
              callbacks=[cb])
    T["mlp_fit"] = {
        "call": "fit(x, y, batch_size=4, epochs=3, shuffle=False, validation_split=0.2, verbose=0)",
        "history": to_py(h.history),
        "history_keys_order": list(h.history.keys()),
        "history_params": to_py(h.params),
        "batch_logs": cb.logs,
        "metrics_names": list(m.metrics_names),
        "note": "validation_split=0.2 takes the LAST 2 samples (x[8:]) as validation; "
                "train on x[:8] in batches of 4.",
    }
    put_weights("train.mlp.fit.w", m.get_weights(), "MLP weights after fit (mlp_fit)")

    # fresh: test_on_batch, train_on_batch
    m = build_mlp(w0)
    tob = m.test_on_batch(x[:4], y[:4])
    trb = m.train_on_batch(x[:4], y[:4])
    put_weights("train.mlp.tob.w", m.get_weights(), "MLP weights after one train_on_batch(x[:4])")
    m = build_mlp(w0)
    ev = m.evaluate(x, y, batch_size=4, verbose=0)
    m = build_mlp(w0)
    ev_dict = m.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    ev_names = list(m.metrics_names)
    m = build_mlp(w0)
    pred = m.predict(x, verbose=0)
    put("train.mlp.predict", pred, "MLP predict(x) with w0")
    per = keras.losses.categorical_crossentropy(tf.constant(y), tf.constant(pred)).numpy()
    put("train.mlp.per_sample_loss", per, "categorical_crossentropy per sample at w0")
    batch_means = [float(np.mean(per[i:i + 4].astype(np.float64))) for i in range(0, N, 4)]
    correct = (pred.argmax(1) == labels).astype(np.float64)
    T["mlp_initial"] = {
        "test_on_batch_x[:4]": to_py(tob),
        "train_on_batch_x[:4]": to_py(trb),
        "evaluate_bs4": to_py(ev),
        "evaluate_bs4_return_dict": to_py(ev_dict),
        "metrics_names_fresh_compiled_model": list(m.metrics_names),
        "metrics_names_after_evaluate": ev_names,
        "numpy_mean_per_sample_loss": float(per.astype(np.float64).mean()),
        "numpy_mean_of_batch_means": float(np.mean(batch_means)),
        "numpy_accuracy": float(correct.mean()),
        "note": "train_on_batch returns the loss/metrics of the forward pass BEFORE the "
                "update. evaluate() averages batch losses weighted by batch size "
                "(== mean over all samples), not the plain mean of batch means.",
    }

    # sample_weight
    sw = np.array([0.5, 1.0, 2.0, 0.0, 1.0, 1.5, 0.25, 3.0, 1.0, 2.0], np.float32)
    put("train.mlp.sample_weight", sw, "sample weights for mlp_sample_weight")
    m = build_mlp(w0)
    cb = BatchLogs()
    h = m.fit(x, y, sample_weight=sw, batch_size=4, epochs=1, shuffle=False, verbose=0,
              callbacks=[cb])
    put_weights("train.mlp.sw.w", m.get_weights(), "MLP weights after 1 epoch with sample_weight")
    # numpy check of the reduction used for the reported loss (from w0 the first batch only)
    T["mlp_sample_weight"] = {
        "call": "fit(x, y, sample_weight=sw, batch_size=4, epochs=1, shuffle=False, verbose=0)",
        "history": to_py(h.history),
        "batch_logs": cb.logs,
        "first_batch_numpy_sum_l_sw_over_4": float(np.sum(per[:4] * sw[:4]) / 4.0),
        "first_batch_numpy_sum_l_sw_over_sum_sw": float(np.sum(per[:4] * sw[:4]) / np.sum(sw[:4])),
        "note": "batch loss = sum(l_i*sw_i)/batch_size; epoch 'loss' = batch losses "
                "averaged weighted by batch size; 'accuracy' (metrics=) is NOT sample-weighted.",
    }
    m = build_mlp(w0, weighted_metrics=["accuracy"])
    cb = BatchLogs()
    h = m.fit(x, y, sample_weight=sw, batch_size=4, epochs=1, shuffle=False, verbose=0,
              callbacks=[cb])
    put_weights("train.mlp.swwm.w", m.get_weights(),
                "MLP weights, sample_weight, weighted_metrics=['accuracy']")
    T["mlp_sample_weight_weighted_metrics"] = {
        "call": "compile(..., metrics=['accuracy'], weighted_metrics=['accuracy']); "
                "fit(x, y, sample_weight=sw, batch_size=4, epochs=1, shuffle=False)",
        "history": to_py(h.history),
        "history_keys_order": list(h.history.keys()),
        "batch_logs": cb.logs,
        "metrics_names": list(m.metrics_names),
    }

    # class_weight
    cw = {0: 1.0, 1: 2.0, 2: 0.5}
    m = build_mlp(w0)
    cb = BatchLogs()
    h = m.fit(x, y, class_weight=cw, batch_size=4, epochs=1, shuffle=False, verbose=0,
              callbacks=[cb])
    put_weights("train.mlp.cw.w", m.get_weights(), "MLP weights after 1 epoch with class_weight")
    T["mlp_class_weight"] = {
        "call": "fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, batch_size=4, epochs=1, "
                "shuffle=False, verbose=0)",
        "class_weight": {str(k): v for k, v in cw.items()},
        "history": to_py(h.history),
        "batch_logs": cb.logs,
        "note": "class_weight becomes per-sample weight cw[argmax(y_i)], then same as sample_weight.",
    }

    # two-input / two-output functional model
    xa = f32(rng.normal(size=(N, 3)))
    xb = f32(rng.normal(size=(N, 2)))
    ya = f32(rng.normal(size=(N, 1)))
    yb = f32((rng.uniform(size=(N, 1)) > 0.5).astype(np.float32))
    put("train.twoio.xa", xa, "input 'in_a'")
    put("train.twoio.xb", xb, "input 'in_b'")
    put("train.twoio.ya", ya, "target of 'out_a' (mse)")
    put("train.twoio.yb", yb, "target of 'out_b' (binary_crossentropy)")

    def build_two_io():
        keras.backend.clear_session()
        L = keras.layers
        in_a = keras.Input(shape=(3,), name="in_a")
        in_b = keras.Input(shape=(2,), name="in_b")
        ha = L.Dense(4, activation="relu", name="branch_a")(in_a)
        hb = L.Dense(4, activation="tanh", name="branch_b")(in_b)
        hcat = L.Concatenate(name="concat")([ha, hb])
        out_a = L.Dense(1, name="out_a")(hcat)
        out_b = L.Dense(1, activation="sigmoid", name="out_b")(hcat)
        return keras.Model([in_a, in_b], [out_a, out_b], name="two_io")

    m = build_two_io()
    tw0 = [f32(rng.normal(size=w.shape) * 0.5) for w in m.get_weights()]
    put_weights("train.twoio.w0", tw0, "two_io initial weights (get_weights() order)")
    JS["training"]["twoio_weight_names"] = [w.name for w in m.weights]

    m.set_weights(tw0)
    pa, pb = m.predict([xa, xb], verbose=0)
    put("train.twoio.predict_a", pa, "two_io predict out_a at w0")
    put("train.twoio.predict_b", pb, "two_io predict out_b at w0")
    m.compile(optimizer=sgd(), loss=["mse", "binary_crossentropy"], loss_weights=[1.0, 0.5],
              metrics={"out_b": ["accuracy"]})
    ev = m.evaluate([xa, xb], [ya, yb], batch_size=4, verbose=0, return_dict=True)
    cb = BatchLogs()
    h = m.fit([xa, xb], [ya, yb], batch_size=4, epochs=2, shuffle=False, verbose=0,
              callbacks=[cb])
    put_weights("train.twoio.fit.w", m.get_weights(), "two_io weights after fit")
    T["twoio_fit"] = {
        "model": "in_a(3)->Dense(4,relu,'branch_a'); in_b(2)->Dense(4,tanh,'branch_b'); "
                 "Concatenate('concat'); Dense(1,'out_a') linear; Dense(1,sigmoid,'out_b')",
        "compile": "SGD(0.1), loss=['mse','binary_crossentropy'], loss_weights=[1.0,0.5], "
                   "metrics={'out_b':['accuracy']}",
        "call": "fit([xa, xb], [ya, yb], batch_size=4, epochs=2, shuffle=False, verbose=0)",
        "evaluate_at_w0_return_dict": to_py(ev),
        "history": to_py(h.history),
        "history_keys_order": list(h.history.keys()),
        "batch_logs": cb.logs,
        "metrics_names": list(m.metrics_names),
        "note": "'loss' = out_a_loss + 0.5*out_b_loss (each loss reduced per batch, then "
                "averaged over batches weighted by batch size).",
    }


# ---------------------------------------------------------------------------
def main():
    section_activations()
    section_losses()
    section_layers()
    section_training()
    JS["npz_keys"] = dict(sorted(DESC.items()))
    npz_path = os.path.join(HERE, "core_reference.npz")
    json_path = os.path.join(HERE, "core_reference.json")
    write_npz(npz_path, ARR)
    with open(json_path, "w") as f:
        json.dump(JS, f, indent=1, sort_keys=True, allow_nan=True)
        f.write("\n")
    # sanity: round trip
    with np.load(npz_path) as z:
        assert sorted(z.files) == sorted(ARR)
        for k in ARR:
            assert z[k].shape == ARR[k].shape and z[k].dtype == ARR[k].dtype, k
            np.testing.assert_array_equal(z[k], ARR[k])
    for p in (npz_path, json_path):
        print(f"{os.path.relpath(p)}: {os.path.getsize(p)} bytes")
    print(f"{len(ARR)} arrays")


if __name__ == "__main__":
    main()
