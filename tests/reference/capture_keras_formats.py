"""Capture verbatim text formats of real Keras 2 (tf-keras) for docs/keras_reference.md.

Prints a markdown-ish capture (raw text + repr() of the raw stdout bytes) of:
progress bars (fit/evaluate/predict, verbose=1 and 2, through a pipe and through a pty),
model.summary(), auto-naming, get_config() dicts, error messages, History keys and
K.function/learning_phase behaviour.  docs/keras_reference.md was written from its output.

Usage (same venv as make_reference.py)::

    v/bin/python tests/reference/capture_keras_formats.py > /tmp/keras_capture.md
"""

import json
import os
import pty
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

CHILD_SNIPPETS = {
    # name: python code run in a fresh interpreter; its stdout is captured raw.
    "fit_v1": """
m = mlp(); m.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, shuffle=False, verbose=1)
""",
    "fit_v1_slow": """
class Slow(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.3)
m = mlp(); m.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, shuffle=False, verbose=1,
                 callbacks=[Slow()])
""",
    "fit_v1_1epoch_no_val": """
m = mlp(); m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=1)
""",
    "fit_v1_small_loss": """
m = mlp(); m.fit(x, y * 0 + 1e-5, batch_size=4, epochs=1, shuffle=False, verbose=1)
""",
    "fit_v2": """
m = mlp(); m.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, shuffle=False, verbose=2)
""",
    "fit_auto": """
m = mlp(); m.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, shuffle=False)
""",
    "evaluate_v1": """
m = mlp(); r = m.evaluate(x, y, batch_size=4, verbose=1); print(repr(r))
""",
    "evaluate_v2": """
m = mlp(); r = m.evaluate(x, y, batch_size=4, verbose=2); print(repr(r))
""",
    "predict_v1": """
m = mlp(); p = m.predict(x, batch_size=4, verbose=1)
""",
    "predict_v1_slow_10steps": """
class Slow(keras.callbacks.Callback):
    def on_predict_batch_end(self, batch, logs=None):
        time.sleep(0.06)
m = mlp(); p = m.predict(x, batch_size=1, verbose=1, callbacks=[Slow()])
""",
    "graph_mode_K_function": """
tf.compat.v1.disable_eager_execution()
K = keras.backend
m = keras.Sequential([keras.layers.Dense(4, activation='relu', input_shape=(3,)),
                      keras.layers.Dropout(0.5), keras.layers.Dense(2)])
xx = np.ones((2, 3), 'float32')
print('K.learning_phase() ->', K.learning_phase())
for phase in (0, 1):
    try:
        f = K.function([m.input, K.learning_phase()], [m.layers[1].output])
        out = f([xx, phase])
        print('phase', phase, 'OK', [o.shape for o in out], 'zeros:', int((out[0] == 0).sum()))
    except Exception as e:
        print('phase', phase, type(e).__name__, str(e)[:400])
f = K.function([m.input], [m.layers[0].output, m.output])
print('no learning phase, 2 outputs OK', [o.shape for o in f([xx])])
""",
    "predict_v2": """
m = mlp(); p = m.predict(x, batch_size=4, verbose=2)
""",
    "predict_default": """
m = mlp(); p = m.predict(x, batch_size=4)
""",
}

CHILD_PRELUDE = """
import os, sys, time
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'
import numpy as np, tensorflow as tf, tf_keras as keras
tf.get_logger().setLevel('ERROR')
rng = np.random.default_rng(0)
x = rng.normal(size=(10, 4)).astype('float32')
y = np.eye(3, dtype='float32')[rng.integers(0, 3, size=10)]
def mlp():
    m = keras.Sequential([keras.layers.Dense(5, activation='relu', input_shape=(4,)),
                          keras.layers.Dense(3, activation='softmax')])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
              loss='categorical_crossentropy', metrics=['accuracy'])
    return m
"""


def run_child(code, use_pty):
    src = CHILD_PRELUDE + code
    env = dict(os.environ)
    if not use_pty:
        p = subprocess.run([sys.executable, "-c", src], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env)
        return p.stdout
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-c", src], stdout=slave,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:
            break
        if not b:
            break
        chunks.append(b)
    p.wait()
    os.close(master)
    # the pty line discipline turns '\n' into '\r\n'; undo it to show what Keras wrote
    return b"".join(chunks).replace(b"\r\n", b"\n")


def section(title):
    print(f"\n\n## {title}\n")


def show_raw(label, raw):
    print(f"### {label}\n")
    print("decoded text (control characters left in, not interpreted):")
    print("```")
    print(raw.decode("utf-8", "replace"), end="")
    print("```")
    print("repr of raw stdout bytes, split after each '\\n':")
    print("```")
    for line in raw.split(b"\n"):
        print(repr(line + b"\n") if line else "")
    print("```\n")


def main():
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras
    from tf_keras import backend as K

    tf.get_logger().setLevel("ERROR")
    print(f"# capture: tensorflow {tf.__version__}, tf_keras {keras.__version__}, "
          f"python {sys.version.split()[0]}")

    # ------------------------------------------------------------- progress bars
    section("Progress bars (each run in a fresh interpreter)")
    for name, code in CHILD_SNIPPETS.items():
        print(f"\n#### snippet `{name}`:\n```python{code}```")
        raw_pipe = run_child(code, use_pty=False)
        show_raw(f"{name} -- stdout is a pipe", raw_pipe)
        if name in ("fit_v1", "fit_v2", "evaluate_v1"):
            raw_tty = run_child(code, use_pty=True)
            show_raw(f"{name} -- stdout is a pty (tty)", raw_tty)

    # ------------------------------------------------------------- summaries
    section("model.summary()")

    def summ(m):
        lines = []
        m.summary(print_fn=lambda s, **kw: lines.append(s))
        text = "\n".join(lines)
        print("```")
        print(text)
        print("```")
        print("line lengths:", sorted(set(len(l) for l in text.split("\n"))))
        print("print_fn was called", len(lines), "times; repr of first 3 calls:",
              [repr(l) for l in lines[:3]])

    K.clear_session()
    L = keras.layers
    m = keras.Sequential([L.Dense(32, input_shape=(784,)), L.Dropout(0.2), L.Dense(10)])
    print("### (i) Sequential([Dense(32, input_shape=(784,)), Dropout(0.2), Dense(10)])")
    summ(m)
    print("\nraw stdout of plain m.summary() (repr, first 300 chars):")
    import io
    import contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        m.summary()
    print("```")
    print(repr(buf.getvalue()[:300]))
    print("```")

    K.clear_session()
    ia = keras.Input(shape=(3,))
    ib = keras.Input(shape=(2,))
    c = L.Concatenate()([L.Dense(4)(ia), ib])
    oa = L.Dense(1)(c)
    ob = L.Dense(2, activation="softmax")(c)
    fm = keras.Model([ia, ib], [oa, ob])
    print("\n### (ii) functional: two Inputs (3,),(2,), Dense(4) on first, Concatenate, two Dense heads")
    summ(fm)

    K.clear_session()
    m3 = keras.Sequential([L.Dense(8, input_shape=(4,)), L.Dense(3)])
    m3.layers[0].trainable = False
    print("\n### (iii) Sequential with first Dense(8) trainable=False")
    summ(m3)
    K.clear_session()
    m4 = keras.Sequential([L.Dense(8, input_shape=(4,)), L.BatchNormalization(), L.Dense(3)])
    print("\n### (iv) Sequential with BatchNormalization (non-trainable moving stats)")
    summ(m4)
    K.clear_session()
    m5 = keras.Sequential([L.Dense(3), L.Dense(2)])
    print("\n### (v) unbuilt Sequential summary()")
    try:
        summ(m5)
    except Exception as e:
        print("```\n" + f"{type(e).__name__}: {e}" + "\n```")
    K.clear_session()
    big = keras.Sequential([L.Dense(1000, input_shape=(1000,)), L.Dense(1000)])
    print("\n### (vi) large param counts (thousands separator?)")
    summ(big)

    # ------------------------------------------------------------- naming
    section("Auto-naming")
    K.clear_session()
    d1, d2 = L.Dense(2), L.Dense(2)
    i1, i2 = keras.Input((3,)), keras.Input((3,))
    print("fresh session: Dense() x2 ->", d1.name, d2.name)
    print("keras.Input x2 ->", i1.name, i2.name, "| layer names:",
          i1.node.layer.name if hasattr(i1, "node") else None,
          i2.node.layer.name if hasattr(i2, "node") else None)
    s1 = keras.Sequential([L.Dense(2, input_shape=(3,))])
    s2 = keras.Sequential()
    print("Sequential x2 ->", s1.name, s2.name)
    print("Sequential(input_shape on first layer) layers:", [l.name for l in s1.layers],
          "| _layers incl. hidden input:",
          [l.name for l in s1._self_tracked_trackables] if hasattr(s1, "_self_tracked_trackables") else None,
          "| s1.inputs:", [t.name for t in s1.inputs])
    try:
        print("s1.get_layer(index=0):", s1.get_layer(index=0).name)
    except Exception as e:
        print("get_layer(index=0) error", e)
    f1 = keras.Model(i1, L.Dense(1)(i1))
    f2 = keras.Model(i2, L.Dense(1)(i2))
    print("functional Model x2 ->", f1.name, f2.name, "| f1.layers:", [l.name for l in f1.layers])
    print("f1.input_names / output_names:", f1.input_names, f1.output_names)
    ac = L.Activation("relu"); dr = L.Dropout(0.1); fl = L.Flatten(); cc = L.Concatenate()
    ad = L.Add(); em = L.Embedding(3, 2); dot = L.Dot(1); lam = L.Lambda(lambda t: t)
    rs = L.Reshape((1,)); pm = L.Permute((1,)); rv = L.RepeatVector(2); bn = L.BatchNormalization()
    print("other classes:", [z.name for z in (ac, dr, fl, cc, ad, em, dot, lam, rs, pm, rv, bn)])
    K.clear_session()
    print("after clear_session: Dense ->", L.Dense(1).name, "| Input ->", keras.Input((1,)).name,
          "| Sequential ->", keras.Sequential().name)
    e1 = L.Dense(1, name="my_dense")
    e2 = L.Dense(1)
    print("explicit name='my_dense' then Dense() ->", e1.name, e2.name)
    e3 = L.Dense(1, name="dense_5")
    e4 = L.Dense(1)
    print("explicit name='dense_5' then Dense() ->", e3.name, e4.name)
    e5 = L.Dense(1, name="my_dense")
    print("duplicate explicit name='my_dense' allowed at layer creation ->", e5.name)
    try:
        ii = keras.Input((2,))
        keras.Model(ii, L.Dense(1, name="dup")(L.Dense(1, name="dup")(ii)))
        print("Model with two layers named 'dup': built OK")
    except Exception as e:
        print("Model with two layers named 'dup':", type(e).__name__, ":", e)
    K.clear_session()
    class MyBlock(keras.layers.Layer):
        pass
    print("custom Layer subclass MyBlock ->", MyBlock().name, "| MyDenseNet model subclass ->",
          type("MyDenseNet", (keras.Model,), {})().name)
    K.clear_session()
    m = keras.Sequential([L.Dense(2, input_shape=(3,))])
    print("weight names:", [w.name for w in m.weights])
    ii = keras.Input((3,), name="x_in")
    print("explicit Input name='x_in' ->", ii.name)

    # ------------------------------------------------------------- get_config
    section("get_config()")
    K.clear_session()

    def cfg(label, obj):
        print(f"### {label}\n```")
        print(json.dumps(obj.get_config(), indent=2, default=repr))
        print("```")
        print("python repr:\n```")
        print(repr(obj.get_config()))
        print("```\n")

    cfg("Dense(3, activation='relu')", L.Dense(3, activation="relu"))
    dd = L.Dense(3, input_shape=(4,))
    cfg("Dense(3, input_shape=(4,)) (unbuilt)", dd)
    cfg("Activation('tanh')", L.Activation("tanh"))
    cfg("Dropout(0.2)", L.Dropout(0.2))
    cfg("Flatten()", L.Flatten())
    cfg("Reshape((2, -1))", L.Reshape((2, -1)))
    cfg("Permute((2, 1))", L.Permute((2, 1)))
    cfg("RepeatVector(3)", L.RepeatVector(3))
    cfg("Embedding(7, 3)", L.Embedding(7, 3))
    cfg("Lambda(lambda t: t * 2)", L.Lambda(lambda t: t * 2))
    cfg("Add()", L.Add())
    cfg("Concatenate()", L.Concatenate())
    cfg("Dot(axes=1)", L.Dot(axes=1))
    cfg("Dot(axes=(1, 2), normalize=True)", L.Dot(axes=(1, 2), normalize=True))
    cfg("InputLayer(input_shape=(4,))", L.InputLayer(input_shape=(4,)))
    K.clear_session()
    sm = keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dense(2)])
    print("### Sequential([Dense(4, relu, input_shape=(3,)), Dense(2)]).get_config()\n```")
    print(json.dumps(sm.get_config(), indent=2, default=repr))
    print("```")
    print("to_json():\n```")
    print(sm.to_json())
    print("```")
    K.clear_session()
    ii = keras.Input((3,))
    hid = L.Dense(4, activation="relu")(ii)
    fm = keras.Model(ii, L.Dense(2)(hid))
    print("### functional Model(Input((3,)) -> Dense(4, relu) -> Dense(2)).get_config()\n```")
    print(json.dumps(fm.get_config(), indent=2, default=repr))
    print("```")

    # ------------------------------------------------------------- errors
    section("Error messages")
    rng = np.random.default_rng(0)
    x4 = rng.normal(size=(10, 4)).astype("float32")
    x5 = rng.normal(size=(10, 5)).astype("float32")
    yy = np.eye(3, dtype="float32")[rng.integers(0, 3, size=10)]

    def mk():
        K.clear_session()
        m = keras.Sequential([L.Dense(5, activation="relu", input_shape=(4,)),
                              L.Dense(3, activation="softmax")])
        m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
        return m

    def err(label, fn):
        print(f"### {label}\n```")
        try:
            fn()
            print("(no error)")
        except Exception as e:
            print(f"{type(e).__module__}.{type(e).__name__}:")
            print(str(e))
        print("```\n")

    err("fit with x of 5 features on input_shape=(4,)", lambda: mk().fit(x5, yy, verbose=0))
    err("predict with x of 5 features", lambda: mk().predict(x5, verbose=0))
    err("direct call model(x5)", lambda: mk()(x5))
    err("fit with y of 4 classes on 3-unit output",
        lambda: mk().fit(x4, np.eye(4, dtype="float32")[rng.integers(0, 4, 10)], verbose=0))
    err("compile(optimizer='foo')", lambda: mk().compile(optimizer="foo", loss="mse"))
    err("compile(loss='foo') alone (no fit)",
        lambda: (mk().compile(optimizer="sgd", loss="foo")))

    def fitfoo():
        m = mk()
        m.compile(optimizer="sgd", loss="foo")
        m.fit(x4, yy, verbose=0)
    err("compile(loss='foo'); fit", fitfoo)
    err("Dense(2, activation='foo')", lambda: L.Dense(2, activation="foo"))
    err("keras.activations.get('foo')", lambda: keras.activations.get("foo"))
    err("keras.losses.get('foo')", lambda: keras.losses.get("foo"))
    err("keras.optimizers.get('foo')", lambda: keras.optimizers.get("foo"))
    err("compile(metrics=['foo']); fit", lambda: (lambda m: (m.compile("sgd", "mse", metrics=["foo"]),
                                                           m.fit(x4, yy, verbose=0)))(mk()))
    err("fit with len(x)=10, len(y)=8", lambda: mk().fit(x4, yy[:8], verbose=0))
    err("fit before compile", lambda: keras.Sequential([L.Dense(1, input_shape=(4,))]).fit(
        x4, yy[:, :1], verbose=0))
    err("softmax on 1-D tensor", lambda: keras.activations.softmax(tf.constant([1.0, 2.0])))
    err("Reshape((5,)) called on a (2, 12) tensor",
        lambda: L.Reshape((5,))(tf.zeros((2, 12))))
    err("Add() of shapes (2,3) and (2,4)", lambda: L.Add()([tf.zeros((2, 3)), tf.zeros((2, 4))]))
    err("Concatenate() of (2,3,4) and (2,2,2)",
        lambda: L.Concatenate()([keras.Input((3, 4)), keras.Input((2, 2))]))
    err("set_weights with wrong shape",
        lambda: keras.Sequential([L.Dense(2, input_shape=(3,))]).set_weights(
            [np.zeros((3, 3)), np.zeros(2)]))
    err("set_weights with wrong count",
        lambda: keras.Sequential([L.Dense(2, input_shape=(3,))]).set_weights([np.zeros((3, 2))]))

    # ------------------------------------------------------------- history keys
    section("History keys")
    for metrics in (["accuracy"], ["acc"], ["categorical_accuracy"], ["mae", "accuracy"]):
        K.clear_session()
        m = keras.Sequential([L.Dense(3, activation="softmax", input_shape=(4,))])
        m.compile("sgd", "categorical_crossentropy", metrics=metrics)
        h = m.fit(x4, yy, epochs=1, verbose=0, validation_split=0.2)
        print(f"metrics={metrics!r}: history keys {list(h.history)}; metrics_names {m.metrics_names}")
        print("    metric fns:", [getattr(getattr(mm, "_fn", None), "__name__", None) for mm in m.metrics])
    K.clear_session()
    m = keras.Sequential([L.Dense(1, activation="sigmoid", input_shape=(4,))])
    m.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x4, yy[:, :1], epochs=1, verbose=0)
    print(f"binary model metrics=['accuracy']: {list(h.history)}; "
          f"metric objects {[type(mm).__name__ + ':' + mm.name for mm in m.metrics]}")
    K.clear_session()
    m = keras.Sequential([L.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x4, yy.argmax(1), epochs=1, verbose=0)
    print(f"sparse model metrics=['accuracy'] metric objects "
          f"{[type(mm).__name__ + ':' + mm.name for mm in m.metrics]} "
          f"fns {[getattr(getattr(mm, '_fn', None), '__name__', None) for mm in m.metrics]}")
    K.clear_session()
    m = keras.Sequential([L.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    m.fit(x4, yy, epochs=1, verbose=0)
    print(f"categorical model metrics=['accuracy'] metric objects "
          f"{[type(mm).__name__ + ':' + mm.name for mm in m.metrics]} "
          f"fns {[getattr(getattr(mm, '_fn', None), '__name__', None) for mm in m.metrics]}")
    print("metrics_names before any fit on fresh compiled model:",
          keras.Sequential([L.Dense(1, input_shape=(2,))]).metrics_names)

    for variant in ("names", "auto"):
        K.clear_session()
        ia = keras.Input((4,))
        h = L.Dense(4)(ia)
        if variant == "names":
            outs = [L.Dense(1, name="out_a")(h), L.Dense(1, activation="sigmoid", name="out_b")(h)]
        else:
            outs = [L.Dense(1)(h), L.Dense(1, activation="sigmoid")(h)]
        m = keras.Model(ia, outs)
        m.compile("sgd", ["mse", "binary_crossentropy"], metrics=["accuracy"])
        hh = m.fit(x4, [yy[:, :1], yy[:, 1:2]], epochs=1, verbose=0, validation_split=0.2)
        print(f"multi-output ({variant}), metrics=['accuracy'] for all: {list(hh.history)}")
    K.clear_session()
    ia = keras.Input((4,))
    h = L.Dense(4)(ia)
    m = keras.Model(ia, {"a": L.Dense(1, name="a")(h), "b": L.Dense(1, name="b")(h)})
    m.compile("sgd", {"a": "mse", "b": "mae"}, metrics={"a": ["mae"], "b": ["mse", "mae"]})
    hh = m.fit(x4, {"a": yy[:, :1], "b": yy[:, 1:2]}, epochs=1, verbose=0)
    print(f"dict outputs with per-output metrics dict: {list(hh.history)}")

    # ------------------------------------------------------------- K.function
    section("K.function / learning_phase")
    K.clear_session()
    m = keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dropout(0.5),
                          L.Dense(2)])
    xx = np.ones((2, 3), "float32")
    try:
        lp = K.learning_phase()
        print("K.learning_phase() ->", repr(lp))
    except Exception as e:
        print("K.learning_phase() error:", type(e).__name__, e)
    for label, fn in [
        ("K.function([m.input], [m.layers[0].output])",
         lambda: K.function([m.input], [m.layers[0].output])([xx])),
        ("K.function([m.input, K.learning_phase()], [m.layers[1].output])([x, 0])",
         lambda: K.function([m.input, K.learning_phase()], [m.layers[1].output])([xx, 0])),
        ("keras.Model(m.input, m.layers[0].output).predict(x)",
         lambda: keras.Model(m.input, m.layers[0].output).predict(xx, verbose=0)),
    ]:
        try:
            r = fn()
            print(f"{label}: OK ->", type(r).__name__, [np.asarray(t).shape for t in r]
                  if isinstance(r, list) else np.asarray(r).shape)
        except Exception as e:
            print(f"{label}: {type(e).__name__}: {str(e)[:600]}")


if __name__ == "__main__":
    main()
