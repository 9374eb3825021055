"""Generate PARITY ground truth from REAL Keras 2 (tf-keras) for gkeras tests:
optimizers, BatchNormalization, regularizers/constraints, metrics, callbacks and the
"freezing" example of the seed notes.

What it produces (all in the directory of this script):

* ``parity_reference.npz`` -- float32/int arrays (inputs, weights, outputs); every key
  is listed with a one-line description in ``json["npz_keys"]``.
* ``parity_reference.json`` -- metadata (versions, seed), scalar results (losses per
  step, History dicts, per-batch logs, callback traces, file names, captured warning
  texts), optimizer ``get_config()`` dicts and optimizer state variable names, plus
  ``"notes"`` that summarise surprising tf-keras behaviour.

Nothing depends on TensorFlow's RNG: all data come from ``numpy.random.default_rng(SEED)``
and every weight is set explicitly with ``set_weights``.  TF runs single-threaded with op
determinism; the npz is written with fixed zip timestamps and sorted keys, so that
regenerating with the same versions gives identical bytes (json likewise).

How to regenerate (versions used for the committed files are pinned here)::

    python -m venv v
    v/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py
    v/bin/python tests/reference/make_reference_parity.py

(generated with Python 3.11, numpy 2.4.6, tensorflow-cpu 2.21.0, tf-keras 2.21.0 on CPU.)

All arrays are float32 as Keras computes them unless stated otherwise.

KEY SCHEME
==========

1. Optimizers (``opt.*`` = tf_keras.optimizers.<X>, the Keras 2.11+ generation;
   ``optleg.*`` = tf_keras.optimizers.legacy.<X>, the Keras 2.2-like generation).

   Model: Sequential([Dense(5, activation='tanh', input_shape=(4,)), Dense(3)]),
   loss 'mse', one fixed batch, 5 x ``model.train_on_batch(x, y)``.
   ``opt.x`` (8,4), ``opt.y`` (8,3)          the batch
   ``opt.w0.<i>`` i=0..3                      initial weights W1 (4,5), b1 (5,), W2 (5,3), b2 (3,)
   ``<pfx>.<cfg>.w`` (5, 43)                 row s = weights after step s+1, the 4 weights
                                              flattened (C order) and concatenated: split
                                              at 20, 25, 40 and reshape to opt.w0.* shapes
   ``<pfx>.<cfg>.state`` (K,)                 all ``optimizer.variables()`` after step 5,
                                              each flattened (C order) and concatenated IN
                                              ``variables()`` ORDER; the iteration counter
                                              (int64 in TF) is stored as float32 here.
   json["optimizers"][<pfx>.<cfg>] holds: "ctor" (constructor call), "losses" (the 5
   values returned by train_on_batch = loss BEFORE each update), "class" (key into
   json["optimizers"]["default_configs"], which holds get_config() of each
   default-constructed class, e.g. "Adam", "legacy.Adam"), "config_diff_vs_default"
   (the entries of get_config() that differ from that default config; the full config
   is default_configs[class] updated with it),
   "state_names"/"state_shapes"/"state_dtypes"/"state_offsets" describing
   ``<pfx>.<cfg>.state``, "iterations".
   <cfg> for ``opt``:
       sgd (SGD(0.1)), sgd_momentum (SGD(0.1, momentum=0.9)), sgd_nesterov (+nesterov),
       rmsprop (RMSprop()), rmsprop_momentum (RMSprop(0.01, momentum=0.9)),
       rmsprop_centered (RMSprop(0.01, centered=True)), adam (Adam()),
       adam_amsgrad (Adam(0.01, amsgrad=True)), adagrad (Adagrad(0.1)),
       adadelta_lr1 (Adadelta(1.0)), adadelta (Adadelta()), adamax (Adamax(0.01)),
       nadam (Nadam(0.01)), nadam_eager (Nadam(0.01) with compile(run_eagerly=True), see
       notes: differs from ``nadam``!), sgd_clipnorm (SGD(0.1, clipnorm=0.5)),
       sgd_clipvalue (SGD(0.1, clipvalue=0.01)),
       adam_global_clipnorm (Adam(0.01, global_clipnorm=0.5)).
   <cfg> for ``optleg``:
       sgd_decay (legacy SGD(learning_rate=0.1, decay=0.1): lr_t = lr/(1+decay*iterations)),
       sgd_momentum_decay (legacy SGD(0.1, momentum=0.9, decay=0.05)),
       rmsprop, adam, adagrad, adadelta, adamax, nadam (legacy classes, default args).
   json["optimizers"]["nadam_u_product"] holds the hidden Nadam ``_u_product`` variable
   (not part of variables()) after each step, graph vs eager; "nadam_u_t_*" the momentum
   schedules of both generations; "new_sgd_decay_kwarg" / "new_sgd_lr_kwarg" what the
   new SGD does with ``decay=`` / ``lr=``.

2. BatchNormalization.
   a. Layer forward, ``bn.<case>.*``; momentum=0.5, epsilon=1e-3, weights set explicitly:
      ``bn.<case>.x``        input
      ``bn.<case>.w``        (2, n, *P): [0] = w_init, the stacked get_weights() set
                             before the calls, [1] = w_after, the stacked get_weights()
                             after the one training call.  n = 4: [gamma, beta,
                             moving_mean, moving_variance]; n = 3 for center=False
                             ([gamma, mm, mv]) / scale=False ([beta, mm, mv]);
                             P = parameter shape
      ``bn.<case>.y``        (2, *x.shape): [0] = y_infer = layer(x, training=False)
                             with w_init (moving stats), [1] = y_train =
                             layer(x, training=True) with w_init (batch stats); the
                             inference call comes first, so w_after reflects exactly
                             one training call
      cases: 2d (x (6,3), axis=-1), 4d_last (x (4,2,2,3), axis=-1), 4d_axis1
      (x (4,3,2,2), axis=1), 3d_axis1 (x (5,4,3), axis=1), 3d_axes12 (x (5,4,3),
      axis=[1,2]: tf-keras gives the weights shape P=(1,4,3)!), 2d_nocenter (the 2d x
      with center=False), 2d_noscale (scale=False).
      json["batchnorm"]["config_2d"] is get_config() of the 2d layer; json["batchnorm"]
      [<case>] has "config_diff_vs_2d", whether the moving variance update used the
      biased (1/n) or unbiased (1/(n-1)) batch variance, and whether the layer was fused.
   b./c. ``bntrain.*``: Sequential([Dense(6, input_shape=(4,)), BatchNormalization(),
      Activation('relu'), Dense(3, activation='softmax')]), SGD(0.1),
      categorical_crossentropy, metrics=['accuracy'].
      ``bntrain.x`` (20,4), ``bntrain.y`` (20,3) one-hot, ``bntrain.w0.<i>`` i=0..7
      initial weights [W1, b1, gamma, beta, moving_mean, moving_variance, W2, b2].
      ``bntrain.fit.w.<i>``     after fit(batch_size=5, epochs=3, shuffle=False,
                                validation_split=0.2) (train on x[:16]: batches 5,5,5,1)
      ``bntrain.frozen.w.<i>``  same fit, but BN layer ``trainable=False`` before compile
      json["batchnorm"]["train_fit"/"train_frozen"]: history, batch_logs, weight
      names, and the first-batch loss at w0 in inference and training mode (compare
      with batch_logs[1]["loss"] to see which mode fit used).
   d. ``bn4d.*``: Sequential([Reshape((2,2,2), input_shape=(8,)),
      BatchNormalization(axis=-1), Flatten(), Dense(3, activation='softmax')]),
      SGD(0.1), categorical_crossentropy, fit(batch_size=5, epochs=1, shuffle=False).
      ``bn4d.x`` (20,8), ``bn4d.y`` (20,3), ``bn4d.w0.<i>`` [gamma, beta, mm, mv, W, b],
      ``bn4d.fit.w.<i>`` after fit.

3. Regularizers / constraints (``reg.*``), SGD(0.1), mse, x = ``opt.x``, y = ``opt.y``:
   ``reg.w0.<i>``          initial [kernel (4,3), bias (3,)] for all Dense(3) models here
   ``reg.train.w.<i>``     Dense(3, kernel_regularizer=l2(0.01), bias_regularizer=l1(0.02),
                           activity_regularizer=l1_l2(0.001, 0.002)) after 3 train_on_batch
   ``reg.<c>.w.<i>``       Dense(3, kernel_constraint=<c>) after 2 train_on_batch steps,
                           c in max_norm (max_norm(0.5)), non_neg, unit_norm,
                           min_max_norm (min_max_norm(0.2, 0.6, rate=0.5)), and
                           reg_max_norm (the regularized layer above + max_norm(0.5))
   ``reg.fixed_w`` (4,3)   fixed matrix for the raw regularizer / constraint values
   ``con.<name>`` (4,3)    constraint(reg.fixed_w): max_norm_axis0/1 (max_norm(0.5, axis)),
                           non_neg, unit_norm_axis0/1, min_max_norm_axis0/1
                           (min_max_norm(0.2, 0.6, rate=0.5, axis)),
                           min_max_norm_rate1_axis0 (rate=1.0), max_norm_default (max_norm())
   json["regularizers"]: raw values l1(0.01)(w), l2(0.01)(w), l1_l2(0.01, 0.01)(w),
   default-arg values/configs, the train_on_batch losses and the model.losses split.

4. Metrics (functional forms, per-sample vectors), ``met.*``:
   ``met.bin.y_true`` (6,3) {0,1}, ``met.bin.y_pred`` (6,3) incl. exact 0.5 / 0.7;
   ``met.binary_accuracy.t0.5`` / ``met.binary_accuracy.t0.7`` (6,)
   ``met.cat.y_true`` (6,4) one-hot, ``met.cat.y_pred`` (6,4) incl. ties;
   ``met.cat.labels_int32`` (6,) int32, ``met.cat.labels_col_f32`` (6,1) float32 (argmax)
   ``met.categorical_accuracy`` (6,), ``met.sparse_categorical_accuracy.n``
   (labels (6,) int32), ``met.sparse_categorical_accuracy.n1`` (labels (6,1) float32,
   output shape as Keras returns it), ``met.top_k_categorical_accuracy.k<1|2|3>``,
   ``met.sparse_top_k_categorical_accuracy.k2`` (labels (6,) int32).
   json["metrics"]: History keys / metrics_names for metrics=['accuracy',
   'top_k_categorical_accuracy', 'mse', 'mae', 'binary_crossentropy'] (history_five),
   ['acc'] (history_acc) and metric objects (history_objects).

5. Callbacks (``cb.*``); all problems: Dense(k) linear model, mse, SGD, shuffle=False,
   weights set explicitly (EarlyStopping fits use one full batch of 8 per epoch):
   ``cb.es.x`` (8,3), ``cb.es.y`` (8,2), ``cb.es.xv`` (4,3), ``cb.es.yv`` (4,2),
   ``cb.es.w0.<i>`` [kernel (3,2), bias (2,)]; validation targets are generated from a
   point 30% of the way from w0 to the training optimum, so val_loss falls then rises;
   ``cb.es.yv_same`` (4,2) validation targets from the training optimum (min_delta case).
   ``cb.es_<case>.w_epoch.<i>`` (E, ...) weights at the end of every epoch that ran
   (recorded by a callback placed BEFORE EarlyStopping), ``cb.es_<case>.w_final.<i>``
   weights after fit returned.  cases: overshoot (patience=1, min_delta=1e-4,
   restore_best_weights=True), min_delta (val targets == train targets, min_delta=0.3,
   patience=1, restore), no_stop_restore (patience=10, epochs=6, restore: training
   ends normally but weights are STILL restored).
   ``cb.rlr.x`` (4,2), ``cb.rlr.y`` (4,1), ``cb.rlr.w0.<i>``; ReduceLROnPlateau
   (monitor='loss', factor=0.5, patience=0, min_lr=1e-4) with an lr 10% above the
   stability limit (oscillating, growing loss); ``cb.rlr.w_final.<i>``.
   ``cb.lrs.w_final.<i>``  LearningRateScheduler(lambda epoch: 0.1 * 0.5**epoch), 3
   epochs on the cb.es training data from cb.es.w0, SGD(0.1) -> history['lr'].
   json["callbacks"]: histories, epochs run, stopped_epoch/best_epoch, "csv" (CSVLogger
   file text, 2 epochs with validation), "hooks" (ordered hook trace), "warnings"
   (captured logging/warnings text), "checkpoint_files" (ModelCheckpoint names).

6. Freezing example of /work/shared/seed/keras-notes-zh.txt ("冻结"): x = Input((32,)),
   layer = Dense(32); layer.trainable = False; frozen_model = Model(x, layer(x)) compiled
   ('rmsprop', 'mse'); layer.trainable = True; trainable_model = Model(x, y) compiled;
   frozen_model.fit(data, labels); trainable_model.fit(data, labels) (epochs=1,
   batch_size=32, shuffle=False).
   ``frz.data`` (16,32), ``frz.labels`` (16,32), ``frz.w0.<i>`` [kernel, bias] (all
   multiples of 1/32), ``frz.after_trainable_fit.<i>`` (``frz.after_frozen_fit.<i>`` is
   only written if frozen_model.fit changed the weights -- with tf-keras 2.21 it does
   not, so after the frozen fit the weights are exactly ``frz.w0``).
   json["freezing"]: booleans (changed or not), captured warnings, and a variant where
   frozen_model.fit runs BEFORE the flag is flipped back.
"""

import json
import logging
import os
import sys
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
from _refutil import configure_tf, to_py, write_npz  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))

configure_tf(tf, keras)

rng = np.random.default_rng(SEED)

ARR = {}  # npz payload
DESC = {}  # npz key -> description
JS = {
    "meta": {
        "generator": "tests/reference/make_reference_parity.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "floatx": keras.backend.floatx(),
        "epsilon": keras.backend.epsilon(),
    },
    "optimizers": {},
    "batchnorm": {},
    "regularizers": {},
    "metrics": {},
    "callbacks": {},
    "freezing": {},
    "notes": {},
}


def put(key, value, desc=""):
    assert key not in ARR, key
    a = np.asarray(value)
    ARR[key] = a
    DESC[key] = f"{a.dtype}{list(a.shape)} {desc}".rstrip()


def f32(a):
    return np.asarray(a, dtype=np.float32)


def put_weights(prefix, ws, desc):
    for i, w in enumerate(ws):
        put(f"{prefix}.{i}", w, desc)


def flat(ws):
    return np.concatenate([np.asarray(w, np.float32).ravel() for w in ws])


class Capture:
    """Capture python ``warnings`` and TF/absl logging (WARNING and up) as text."""

    def __enter__(self):
        self.records = []
        self.handler = logging.Handler(level=logging.WARNING)
        self.handler.emit = self.records.append  # the same record may reach 2 loggers
        self.loggers = [tf.get_logger(), logging.getLogger()]
        self.levels = [lg.level for lg in self.loggers]
        for lg in self.loggers:
            lg.addHandler(self.handler)
            lg.setLevel(logging.WARNING)
        self.wcm = warnings.catch_warnings(record=True)
        self.w = self.wcm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self.wcm.__exit__(*exc)
        for lg, lv in zip(self.loggers, self.levels):
            lg.removeHandler(self.handler)
            lg.setLevel(lv)
        uniq = list({id(r): r for r in self.records}.values())
        self.texts = [f"{r.levelname}: {r.getMessage()}" for r in uniq] + [
            f"{w.category.__name__}: {w.message}" for w in self.w]
        return False


class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({"batch": batch, **{k: float(v) for k, v in (logs or {}).items()}})

    def on_epoch_begin(self, epoch, logs=None):
        self.logs.append({"epoch_begin": epoch})


# ---------------------------------------------------------------------------
# 1. Optimizers
# ---------------------------------------------------------------------------
def opt_model(w0):
    keras.backend.clear_session()  # stable layer names -> stable optimizer var names
    m = keras.Sequential([
        keras.layers.Dense(5, activation="tanh", input_shape=(4,)),
        keras.layers.Dense(3),
    ])
    m.set_weights(w0)
    return m


def opt_variables(opt):
    v = opt.variables
    if callable(v) and not isinstance(v, list):  # legacy: method
        v = v()
    return list(v)


def section_optimizers():
    x = f32(rng.normal(size=(8, 4)))
    y = f32(rng.normal(size=(8, 3)))
    w0 = [
        f32(rng.normal(size=(4, 5)) * 0.5),
        f32(rng.normal(size=(5,)) * 0.1),
        f32(rng.normal(size=(5, 3)) * 0.5),
        f32(rng.normal(size=(3,)) * 0.1),
    ]
    put("opt.x", x, "optimizer batch inputs")
    put("opt.y", y, "optimizer batch targets (mse)")
    put_weights("opt.w0", w0, "optimizer model initial weights")
    O, LO = keras.optimizers, keras.optimizers.legacy
    configs = [
        ("opt", "sgd", "SGD(learning_rate=0.1)", lambda: O.SGD(learning_rate=0.1), O.SGD),
        ("opt", "sgd_momentum", "SGD(learning_rate=0.1, momentum=0.9)",
         lambda: O.SGD(learning_rate=0.1, momentum=0.9), O.SGD),
        ("opt", "sgd_nesterov", "SGD(learning_rate=0.1, momentum=0.9, nesterov=True)",
         lambda: O.SGD(learning_rate=0.1, momentum=0.9, nesterov=True), O.SGD),
        ("opt", "rmsprop", "RMSprop()", lambda: O.RMSprop(), O.RMSprop),
        ("opt", "rmsprop_momentum", "RMSprop(learning_rate=0.01, momentum=0.9)",
         lambda: O.RMSprop(learning_rate=0.01, momentum=0.9), O.RMSprop),
        ("opt", "rmsprop_centered", "RMSprop(learning_rate=0.01, centered=True)",
         lambda: O.RMSprop(learning_rate=0.01, centered=True), O.RMSprop),
        ("opt", "adam", "Adam()", lambda: O.Adam(), O.Adam),
        ("opt", "adam_amsgrad", "Adam(learning_rate=0.01, amsgrad=True)",
         lambda: O.Adam(learning_rate=0.01, amsgrad=True), O.Adam),
        ("opt", "adagrad", "Adagrad(learning_rate=0.1)", lambda: O.Adagrad(learning_rate=0.1),
         O.Adagrad),
        ("opt", "adadelta_lr1", "Adadelta(learning_rate=1.0)",
         lambda: O.Adadelta(learning_rate=1.0), O.Adadelta),
        ("opt", "adadelta", "Adadelta()", lambda: O.Adadelta(), O.Adadelta),
        ("opt", "adamax", "Adamax(learning_rate=0.01)", lambda: O.Adamax(learning_rate=0.01),
         O.Adamax),
        ("opt", "nadam", "Nadam(learning_rate=0.01)", lambda: O.Nadam(learning_rate=0.01),
         O.Nadam),
        ("opt", "nadam_eager", "Nadam(learning_rate=0.01); compile(run_eagerly=True)",
         lambda: O.Nadam(learning_rate=0.01), O.Nadam),
        ("opt", "sgd_clipnorm", "SGD(learning_rate=0.1, clipnorm=0.5)",
         lambda: O.SGD(learning_rate=0.1, clipnorm=0.5), O.SGD),
        ("opt", "sgd_clipvalue", "SGD(learning_rate=0.1, clipvalue=0.01)",
         lambda: O.SGD(learning_rate=0.1, clipvalue=0.01), O.SGD),
        ("opt", "adam_global_clipnorm", "Adam(learning_rate=0.01, global_clipnorm=0.5)",
         lambda: O.Adam(learning_rate=0.01, global_clipnorm=0.5), O.Adam),
        ("optleg", "sgd_decay", "legacy.SGD(learning_rate=0.1, decay=0.1)",
         lambda: LO.SGD(learning_rate=0.1, decay=0.1), LO.SGD),
        ("optleg", "sgd_momentum_decay", "legacy.SGD(learning_rate=0.1, momentum=0.9, decay=0.05)",
         lambda: LO.SGD(learning_rate=0.1, momentum=0.9, decay=0.05), LO.SGD),
        ("optleg", "rmsprop", "legacy.RMSprop()", lambda: LO.RMSprop(), LO.RMSprop),
        ("optleg", "adam", "legacy.Adam()", lambda: LO.Adam(), LO.Adam),
        ("optleg", "adagrad", "legacy.Adagrad()", lambda: LO.Adagrad(), LO.Adagrad),
        ("optleg", "adadelta", "legacy.Adadelta()", lambda: LO.Adadelta(), LO.Adadelta),
        ("optleg", "adamax", "legacy.Adamax()", lambda: LO.Adamax(), LO.Adamax),
        ("optleg", "nadam", "legacy.Nadam()", lambda: LO.Nadam(), LO.Nadam),
    ]
    OJ = JS["optimizers"]
    u_products = {}
    OJ["default_configs"] = {}
    for pfx, cfg, ctor, make, cls in configs:
        cls_key = ("legacy." if pfx == "optleg" else "") + cls.__name__
        OJ["default_configs"][cls_key] = to_py(cls().get_config())
        m = opt_model(w0)
        opt = make()
        m.compile(optimizer=opt, loss="mse", run_eagerly=(cfg == "nadam_eager"))
        losses, ws, ups = [], [], []
        for _ in range(5):
            losses.append(float(m.train_on_batch(x, y)))
            ws.append(flat(m.get_weights()))
            if cfg.startswith("nadam") and pfx == "opt":
                ups.append(float(opt._u_product.numpy()))
        if ups:
            u_products[cfg] = ups
        put(f"{pfx}.{cfg}.w", np.stack(ws), "flat weights after steps 1..5")
        vs = opt_variables(opt)
        names = [v.name for v in vs]
        vals = [v.numpy() for v in vs]
        offs = np.cumsum([0] + [int(np.size(a)) for a in vals]).tolist()
        put(f"{pfx}.{cfg}.state", np.concatenate([np.asarray(a, np.float32).ravel() for a in vals]),
            "flat variables() after step 5")
        OJ[f"{pfx}.{cfg}"] = {
            "ctor": ("tf_keras.optimizers." if pfx == "opt" else "tf_keras.optimizers.") + ctor,
            "losses": losses,
            "class": cls_key,
            "config_diff_vs_default": {k: v for k, v in to_py(opt.get_config()).items()
                                       if OJ["default_configs"][cls_key].get(k) != v},
            "state_names": names,
            "state_shapes": [list(np.shape(a)) for a in vals],
            "state_dtypes": [str(np.asarray(a).dtype) for a in vals],
            "state_offsets": offs,
            "iterations": int(opt.iterations.numpy()),
        }
    # new-generation optimizers reject `decay`
    try:
        O.SGD(learning_rate=0.1, decay=0.1)
        msg = "accepted"
    except Exception as e:  # noqa: BLE001
        msg = f"{type(e).__name__}: {e}"
    OJ["new_sgd_decay_kwarg"] = msg
    try:
        O.SGD(lr=0.1)
        msg = "accepted"
    except Exception as e:  # noqa: BLE001
        msg = f"{type(e).__name__}: {e}"
    OJ["new_sgd_lr_kwarg"] = msg
    OJ["nadam_u_product"] = u_products
    # numpy references to explain nadam vs nadam_eager
    b1 = 0.9
    u = [b1 * (1 - 0.5 * 0.96 ** t) for t in range(1, 7)]
    OJ["nadam_u_t_new_formula_t1..6"] = u
    OJ["nadam_u_t_legacy_formula_t1..6"] = [b1 * (1 - 0.5 * 0.96 ** (0.004 * t))
                                            for t in range(1, 7)]
    JS["notes"]["optimizers"] = (
        "train_on_batch returns the loss BEFORE the update. New (2.11+) optimizers reject "
        "`decay` (ValueError, see new_sgd_decay_kwarg; `lr=` is still accepted with a "
        "deprecation warning). Legacy: lr_t = lr / (1 + decay * iterations), iterations "
        "counted before the increment (step 1 uses lr). State layout, new: [iteration "
        "(int64), then slots: Adam/Adamax/Nadam/Adadelta interleave per model variable "
        "(m_k, v_k, m_k+1, ...), amsgrad appends all vhat at the end; RMSprop lists all "
        "velocity then all momentum / average_gradient; SGD ALWAYS has an m slot per "
        "variable, even with momentum=0]. Legacy: [iter, (Nadam: momentum_cache), then "
        "slot-major (all m, then all v)]; legacy SGD without momentum has only iter. "
        "Update rules verified against numpy (float64, <5e-7): SGD momentum m=mu*m-lr*g, "
        "w+=m; nesterov w+=mu*m-lr*g; clipnorm is PER VARIABLE g*c/max(||g||,c), "
        "global_clipnorm over all grads; clipvalue clips elementwise; Adam/legacy Adam "
        "w-=lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v)+eps) (amsgrad uses vhat=max(vhat,v)); "
        "Adamax w-=lr*m/((1-b1^t)*(u+eps)), u=max(b2*u,|g|); RMSprop v=rho*v+(1-rho)g^2, "
        "new code divides by sqrt(v+eps) (centered: sqrt(v-ag^2+eps)), momentum "
        "mom=mu*mom+lr*g/sqrt(..), w-=mom; Adagrad accumulator starts at 0.1 "
        "(initial_accumulator_value, also legacy; Keras 2.2 started at 0), w-=lr*g/sqrt(a+eps); "
        "Adadelta a=rho*a+(1-rho)g^2, d=sqrt(ad+eps)/sqrt(a+eps)*g, ad=rho*ad+(1-rho)d^2, "
        "w-=lr*d (default lr 0.001 in both tf-keras generations; Keras 2.2 used 1.0). "
        "Nadam: m_hat=u_{t+1}*m/(1-P_{t+1}) + (1-u_t)*g/(1-P_t), P_t=prod u_1..u_t, "
        "v_hat=v/(1-b2^t), w-=lr*m_hat/(sqrt(v_hat)+eps). New Nadam uses "
        "u_t=b1*(1-0.5*0.96**t) (NO 0.004 factor) and keeps P in a hidden variable "
        "`_u_product` (not in variables()); inside tf.function (normal compile) P is "
        "multiplied once PER MODEL VARIABLE instead of once per step (a Python-side "
        "counter is frozen at trace time), so `opt.nadam` deviates (~1e-2) from the "
        "algorithm, which `opt.nadam_eager` (run_eagerly=True) follows exactly. Legacy "
        "Nadam is the Keras 2.2 algorithm: u_t=b1*(1-0.5*0.96**(0.004*t)), P in "
        "`momentum_cache`, no lr decay (its config 'decay'=0.004 is the schedule decay)."
    )


# ---------------------------------------------------------------------------
# 2. BatchNormalization
# ---------------------------------------------------------------------------
def bn_case(case, x, axis, **kw):
    keras.backend.clear_session()
    layer = keras.layers.BatchNormalization(axis=axis, momentum=0.5, epsilon=1e-3, **kw)
    layer.build(tf.TensorShape((None,) + x.shape[1:]))
    shapes = [w.shape for w in layer.get_weights()]
    pshape = shapes[0]
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    w = []
    for nm in names:
        if nm == "gamma":
            w.append(f32(1.0 + 0.5 * rng.normal(size=pshape)))
        elif nm == "beta":
            w.append(f32(0.3 * rng.normal(size=pshape)))
        elif nm == "moving_mean":
            w.append(f32(0.5 * rng.normal(size=pshape)))
        else:
            w.append(f32(rng.uniform(0.5, 2.0, size=pshape)))
    layer.set_weights(w)
    put(f"bn.{case}.x", x, "BN input")
    y_inf = layer(tf.constant(x), training=False).numpy()
    y_tr = layer(tf.constant(x), training=True).numpy()
    wa = layer.get_weights()
    put(f"bn.{case}.w", np.stack([np.stack(w), np.stack(wa)]),
        f"[w_init, w_after] stacked {names}")
    put(f"bn.{case}.y", np.stack([y_inf, y_tr]), "[training=False, training=True] outputs")
    # which variance did the moving average use?
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = [a % x.ndim for a in axes]
    red = tuple(i for i in range(x.ndim) if i not in axes)
    nred = int(np.prod([x.shape[i] for i in red]))
    xd = x.astype(np.float64)
    mean = xd.mean(axis=red)
    var_b = xd.var(axis=red)
    var_u = var_b * nred / (nred - 1)
    mv0, mv1 = w[names.index("moving_variance")], wa[names.index("moving_variance")]
    mm0, mm1 = w[names.index("moving_mean")], wa[names.index("moving_mean")]
    got_var = (mv1.astype(np.float64) - 0.5 * mv0) / 0.5
    got_mean = (mm1.astype(np.float64) - 0.5 * mm0) / 0.5
    cfg = to_py(layer.get_config())
    if case == "2d":
        JS["batchnorm"]["config_2d"] = cfg
    base = JS["batchnorm"]["config_2d"]
    JS["batchnorm"][case] = {
        "axis_arg": axis,
        "x_shape": list(x.shape),
        "config_diff_vs_2d": {k: v for k, v in cfg.items() if base.get(k) != v},
        "weight_names": names,
        "param_shape": list(pshape),
        "reduction_axes": list(red),
        "n_reduced": nred,
        "fused": bool(getattr(layer, "fused", False)),
        "moving_mean_update_matches_batch_mean": bool(np.allclose(got_mean, mean, atol=1e-5)),
        "moving_var_uses_biased": bool(np.allclose(got_var, var_b, rtol=1e-4, atol=1e-5)),
        "moving_var_uses_unbiased": bool(np.allclose(got_var, var_u, rtol=1e-4, atol=1e-5)),
        "y_train_matches_numpy_biased_normalisation": bool(np.allclose(
            y_tr, _bn_np(xd, red, axes, mean, var_b, w, names, x.ndim), atol=1e-4)),
    }


def _bn_np(xd, red, axes, mean, var, w, names, ndim):
    shape = [1] * ndim
    for a in axes:
        shape[a] = xd.shape[a]
    g = w[names.index("gamma")] if "gamma" in names else 1.0
    b = w[names.index("beta")] if "beta" in names else 0.0
    r = lambda a: np.reshape(a, shape) if np.ndim(a) else a  # noqa: E731
    return (xd - r(mean)) / np.sqrt(r(var) + 1e-3) * r(g) + r(b)


def bn_mlp(w0, frozen=False):
    keras.backend.clear_session()
    m = keras.Sequential([
        keras.layers.Dense(6, input_shape=(4,)),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    m.set_weights(w0)
    if frozen:
        m.layers[1].trainable = False
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
              loss="categorical_crossentropy", metrics=["accuracy"])
    return m


def section_batchnorm():
    bn_case("2d", f32(rng.normal(size=(6, 3)) * 2 + 1), -1)
    bn_case("4d_last", f32(rng.normal(size=(4, 2, 2, 3)) * 2 + 1), -1)
    bn_case("4d_axis1", f32(rng.normal(size=(4, 3, 2, 2)) * 2 + 1), 1)
    bn_case("3d_axis1", f32(rng.normal(size=(5, 4, 3)) * 2 + 1), 1)
    bn_case("3d_axes12", f32(rng.normal(size=(5, 4, 3)) * 2 + 1), [1, 2])
    x2 = ARR["bn.2d.x"]
    bn_case("2d_nocenter", x2, -1, center=False)
    bn_case("2d_noscale", x2, -1, scale=False)

    # b/c: training parity
    N = 20
    x = f32(rng.normal(size=(N, 4)))
    labels = rng.integers(0, 3, size=N)
    y = f32(np.eye(3)[labels])
    w0 = [
        f32(rng.normal(size=(4, 6)) * 0.6), f32(rng.normal(size=(6,)) * 0.1),
        f32(1.0 + 0.2 * rng.normal(size=(6,))), f32(0.1 * rng.normal(size=(6,))),
        f32(0.2 * rng.normal(size=(6,))), f32(rng.uniform(0.5, 1.5, size=(6,))),
        f32(rng.normal(size=(6, 3)) * 0.6), f32(rng.normal(size=(3,)) * 0.1),
    ]
    put("bntrain.x", x, "BN MLP inputs")
    put("bntrain.y", y, "BN MLP one-hot targets")
    put_weights("bntrain.w0", w0, "BN MLP initial weights [W1,b1,gamma,beta,mm,mv,W2,b2]")
    for name, frozen in (("fit", False), ("frozen", True)):
        m = bn_mlp(w0, frozen=frozen)
        cce = keras.losses.categorical_crossentropy
        first = {t: float(tf.reduce_mean(cce(y[:5], m(x[:5], training=t)))) for t in (False, True)}
        cb = BatchLogs()
        h = m.fit(x, y, batch_size=5, epochs=3, shuffle=False, validation_split=0.2,
                  verbose=0, callbacks=[cb])
        wf = m.get_weights()
        put_weights(f"bntrain.{name}.w", wf, f"BN MLP weights after fit ({name})")
        JS["batchnorm"][f"train_{name}"] = {
            "call": "fit(x, y, batch_size=5, epochs=3, shuffle=False, validation_split=0.2, "
                    "verbose=0)" + ("; model.layers[1].trainable=False before compile"
                                    if frozen else ""),
            "history": to_py(h.history),
            "history_keys_order": list(h.history.keys()),
            "batch_logs": cb.logs,
            "metrics_names": list(m.metrics_names),
            "weight_names": [v.name for v in m.weights],
            "trainable_weight_names": [v.name for v in m.trainable_weights],
            "non_trainable_weight_names": [v.name for v in m.non_trainable_weights],
            "first_batch_loss_at_w0_inference_mode": first[False],
            "first_batch_loss_at_w0_training_mode": first[True],
            "bn_weights_unchanged": [bool(np.array_equal(a, b)) for a, b in zip(w0[2:6], wf[2:6])],
        }

    # d: 4-D BN inside a model
    x = f32(rng.normal(size=(N, 8)) * 1.5 + 0.5)
    labels = rng.integers(0, 3, size=N)
    y = f32(np.eye(3)[labels])
    keras.backend.clear_session()
    m = keras.Sequential([
        keras.layers.Reshape((2, 2, 2), input_shape=(8,)),
        keras.layers.BatchNormalization(axis=-1),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    w0 = [f32(1.0 + 0.2 * rng.normal(size=(2,))), f32(0.1 * rng.normal(size=(2,))),
          f32(0.2 * rng.normal(size=(2,))), f32(rng.uniform(0.5, 1.5, size=(2,))),
          f32(rng.normal(size=(8, 3)) * 0.5), f32(rng.normal(size=(3,)) * 0.1)]
    m.set_weights(w0)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy")
    cb = BatchLogs()
    h = m.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0, callbacks=[cb])
    put("bn4d.x", x, "inputs (reshaped to (2,2,2) inside)")
    put("bn4d.y", y, "one-hot targets")
    put_weights("bn4d.w0", w0, "initial [gamma, beta, mm, mv, W, b]")
    put_weights("bn4d.fit.w", m.get_weights(), "after fit(batch_size=5, epochs=1, shuffle=False)")
    JS["batchnorm"]["bn4d_fit"] = {
        "history": to_py(h.history), "batch_logs": cb.logs,
        "fused": bool(getattr(m.layers[1], "fused", False)),
    }
    JS["notes"]["batchnorm"] = (
        "Training-mode output always normalises with the BIASED batch variance. "
        "moving = moving*momentum + batch_stat*(1-momentum). Whether the moving variance "
        "uses the biased or unbiased batch variance depends on the code path: see "
        "batchnorm[<case>]['moving_var_uses_unbiased'] and 'fused' (fused kernel for rank-4 "
        "inputs with axis 1 or 3 applies Bessel's correction n/(n-1)). BN with "
        "trainable=False runs in INFERENCE mode inside fit (moving stats and gamma/beta "
        "unchanged). A training batch of size 1 (the 4th train batch of bntrain) gives "
        "output == beta in training mode."
    )


# ---------------------------------------------------------------------------
# 3. Regularizers / constraints
# ---------------------------------------------------------------------------
def section_regularizers():
    R, C = keras.regularizers, keras.constraints
    x, y = ARR["opt.x"], ARR["opt.y"]
    w0 = [f32(rng.normal(size=(4, 3)) * 0.6), f32(rng.normal(size=(3,)) * 0.3)]
    put_weights("reg.w0", w0, "initial [kernel, bias] of the Dense(3) models")

    def dense_model(**kw):
        keras.backend.clear_session()
        m = keras.Sequential([keras.layers.Dense(3, input_shape=(4,), **kw)])
        m.set_weights(w0)
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        return m

    regkw = dict(kernel_regularizer=R.l2(0.01), bias_regularizer=R.l1(0.02),
                 activity_regularizer=R.l1_l2(l1=0.001, l2=0.002))
    m = dense_model(**regkw)
    out = m(tf.constant(x))  # populates activity-regularization loss
    split = [float(v) for v in m.losses]
    mse0 = float(np.mean((out.numpy() - y) ** 2))
    ref = {"kernel l2": 0.01 * np.sum(w0[0].astype(np.float64) ** 2),
           "bias l1": 0.02 * np.sum(np.abs(w0[1].astype(np.float64))),
           "activity l1_l2 / batch_size": (0.001 * np.abs(out.numpy()).sum() + 0.002 * (
               out.numpy().astype(np.float64) ** 2).sum()) / x.shape[0]}
    model_losses_order = [min(ref, key=lambda k: abs(ref[k] - v)) for v in split]
    losses = [float(m.train_on_batch(x, y)) for _ in range(3)]
    put_weights("reg.train.w", m.get_weights(), "regularized Dense(3) after 3 train_on_batch")
    RJ = JS["regularizers"]
    RJ["train"] = {
        "layer": "Dense(3, kernel_regularizer=l2(0.01), bias_regularizer=l1(0.02), "
                 "activity_regularizer=l1_l2(l1=0.001, l2=0.002))",
        "losses": losses,
        "model_losses_at_w0_after_call_on_x": split,
        "model_losses_order": model_losses_order,
        "numpy_mse_at_w0": mse0,
        "numpy_kernel_l2": float(0.01 * np.sum(w0[0].astype(np.float64) ** 2)),
        "numpy_bias_l1": float(0.02 * np.sum(np.abs(w0[1].astype(np.float64)))),
        "numpy_activity_sum": float(0.001 * np.abs(out.numpy()).sum()
                                    + 0.002 * (out.numpy().astype(np.float64) ** 2).sum()),
        "numpy_activity_over_batch": float((0.001 * np.abs(out.numpy()).sum()
                                            + 0.002 * (out.numpy().astype(np.float64) ** 2).sum())
                                           / x.shape[0]),
    }
    cons = {
        "max_norm": (dict(kernel_constraint=C.max_norm(0.5)), "max_norm(0.5)"),
        "non_neg": (dict(kernel_constraint=C.non_neg()), "non_neg()"),
        "unit_norm": (dict(kernel_constraint=C.unit_norm()), "unit_norm()"),
        "min_max_norm": (dict(kernel_constraint=C.min_max_norm(0.2, 0.6, rate=0.5)),
                         "min_max_norm(0.2, 0.6, rate=0.5)"),
        "reg_max_norm": (dict(kernel_constraint=C.max_norm(0.5), **regkw),
                         "regularizers as reg.train + max_norm(0.5)"),
    }
    RJ["constraint_training"] = {}
    for name, (kw, desc) in cons.items():
        m = dense_model(**kw)
        ls = [float(m.train_on_batch(x, y)) for _ in range(2)]
        put_weights(f"reg.{name}.w", m.get_weights(), "after 2 train_on_batch")
        RJ["constraint_training"][name] = {"constraint": desc, "losses": ls}

    # raw values on a fixed w: columns with norms ~0.1, ~0.4, ~1.5 and rows varied
    fw = f32(rng.normal(size=(4, 3)) * np.array([0.05, 0.2, 0.8]))
    fw[0, 1] = -abs(fw[0, 1]) - 0.05
    put("reg.fixed_w", fw, "fixed matrix for raw regularizer / constraint values")
    t = tf.constant(fw)
    RJ["raw"] = {
        "l1(0.01)": float(R.l1(0.01)(t)),
        "l2(0.01)": float(R.l2(0.01)(t)),
        "l1_l2(l1=0.01, l2=0.01)": float(R.l1_l2(l1=0.01, l2=0.01)(t)),
        "l1()": float(R.l1()(t)),
        "l2()": float(R.l2()(t)),
        "l1_l2()": float(R.l1_l2()(t)),
        "L1L2()": float(R.L1L2()(t)),
        "config.l1()": to_py(R.l1().get_config()),
        "config.l2()": to_py(R.l2().get_config()),
        "config.l1_l2()": to_py(R.l1_l2().get_config()),
        "config.L1L2()": to_py(R.L1L2().get_config()),
        "numpy_sum_abs": float(np.abs(fw.astype(np.float64)).sum()),
        "numpy_sum_sq": float((fw.astype(np.float64) ** 2).sum()),
    }
    craw = {
        "max_norm_axis0": C.max_norm(0.5, axis=0),
        "max_norm_axis1": C.max_norm(0.5, axis=1),
        "max_norm_default": C.max_norm(),
        "non_neg": C.non_neg(),
        "unit_norm_axis0": C.unit_norm(axis=0),
        "unit_norm_axis1": C.unit_norm(axis=1),
        "min_max_norm_axis0": C.min_max_norm(0.2, 0.6, rate=0.5, axis=0),
        "min_max_norm_axis1": C.min_max_norm(0.2, 0.6, rate=0.5, axis=1),
        "min_max_norm_rate1_axis0": C.min_max_norm(0.2, 0.6, rate=1.0, axis=0),
    }
    RJ["constraint_configs"] = {}
    for name, c in craw.items():
        put(f"con.{name}", c(t).numpy(), "constraint(reg.fixed_w)")
        RJ["constraint_configs"][name] = {"class_name": type(c).__name__,
                                          "config": to_py(c.get_config())}
    RJ["fixed_w_col_norms"] = np.linalg.norm(fw.astype(np.float64), axis=0).tolist()
    RJ["fixed_w_row_norms"] = np.linalg.norm(fw.astype(np.float64), axis=1).tolist()
    JS["notes"]["regularizers"] = (
        "Total training loss = mse + sum(model.losses); activity regularizer is divided by "
        "the batch size. l1()/l2()/l1_l2() default to 0.01 but the class L1L2() defaults "
        "to l1=l2=0. Constraints are applied after each optimizer update. max_norm / "
        "unit_norm / min_max_norm use norms over `axis` (default 0 = per output unit "
        "for a Dense kernel) with epsilon=1e-7 in the denominator."
    )


# ---------------------------------------------------------------------------
# 4. Metrics
# ---------------------------------------------------------------------------
def section_metrics():
    M = keras.metrics
    yt = f32([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 1]])
    yp = f32([[0.5, 0.49, 0.51], [0.7, 0.71, 0.0], [1.0, 0.69, 0.7],
              [0.2, 0.3, 0.9], [0.8, 0.1, 0.65], [0.5, 0.5, 0.7]])
    put("met.bin.y_true", yt, "binary labels")
    put("met.bin.y_pred", yp, "binary probabilities (incl. exact 0.5 / 0.7)")
    for thr in (0.5, 0.7):
        put(f"met.binary_accuracy.t{thr}",
            M.binary_accuracy(tf.constant(yt), tf.constant(yp), threshold=thr).numpy(),
            f"binary_accuracy(threshold={thr}) per sample")
    labels = np.array([1, 0, 2, 3, 2, 1])
    ct = f32(np.eye(4)[labels])
    cp = f32([[0.4, 0.4, 0.1, 0.1],     # tie at top, true class is the 2nd -> argmax picks 0
              [0.4, 0.4, 0.1, 0.1],     # tie at top, true class first
              [0.1, 0.3, 0.3, 0.3],     # 3-way tie for top
              [0.5, 0.2, 0.2, 0.1],     # true class is last (rank 4)
              [0.1, 0.2, 0.6, 0.1],     # clear hit
              [0.3, 0.2, 0.2, 0.3]])    # true class in a tie for rank 2..3
    put("met.cat.y_true", ct, "one-hot labels")
    put("met.cat.y_pred", cp, "probabilities with ties")
    put("met.cat.labels_int32", labels.astype(np.int32), "sparse labels (N,)")
    put("met.cat.labels_col_f32", f32(labels[:, None]), "sparse labels (N,1) float32")
    put("met.categorical_accuracy", M.categorical_accuracy(ct, cp).numpy(),
        "categorical_accuracy per sample")
    put("met.sparse_categorical_accuracy.n",
        M.sparse_categorical_accuracy(tf.constant(labels.astype(np.int32)), cp).numpy(),
        "sparse_categorical_accuracy, labels (N,) int32")
    put("met.sparse_categorical_accuracy.n1",
        M.sparse_categorical_accuracy(tf.constant(f32(labels[:, None])), cp).numpy(),
        "sparse_categorical_accuracy, labels (N,1) float32 (shape as returned)")
    for k in (1, 2, 3):
        put(f"met.top_k_categorical_accuracy.k{k}",
            M.top_k_categorical_accuracy(ct, cp, k=k).numpy(),
            f"top_k_categorical_accuracy(k={k}) per sample")
    put("met.sparse_top_k_categorical_accuracy.k2",
        M.sparse_top_k_categorical_accuracy(tf.constant(labels.astype(np.int32)), cp, k=2).numpy(),
        "sparse_top_k_categorical_accuracy(k=2), labels (N,) int32")

    # metric names in History
    x = f32(rng.normal(size=(10, 4)))
    y = f32(np.eye(3)[rng.integers(0, 3, size=10)])
    w0 = [f32(rng.normal(size=(4, 3)) * 0.5), f32(np.zeros(3))]
    MJ = JS["metrics"]
    for tag, mets in (("five", ["accuracy", "top_k_categorical_accuracy", "mse", "mae",
                                "binary_crossentropy"]),
                      ("acc", ["acc"]),
                      ("objects", [keras.metrics.CategoricalAccuracy(),
                                   keras.metrics.TopKCategoricalAccuracy(k=2),
                                   keras.metrics.MeanSquaredError()])):
        keras.backend.clear_session()
        m = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
        m.set_weights(w0)
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy", metrics=mets)
        names_before = list(m.metrics_names)
        h = m.fit(x, y, batch_size=5, epochs=1, shuffle=False, validation_split=0.2, verbose=0)
        MJ[f"history_{tag}"] = {
            "metrics_arg": [s if isinstance(s, str) else type(s).__name__ + "()" for s in mets],
            "compile": "Dense(3, softmax), SGD(0.1), loss='categorical_crossentropy'; "
                       "fit(batch_size=5, epochs=1, shuffle=False, validation_split=0.2)",
            "history_keys": list(h.history.keys()),
            "history": to_py(h.history),
            "metrics_names_before_fit": names_before,
            "metrics_names_after_fit": list(m.metrics_names),
        }
    JS["notes"]["metrics"] = (
        "binary_accuracy uses y_pred > threshold (strict). categorical_accuracy uses argmax "
        "(first index wins ties). top_k uses tf.math.in_top_k: classes tied at the k-th "
        "value all count as inside the top k. History keys use the string given "
        "('acc' stays 'acc', 'mse' stays 'mse'); metric objects use their default names."
    )


# ---------------------------------------------------------------------------
# 5. Callbacks
# ---------------------------------------------------------------------------
class EpochWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ws = []

    def on_epoch_end(self, epoch, logs=None):
        self.ws.append(self.model.get_weights())


class HookTrace(keras.callbacks.Callback):
    """Records every hook call (without calling super, so no forwarding)."""

    def __init__(self):
        super().__init__()
        self.trace = []

    def _rec(self, name, idx=None, logs=None):
        e = [name]
        if idx is not None:
            e.append(idx)
        e.append(None if logs is None else sorted(logs.keys()))
        self.trace.append(e)


for _hook in ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
              "on_predict_begin", "on_predict_end"]:
    setattr(HookTrace, _hook, (lambda n: lambda self, logs=None: self._rec(n, None, logs))(_hook))
for _hook in ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
              "on_predict_batch_end", "on_batch_begin", "on_batch_end"]:
    setattr(HookTrace, _hook,
            (lambda n: lambda self, i, logs=None: self._rec(n, i, logs))(_hook))


class LegacyBatchHooks(keras.callbacks.Callback):
    """Overrides only on_batch_begin/on_batch_end (the Keras 2.2 names)."""

    def __init__(self):
        super().__init__()
        self.trace = []

    def on_batch_begin(self, batch, logs=None):
        self.trace.append(["on_batch_begin", batch])

    def on_batch_end(self, batch, logs=None):
        self.trace.append(["on_batch_end", batch])


def lin_model(w, units, in_dim, lr, **kw):
    keras.backend.clear_session()
    m = keras.Sequential([keras.layers.Dense(units, input_shape=(in_dim,), **kw)])
    m.set_weights(w)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return m


def section_callbacks():
    CJ = JS["callbacks"]
    K = keras.callbacks
    # --- EarlyStopping problem
    x = f32(rng.normal(size=(8, 3)))
    xv = f32(rng.normal(size=(4, 3)))
    w0 = [f32(rng.normal(size=(3, 2)) * 0.3), f32(np.zeros(2))]
    wt = [f32(rng.normal(size=(3, 2)) * 1.5), f32(rng.normal(size=(2,)) * 0.5)]
    wv = [w0[0] + 0.3 * (wt[0] - w0[0]), w0[1] + 0.3 * (wt[1] - w0[1])]
    y = f32(x @ wt[0] + wt[1])
    yv = f32(xv @ wv[0] + wv[1])
    put("cb.es.x", x, "EarlyStopping train x")
    put("cb.es.y", y, "EarlyStopping train y (linear target)")
    put("cb.es.xv", xv, "EarlyStopping validation x")
    put("cb.es.yv", yv, "EarlyStopping validation y (30% of the way from w0)")
    put_weights("cb.es.w0", w0, "EarlyStopping initial [kernel, bias]")
    yv_same = f32(xv @ wt[0] + wt[1])
    put("cb.es.yv_same", yv_same, "validation y from the training target (min_delta case)")

    es_cases = {
        "overshoot": (dict(monitor="val_loss", patience=1, min_delta=1e-4,
                           restore_best_weights=True), yv, 20),
        "min_delta": (dict(monitor="val_loss", patience=1, min_delta=0.3,
                           restore_best_weights=True), yv_same, 20),
        "no_stop_restore": (dict(monitor="val_loss", patience=10, restore_best_weights=True),
                            yv, 6),
    }
    for case, (kw, yval, epochs) in es_cases.items():
        m = lin_model(w0, 2, 3, 0.1)
        ew = EpochWeights()
        es = K.EarlyStopping(**kw)
        h = m.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0,
                  validation_data=(xv, yval), callbacks=[ew, es])
        n = len(h.history["loss"])
        for i in range(2):
            put(f"cb.es_{case}.w_epoch.{i}", np.stack([w[i] for w in ew.ws]),
                f"weight {i} at each epoch end")
        wf = m.get_weights()
        put_weights(f"cb.es_{case}.w_final", wf, "weights after fit")
        match = [e for e in range(n) if all(np.array_equal(a, b) for a, b in zip(ew.ws[e], wf))]
        CJ[f"early_stopping_{case}"] = {
            "kwargs": kw,
            "epochs_requested": epochs,
            "epochs_run": n,
            "stopped_epoch": int(es.stopped_epoch),
            "best_epoch": int(es.best_epoch),
            "best": float(es.best),
            "wait": int(es.wait),
            "history": to_py(h.history),
            "final_weights_equal_epoch_end_weights_of_epochs": match,
            "argmin_val_loss": int(np.argmin(h.history["val_loss"])),
        }

    # --- ReduceLROnPlateau: lr 10% above the stability limit -> oscillating, growing loss
    xr = f32(rng.normal(size=(4, 2)))
    yr = f32(rng.normal(size=(4, 1)))
    wr0 = [f32(rng.normal(size=(2, 1)) * 0.5), f32([0.0])]
    xa = np.concatenate([xr, np.ones((4, 1), np.float32)], 1).astype(np.float64)
    lam = np.linalg.eigvalsh(2.0 / 4 * xa.T @ xa).max()
    lr0 = float(np.float32(1.1 * 2.0 / lam))
    put("cb.rlr.x", xr, "ReduceLROnPlateau x")
    put("cb.rlr.y", yr, "ReduceLROnPlateau y")
    put_weights("cb.rlr.w0", wr0, "ReduceLROnPlateau initial [kernel, bias]")
    m = lin_model(wr0, 1, 2, lr0)
    rl = K.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_lr=1e-4)
    h = m.fit(xr, yr, batch_size=4, epochs=20, shuffle=False, verbose=0, callbacks=[rl])
    put_weights("cb.rlr.w_final", m.get_weights(), "ReduceLROnPlateau weights after 20 epochs")
    CJ["reduce_lr_on_plateau"] = {
        "kwargs": {"monitor": "loss", "factor": 0.5, "patience": 0, "min_lr": 1e-4},
        "initial_lr": lr0,
        "fit": "SGD(initial_lr), mse, fit(batch_size=4, epochs=20, shuffle=False)",
        "history": to_py(h.history),
        "history_keys": list(h.history.keys()),
        "final_lr": float(keras.backend.get_value(m.optimizer.learning_rate)),
        "note": "history['lr'][e] is the lr used DURING epoch e (logged before reducing).",
    }

    # --- LearningRateScheduler
    m = lin_model(w0, 2, 3, 0.1)
    h = m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
              callbacks=[K.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch)])
    put_weights("cb.lrs.w_final", m.get_weights(), "LearningRateScheduler weights after 3 epochs")
    CJ["lr_scheduler"] = {
        "schedule": "lambda epoch: 0.1 * 0.5**epoch",
        "fit": "data cb.es.x/cb.es.y from cb.es.w0, SGD(0.1), mse, fit(batch_size=4, epochs=3, "
               "shuffle=False)",
        "history": to_py(h.history),
        "history_keys": list(h.history.keys()),
    }

    # --- CSVLogger, hook order, ModelCheckpoint, warnings
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, "log.csv")
        m = lin_model(w0, 2, 3, 0.1)
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse",
                  metrics=["mae"])
        h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                  validation_data=(xv, yv), callbacks=[K.CSVLogger(p)])
        with open(p, "rb") as f:
            raw = f.read()
        CJ["csv"] = {
            "fit": "cb.es data, SGD(0.1), mse, metrics=['mae'], fit(batch_size=4, epochs=2, "
                   "shuffle=False, validation_data=(cb.es.xv, cb.es.yv))",
            "text": raw.decode("utf-8"),
            "history": to_py(h.history),
        }

        m = lin_model(w0, 2, 3, 0.1)
        tr = HookTrace()
        lg = LegacyBatchHooks()
        m.fit(x[:4], y[:4], batch_size=2, epochs=2, shuffle=False, verbose=0,
              validation_data=(xv[:2], yv[:2]), callbacks=[tr, lg])
        CJ["hooks"] = {
            "fit": "fit(x[:4], y[:4], batch_size=2, epochs=2, shuffle=False, "
                   "validation_data=(2 samples)) -> 2 train batches, 1 val batch",
            "trace": tr.trace,
            "trace_format": "[hook, (batch/epoch index), sorted logs keys or null]",
            "legacy_on_batch_only_callback": lg.trace,
            "note": "a callback overriding only on_batch_begin/on_batch_end is called for "
                    "TRAIN batches (Callback.on_train_batch_* forwards to on_batch_*); "
                    "HookTrace overrides on_train_batch_* without super(), so on_batch_* "
                    "never appear in its trace.",
        }

        with Capture() as cap:
            m = lin_model(w0, 2, 3, 0.1)
            es = K.EarlyStopping(monitor="val_los", patience=1)
            h = m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                      validation_data=(xv, yv), callbacks=[es])
        CJ["warnings"] = {
            "early_stopping_unknown_monitor": {
                "call": "EarlyStopping(monitor='val_los', patience=1); 2 epochs with validation",
                "captured": cap.texts,
                "epochs_run": len(h.history["loss"]),
            }
        }
        with Capture() as cap:
            m = lin_model(w0, 2, 3, 0.1)
            rl = K.ReduceLROnPlateau(monitor="val_acc")
            m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0,
                  validation_data=(xv, yv), callbacks=[rl])
        CJ["warnings"]["reduce_lr_unknown_monitor"] = {
            "call": "ReduceLROnPlateau(monitor='val_acc'); 1 epoch with validation",
            "captured": cap.texts,
        }

        d = os.path.join(td, "ck")
        os.makedirs(d)
        m = lin_model(w0, 2, 3, 0.1)
        mc = K.ModelCheckpoint(os.path.join(d, "w.{epoch:02d}-{val_loss:.2f}.h5"),
                               save_weights_only=True, save_best_only=True)
        h = m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                  validation_data=(xv, yv), callbacks=[mc])
        CJ["checkpoint_files"] = {
            "filepath": "w.{epoch:02d}-{val_loss:.2f}.h5",
            "kwargs": {"save_weights_only": True, "save_best_only": True},
            "fit": "cb.es.x/cb.es.y, validation (cb.es.xv, cb.es.yv), SGD(0.1), mse, "
                   "fit(batch_size=4, epochs=3, shuffle=False)",
            "files": sorted(os.listdir(d)),
            "val_loss": to_py(h.history["val_loss"]),
        }
    JS["notes"]["callbacks"] = (
        "EarlyStopping: wait += 1 every epoch, reset to 0 on improvement "
        "(monitor_op(current - min_delta, best)); stop when wait >= patience AND epoch > 0; "
        "stopped_epoch = that epoch (0-based). restore_best_weights restores in "
        "on_train_end whenever best_weights exist -- also when training was NOT stopped "
        "early (see early_stopping_no_stop_restore). 'best' only moves on an improvement "
        "larger than min_delta. ReduceLROnPlateau writes logs['lr'] (lr before this epoch's "
        "reduction, float32) so History gets an 'lr' key; LearningRateScheduler also adds "
        "'lr'. ModelCheckpoint {epoch} is 1-based."
    )


# ---------------------------------------------------------------------------
# 6. Freezing example
# ---------------------------------------------------------------------------
def section_freezing():
    q = lambda a: f32(np.round(np.asarray(a) * 32) / 32)  # noqa: E731  (compresses well)
    data = q(rng.normal(size=(16, 32)))
    labels = q(rng.normal(size=(16, 32)))
    w0 = [q(rng.normal(size=(32, 32)) * 0.2), q(rng.normal(size=(32,)) * 0.1)]
    put("frz.data", data, "freezing example data")
    put("frz.labels", labels, "freezing example labels")
    put_weights("frz.w0", w0, "freezing example initial [kernel, bias] of `layer`")
    FJ = JS["freezing"]
    from tf_keras.layers import Dense, Input
    from tf_keras.models import Model

    def build():
        keras.backend.clear_session()
        x = Input(shape=(32,))
        layer = Dense(32)
        layer.trainable = False
        y = layer(x)
        layer.set_weights(w0)
        frozen_model = Model(x, y)
        frozen_model.compile(optimizer="rmsprop", loss="mse")
        return x, y, layer, frozen_model

    with Capture() as cap:
        x, y, layer, frozen_model = build()
        tw_frozen_compile = len(frozen_model.trainable_weights)
        layer.trainable = True
        trainable_model = Model(x, y)
        trainable_model.compile(optimizer="rmsprop", loss="mse")
        h1 = frozen_model.fit(data, labels, shuffle=False, verbose=0)
        wa = layer.get_weights()
        h2 = trainable_model.fit(data, labels, shuffle=False, verbose=0)
        wb = layer.get_weights()
    if not all(np.array_equal(a, b) for a, b in zip(w0, wa)):
        put_weights("frz.after_frozen_fit", wa, "`layer` weights after frozen_model.fit")
    put_weights("frz.after_trainable_fit", wb, "`layer` weights after trainable_model.fit")
    FJ["seed_example"] = {
        "changed_by_frozen_model_fit": bool(any(not np.array_equal(a, b)
                                                for a, b in zip(w0, wa))),
        "changed_by_trainable_model_fit": bool(any(not np.array_equal(a, b)
                                                   for a, b in zip(wa, wb))),
        "frozen_model_trainable_weights_at_compile": tw_frozen_compile,
        "frozen_model_trainable_weights_at_fit": len(frozen_model.trainable_weights),
        "history_frozen": to_py(h1.history),
        "history_trainable": to_py(h2.history),
        "captured_warnings": cap.texts,
    }
    # variant: fit the frozen model while the flag is still False
    with Capture() as cap:
        x, y, layer, frozen_model = build()
        frozen_model.fit(data, labels, shuffle=False, verbose=0)
        wc = layer.get_weights()
        layer.trainable = True
        frozen_model.fit(data, labels, shuffle=False, verbose=0)
        wd = layer.get_weights()
    FJ["variant_fit_while_frozen_then_unfreeze_without_recompile"] = {
        "changed_by_fit_while_trainable_False": bool(any(not np.array_equal(a, b)
                                                         for a, b in zip(w0, wc))),
        "changed_by_second_fit_after_trainable_True_no_recompile": bool(
            any(not np.array_equal(a, b) for a, b in zip(wc, wd))),
        "captured_warnings": cap.texts,
    }
    JS["notes"]["freezing"] = (
        "tf-keras honours the trainable state AT COMPILE TIME: fit/train_on_batch run "
        "inside RespectCompiledTrainableState, which temporarily resets every layer's "
        "`trainable` to its value at compile() if it changed since. So the seed example "
        "behaves as documented (frozen_model.fit leaves `layer` unchanged, "
        "trainable_model.fit updates it) and no warning is printed; flipping trainable "
        "without re-compiling has no effect on training."
    )


# ---------------------------------------------------------------------------
def dumps_compact(obj, ind=0, width=100):
    """Deterministic pretty JSON (sorted keys, indent 1) with every list/dict whose
    one-line form is at most ``width`` characters (and every list of scalars) kept on
    one line."""
    one = json.dumps(obj, sort_keys=True, allow_nan=True)
    if not isinstance(obj, (list, dict)) or not obj or len(one) <= width or (
            isinstance(obj, list) and not any(isinstance(v, (list, dict)) for v in obj)):
        return one
    pad = "\n" + " " * (ind + 1)
    if isinstance(obj, list):
        items = [dumps_compact(v, ind + 1, width) for v in obj]
        return "[" + pad + ("," + pad).join(items) + "\n" + " " * ind + "]"
    items = [json.dumps(str(k)) + ": " + dumps_compact(obj[k], ind + 1, width)
             for k in sorted(obj)]
    return "{" + pad + ("," + pad).join(items) + "\n" + " " * ind + "}"


def main():
    section_optimizers()
    section_batchnorm()
    section_regularizers()
    section_metrics()
    section_callbacks()
    section_freezing()
    JS["npz_keys"] = dict(sorted(DESC.items()))
    npz_path = os.path.join(HERE, "parity_reference.npz")
    json_path = os.path.join(HERE, "parity_reference.json")
    write_npz(npz_path, ARR)
    text = dumps_compact(JS)
    assert json.loads(text) == json.loads(json.dumps(JS, allow_nan=True))
    with open(json_path, "w") as f:
        f.write(text + "\n")
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
