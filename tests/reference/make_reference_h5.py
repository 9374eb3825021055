"""Reference model files for saving/loading interop between REAL Keras 2 (tf-keras) and gkeras.

Both directions, written into ``tests/reference/saving/``:

1. tf-keras -> gkeras.  For each model of ``tfk_models()`` (10 models: every layer
   family of gkeras.layers' Keras 2 core -- Dense, Dropout, Activation, Flatten, Reshape,
   Permute, RepeatVector, Embedding, BatchNormalization, the merge layers, Conv1D/2D/3D,
   Conv2DTranspose, cropping/padding, 1-D/2-D pooling; Sequential, a 2-input/2-output
   functional model and nested models; optimizers SGD-momentum, Adam, RMSprop, Adagrad and
   tf-keras's legacy Adam) the script builds the model with tf-keras, compiles it, runs ONE
   training step (``train_on_batch`` on batch 0), saves it with
   ``model.save('tfk_<name>.h5')`` (Keras's HDF5 layout: architecture, weights, training
   config, optimizer state after one step) -- and, for the models in ``KERAS_ZIP``, also
   ``model.save('tfk_<name>.keras')`` (the v3 zip format tf-keras 2.21 writes for that
   suffix) -- then records:

   * ``tfk_reference.npz``: ``<name>.pred.<i>`` = ``model.predict(batch 0 inputs)`` of the
     saved model (one entry per output); ``<name>.w2`` = every top-level layer's
     ``get_weights()`` after a second ``train_on_batch`` on batch 1, raveled and
     concatenated in ``model.layers`` order (BatchNormalization's moving statistics
     included).
   * ``tfk_reference.json``: per model ``data`` (how ``make_batch`` regenerates the
     inputs and targets -- they are not stored), ``x_sums`` (a check of that
     regeneration), ``loss2`` (the loss of the second step), ``w2_layout`` ([layer name,
     [weight shapes]] of ``<name>.w2``), ``step2``, ``keras_zip``, ``optimizer``,
     ``layer_classes``; plus the versions used.

   gkeras's tests (tests/saving/test_reference_files.py) load each file, check the
   predictions (float32 tolerance), run the same second step and compare the loss and
   every weight with tf-keras's: that checks the weights, the training config (loss,
   loss weights, optimizer hyper-parameters) and the optimizer state (iteration count,
   slots) were all read correctly.

2. gkeras -> tf-keras.  The script imports gkeras from this repository (``sys.path``;
   numpy on CPU), builds the models of ``gk_models()`` (a 2-input/2-output functional
   model with a conv branch and a nested Sequential, saved as ``.h5``; a Sequential saved
   as ``.keras``), runs one training step, saves ``gk_<name>.h5`` / ``gk_<name>.keras``
   and stores gkeras's predictions and second-step weights in ``gk_reference.npz`` /
   ``gk_reference.json`` (same scheme).  It then loads every gkeras file with tf-keras
   and ASSERTS that tf-keras predicts the same, that it restored the optimizer state
   (iterations = 1) and that its second step gives gkeras's loss and weights.  gkeras's
   own tests re-load the committed gk_* files (the format it writes stays readable), so
   CI needs no TensorFlow.

Determinism: every input comes from ``numpy.random.RandomState(seed)``; tf-keras's
weights come from ``keras.utils.set_random_seed`` with op determinism on, gkeras's from
``gkeras.utils.set_random_seed``; npz files are written with fixed zip timestamps.  The
.h5 files come out byte-identical on a rerun; the .keras archives differ only in their
save date (metadata.json and, for tf-keras, one zip timestamp).  Total size is kept under
400 kB (each model is tiny; an HDF5 group costs about 1 kB, which dominates).

How to regenerate (versions used for the committed files)::

    python -m venv v
    v/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py==3.14.0 numpy==2.4.6
    v/bin/python tests/reference/make_reference_h5.py

(generated with Python 3.11, numpy 2.4.6, h5py 3.14.0, tensorflow-cpu 2.21.0,
tf-keras 2.21.0 on CPU.)
"""
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("GKERAS_DEVICE", "cpu")

import numpy as np  # noqa: E402
from _refutil import make_batch, write_npz  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "saving")
REPO = os.path.dirname(os.path.dirname(HERE))
SEED = 20250301

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
warnings.filterwarnings("ignore")


# ----------------------------------------------------------------------------- data
# Inputs are not stored: tests/saving/test_reference_files.py regenerates them with the same
# function (numpy's legacy RandomState stream is frozen by numpy's compatibility policy;
# the json's "x_sums" catch any drift).  Shapes exclude the batch axis; ("int", d) are
# token ids for Embedding.
DATA = {
    "mlp_adam": {"x": [[5]], "y": [["onehot", 3]]},
    "embedding_sgd": {"x": [["int", 4]], "y": [["real", 1]]},
    "conv2d_sgd": {"x": [[8, 8, 2]], "y": [["onehot", 2]]},
    "conv2d_transpose_rmsprop": {"x": [[4, 4, 2]], "y": [["real", 2]]},
    "conv3d_sgd": {"x": [[4, 4, 4, 1]], "y": [["real", 1]]},
    "conv1d_adam": {"x": [[10, 2]], "y": [["onehot", 2]]},
    "merge_2in_2out_adam": {"x": [[4], [4]], "y": [["real", 1], ["onehot", 3]]},
    "nested_sgd": {"x": [[3]], "y": [["real", 2]]},
    "conv2d_dilated_adagrad": {"x": [[5, 5, 1]], "y": [["real", 1]]},
    "legacy_adam": {"x": [[4]], "y": [["real", 2]]},
    "gk_functional_sgd": {"x": [[6, 6, 1], [3]], "y": [["real", 1], ["onehot", 2]]},
    "gk_sequential_adam": {"x": [[4]], "y": [["onehot", 3]]},
}
BATCH = 6


def data_spec(name):
    return dict(DATA[name], n=BATCH, seed=SEED + sum(map(ord, name)))


# ----------------------------------------------------------------------------- tf-keras models
def tfk_models():
    L = keras.layers
    O = keras.optimizers

    def mlp_adam():
        m = keras.Sequential([L.Dense(6, activation="relu", input_shape=(5,)),
                              L.Dropout(0.0), L.Dense(3, activation="softmax")])
        m.compile(O.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
        return m

    def embedding_sgd():
        m = keras.Sequential([L.Embedding(10, 3, input_length=4), L.Reshape((3, 4)),
                              L.Permute((2, 1)), L.Flatten(), L.RepeatVector(2),
                              L.Flatten(), L.Activation("tanh"), L.Dense(1)])
        m.compile(O.SGD(0.05, momentum=0.9), "mse", metrics=["mae"])
        return m

    def conv2d_sgd():
        m = keras.Sequential([
            L.Conv2D(3, 3, strides=2, padding="same", activation="relu",
                     input_shape=(8, 8, 2)),
            L.ZeroPadding2D(1), L.Cropping2D(((1, 0), (0, 1))), L.MaxPooling2D(2),
            L.BatchNormalization(), L.AveragePooling2D(2, strides=1, padding="same"), L.GlobalAveragePooling2D(),
            L.Dense(2, activation="softmax")])
        m.compile(O.SGD(0.05, momentum=0.9), "categorical_crossentropy",
                  metrics=["accuracy"])
        return m

    def conv2d_transpose_rmsprop():
        inp = keras.Input((4, 4, 2), name="image")
        h = L.Conv2DTranspose(3, 3, strides=2, padding="same")(inp)
        h = L.GlobalMaxPooling2D()(h)
        m = keras.Model(inp, L.Dense(2)(h))
        m.compile(O.RMSprop(0.01), "mse")
        return m

    def conv3d_sgd():
        m = keras.Sequential([L.Conv3D(2, 2, activation="relu", input_shape=(4, 4, 4, 1)),
                              L.Flatten(), L.Dense(1)])
        m.compile(O.SGD(0.01, momentum=0.9), "mse")
        return m

    def conv1d_adam():
        m = keras.Sequential([L.Conv1D(3, 3, padding="same", input_shape=(10, 2)),
                              L.MaxPooling1D(2), L.GlobalAveragePooling1D(),
                              L.Dense(2, activation="softmax")])
        m.compile(O.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
        return m

    def merge_2in_2out_adam():
        da, db = keras.Input((4,), name="a"), keras.Input((4,), name="b")
        merged = L.Concatenate()([L.Add()([da, db]), L.Subtract()([da, db]),
                                  L.Multiply()([da, db]), L.Average()([da, db]),
                                  L.Maximum()([da, db]), L.Minimum()([da, db]),
                                  L.Dot(axes=1)([da, db])])
        reg = L.Dense(1, name="reg")(merged)
        cls = L.Dense(3, activation="softmax", name="cls")(merged)
        m = keras.Model([da, db], [reg, cls])
        m.compile(O.Adam(0.005), {"reg": "mse", "cls": "categorical_crossentropy"},
                  loss_weights=[1.0, 0.5], metrics={"cls": ["accuracy"]})
        return m

    def nested_sgd():
        inner_seq = keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,)),
                                      L.BatchNormalization()], name="inner_seq")
        i2 = keras.Input((4,))
        inner_fn = keras.Model(i2, L.Dense(3, activation="tanh")(i2), name="inner_fn")
        inp = keras.Input((3,))
        m = keras.Model(inp, L.Dense(2)(inner_fn(inner_seq(inp))))
        m.compile(O.SGD(0.05, momentum=0.9), "mse")
        return m

    def conv2d_dilated_adagrad():
        m = keras.Sequential([L.Conv2D(2, 2, dilation_rate=2, input_shape=(5, 5, 1)),
                              L.Flatten(), L.Dense(1)])
        m.compile(O.Adagrad(0.1), "mse")
        return m

    def legacy_adam():
        m = keras.Sequential([L.Dense(3, activation="relu", input_shape=(4,),
                                      kernel_regularizer="l2", bias_constraint="non_neg"),
                              L.Dense(2)])
        m.compile(O.legacy.Adam(0.01), "mse")
        return m

    return [("mlp_adam", mlp_adam, True), ("embedding_sgd", embedding_sgd, True), ("conv2d_sgd", conv2d_sgd, True),
            ("conv2d_transpose_rmsprop", conv2d_transpose_rmsprop, True),
            ("conv3d_sgd", conv3d_sgd, True), ("conv1d_adam", conv1d_adam, True),
            ("merge_2in_2out_adam", merge_2in_2out_adam, True),
            ("nested_sgd", nested_sgd, True),
            ("conv2d_dilated_adagrad", conv2d_dilated_adagrad, True),
            ("legacy_adam", legacy_adam, True)]


KERAS_ZIP = ("conv2d_transpose_rmsprop",)


# ----------------------------------------------------------------------------- helpers
def _one(v):
    return v[0] if len(v) == 1 else v


def record(arrays, meta, name, model, step2=True):
    """Predictions of the model saved after step one, then its second step's loss and
    weights.  npz: ``<name>.pred.<i>`` per output, ``<name>.w2`` all top-level layers'
    weights after step two, raveled and concatenated in ``model.layers`` /
    ``get_weights()`` order (json "w2_layout": [[layer name, [shapes]], ...])."""
    spec = data_spec(name)
    (xs, _), (x2, y2) = make_batch(spec, 0), make_batch(spec, 1)
    pred = model.predict(_one(xs), verbose=0)
    for i, p in enumerate(pred if isinstance(pred, list) else [pred]):
        arrays["%s.pred.%d" % (name, i)] = np.asarray(p, dtype="float32")
    info = {"data": spec, "x_sums": [float(np.sum(x, dtype="float64")) for x in xs],
            "step2": step2}
    if step2:
        loss = model.train_on_batch(_one(x2), _one(y2))
        info["loss2"] = float(loss[0] if isinstance(loss, list) else loss)
        flat, layout = [], []
        for layer in model.layers:
            weights = layer.get_weights()
            if weights:
                layout.append([layer.name, [list(w.shape) for w in weights]])
                flat += [np.asarray(w, dtype="float32").ravel() for w in weights]
        arrays["%s.w2" % name] = np.concatenate(flat)
        info["w2_layout"] = layout
    meta[name] = info


def _versions():
    import h5py
    return {"tensorflow": tf.__version__, "tf_keras": keras.__version__,
            "numpy": np.__version__, "h5py": h5py.__version__,
            "python": sys.version.split()[0]}


# ----------------------------------------------------------------------------- direction 1
def make_tfk_files():
    arrays, meta = {}, {}
    for name, build, step2 in tfk_models():
        keras.backend.clear_session()
        keras.utils.set_random_seed(SEED)
        model = build()
        xs, ys = make_batch(data_spec(name), 0)
        model.train_on_batch(_one(xs), _one(ys))
        model.save(os.path.join(OUT, "tfk_%s.h5" % name))
        if name in KERAS_ZIP:
            model.save(os.path.join(OUT, "tfk_%s.keras" % name))
        record(arrays, meta, name, model, step2)
        meta[name].update({
            "keras_zip": name in KERAS_ZIP,
            "optimizer": type(model.optimizer).__module__.replace("tf_keras.src.", "")
            + "." + type(model.optimizer).__name__,
            "layer_classes": sorted({type(lyr).__name__ for lyr in _all_layers(model)})})
        print("tf-keras", name, os.path.getsize(os.path.join(OUT, "tfk_%s.h5" % name)), "bytes")
    write_npz(os.path.join(OUT, "tfk_reference.npz"), arrays)
    write_json(os.path.join(OUT, "tfk_reference.json"), meta)


def write_json(path, models):
    with open(path, "w") as f:
        json.dump({"versions": _versions(), "seed": SEED, "models": models}, f, indent=1,
                  sort_keys=True)
        f.write("\n")


def _all_layers(model):
    out = []
    for layer in model.layers:
        out.append(layer)
        if hasattr(layer, "layers"):
            out += _all_layers(layer)
    return out


# ----------------------------------------------------------------------------- direction 2
def gk_models(gk):
    L = gk.layers
    O = gk.optimizers

    def gk_functional_sgd():
        img, vec = gk.Input((6, 6, 1), name="img"), gk.Input((3,), name="vec")
        h = L.Conv2D(2, 3, padding="same", activation="relu")(img)
        inner = gk.Sequential([L.Dense(3, input_shape=(3,)), L.BatchNormalization()],
                              name="inner")  # a nested model: Keras numbers its calls from 1
        merged = L.Concatenate()([L.GlobalMaxPooling2D()(h), inner(vec)])
        out1 = L.Dense(1, name="score")(merged)
        out2 = L.Dense(2, activation="softmax", name="label")(merged)
        m = gk.Model([img, vec], [out1, out2])
        m.compile(O.SGD(0.05, momentum=0.9), ["mse", "categorical_crossentropy"],
                  loss_weights=[1.0, 0.3],
                  metrics={"label": ["accuracy"]})
        return m

    def gk_sequential_adam():
        m = gk.Sequential([L.Dense(5, activation="relu", input_shape=(4,)),
                           L.BatchNormalization(), L.Dropout(0.0),
                           L.Dense(3, activation="softmax")])
        m.compile(O.Adam(0.02), "categorical_crossentropy", metrics=["accuracy"])
        return m

    return [("gk_functional_sgd", gk_functional_sgd, ".h5"),
            ("gk_sequential_adam", gk_sequential_adam, ".keras")]


def make_gk_files():
    sys.path.insert(0, REPO)
    import gkeras as gk
    arrays, meta, saved = {}, {}, []
    for name, build, suffix in gk_models(gk):
        gk.backend.clear_session()
        gk.utils.set_random_seed(SEED)
        model = build()
        xs, ys = make_batch(data_spec(name), 0)
        model.train_on_batch(_one(xs), _one(ys))
        path = os.path.join(OUT, name + suffix)
        model.save(path)
        record(arrays, meta, name, model)
        meta[name]["file"] = name + suffix
        saved.append((name, path))
        print("gkeras", name, os.path.getsize(path), "bytes")
    write_npz(os.path.join(OUT, "gk_reference.npz"), arrays)
    write_json(os.path.join(OUT, "gk_reference.json"), meta)
    check_gk_files_in_tfk(saved, arrays, meta)


def check_gk_files_in_tfk(saved, arrays, meta):
    """tf-keras loads each gkeras file, predicts the same and continues training the same."""
    for name, path in saved:
        keras.backend.clear_session()
        model = keras.models.load_model(path)
        spec = data_spec(name)
        (xs, _), (x2, y2) = make_batch(spec, 0), make_batch(spec, 1)
        pred = model.predict(_one(xs), verbose=0)
        for i, p in enumerate(pred if isinstance(pred, list) else [pred]):
            np.testing.assert_allclose(p, arrays["%s.pred.%d" % (name, i)], rtol=1e-5,
                                       atol=1e-6, err_msg="%s output %d" % (name, i))
        assert int(model.optimizer.iterations.numpy()) == 1, name
        loss = model.train_on_batch(_one(x2), _one(y2))
        loss = loss[0] if isinstance(loss, list) else loss
        np.testing.assert_allclose(loss, meta[name]["loss2"], rtol=1e-5)
        flat = np.concatenate([np.asarray(w).ravel() for layer in model.layers
                               for w in layer.get_weights()])
        np.testing.assert_allclose(flat, arrays["%s.w2" % name], rtol=1e-4, atol=1e-6,
                                   err_msg=name)
        print("tf-keras loaded", os.path.basename(path), "and agrees with gkeras")


def main():
    os.makedirs(OUT, exist_ok=True)
    make_tfk_files()
    make_gk_files()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("total size of tests/reference/saving:", total, "bytes")


if __name__ == "__main__":
    main()
