"""The code snippets of the seed notes (seed/keras-notes-zh.txt), run as written.

Each snippet below is copied verbatim from the notes (with their `keras` spelling) and
executed after replacing `keras` with `gkeras`, in a namespace that provides what the
notes define elsewhere (`model`, `X`, `data`, `labels`, the imports). Snippets about
saving/loading, multi_gpu_model and applications belong to later issues and are not here.
"""
import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras.layers import Dense, Dropout, Input
from gkeras.models import Model, Sequential


def run_snippet(code, namespace):
    """Executes the seed's code with keras -> gkeras; returns the namespace."""
    exec(compile(code.replace("keras", "gkeras"), "<seed snippet>", "exec"), namespace)
    return namespace


def base_namespace():
    return {"Sequential": Sequential, "Dense": Dense, "Dropout": Dropout, "Input": Input,
            "Model": Model, "numpy": numpy, "np": numpy}


# ------------------------------------------------------------------- Sequential
SEQUENTIAL_COMPILE = """\
model.compile(optimizer='rmsprop',
loss='categorical_crossentropy',
metrics=['accuracy'])
"""


def test_sequential_add_compile_fit(rng):
    """序列模型: model = Sequential(); model.add(...); model.compile(...); model.fit(...).

    The notes' `model.add()` / `model.fit()` are placeholders ("define the layers here");
    they are filled with layers and data, the compile call is run exactly as written.
    """
    ns = base_namespace()
    run_snippet("model = Sequential()\n", ns)
    model = ns["model"]
    model.add(Dense(16, activation="relu", input_shape=(8,)))
    model.add(Dense(3, activation="softmax"))
    run_snippet(SEQUENTIAL_COMPILE, ns)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = gkeras.utils.to_categorical(numpy.argmax(x[:, :3], axis=1), 3)
    hist = model.fit(x, y, epochs=3, verbose=0)
    assert list(hist.history) == ["loss", "accuracy"]
    assert isinstance(model.optimizer, gkeras.optimizers.RMSprop)
    # 常用Sequential属性: model.layers是添加到模型上的层的list
    assert isinstance(model.layers, list) and [type(lyr) for lyr in model.layers] == [Dense,
                                                                                      Dense]


POP = """\
model = Sequential()
model.add(Dense(32, activation='relu', input_dim=784))
model.add(Dense(32, activation='relu'))
print(len(model.layers)) # "2"
model.pop()
print(len(model.layers)) # "1"
"""


def test_pop(capsys):
    """从Sequential模型中去除一个层."""
    ns = run_snippet(POP, base_namespace())
    assert capsys.readouterr().out == "2\n1\n"
    assert ns["model"].output_shape == (None, 32)


# ------------------------------------------------------------------- functional
def test_functional_model_class_is_model(rng):
    """函数式模型称作Functional，但它的类名是Model; several inputs and several outputs."""
    ia = Input(shape=(4,))
    ib = Input(shape=(2,))
    h = gkeras.layers.concatenate([Dense(8, activation="relu")(ia), ib])
    model = Model(inputs=[ia, ib], outputs=[Dense(1)(h), Dense(2, activation="softmax")(h)])
    assert type(model).__name__ == "Model" and gkeras.Model is Model
    model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy"])
    xa = rng.normal(size=(16, 4)).astype("float32")
    xb = rng.normal(size=(16, 2)).astype("float32")
    yb = gkeras.utils.to_categorical((xb[:, 0] > 0).astype(int), 2)
    model.fit([xa, xb], [xa[:, :1], yb], epochs=2, verbose=0)
    out = model.predict([xa, xb], verbose=0)
    assert [o.shape for o in out] == [(16, 1), (16, 2)]


# ------------------------------------------------------------------- batch / epoch
def test_one_update_per_batch_one_pass_per_epoch(rng):
    """"batch", "epoch"和"sample"的含义: an update per batch; an epoch is one pass."""
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(10, 3)).astype("float32")
    hist = model.fit(x, x[:, :2], batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2 * 3
    assert hist.params["steps"] == 3


# ------------------------------------------------------------------- K.function
K_FUNCTION = """\
from keras import backend as K
# with a Sequential model
get_3rd_layer_output = K.function([model.layers[0].input],
[model.layers[3].output])
layer_output = get_3rd_layer_output([X])[0]
"""

K_FUNCTION_LEARNING_PHASE = """\
get_3rd_layer_output = K.function([model.layers[0].input, K.learning_phase()],
[model.layers[3].output])
# output in test mode = 0
layer_output = get_3rd_layer_output([X, 0])[0]
# output in train mode = 1
layer_output = get_3rd_layer_output([X, 1])[0]
"""


@pytest.fixture
def dropout_model():
    return Sequential([Dense(16, activation="relu", input_shape=(6,)), Dropout(0.5),
                       Dense(8, activation="relu"), Dropout(0.5), Dense(2)])


def test_intermediate_layer_output(dropout_model, rng):
    """获取中间层的输出."""
    X = rng.normal(size=(20, 6)).astype("float32")
    ns = run_snippet(K_FUNCTION, dict(base_namespace(), model=dropout_model, X=X))
    expected = Model(dropout_model.input, dropout_model.layers[3].output).predict(X, verbose=0)
    numpy.testing.assert_allclose(ns["layer_output"], expected, rtol=1e-6)


def test_intermediate_output_with_learning_phase(dropout_model, rng):
    """K.learning_phase() as an extra input: 0 = test mode, 1 = train mode (Dropout)."""
    gkeras.utils.set_random_seed(0)
    X = rng.normal(size=(20, 6)).astype("float32")
    ns = dict(base_namespace(), model=dropout_model, X=X, K=K)
    code = K_FUNCTION_LEARNING_PHASE.split("# output in train mode = 1")
    run_snippet(code[0], ns)
    test_mode = ns["layer_output"]
    run_snippet("# output in train mode = 1" + code[1], ns)
    train_mode = ns["layer_output"]
    expected = Model(dropout_model.input, dropout_model.layers[3].output).predict(X, verbose=0)
    numpy.testing.assert_allclose(test_mode, expected, rtol=1e-6)
    assert (train_mode == 0).sum() > (test_mode == 0).sum()  # Dropout dropped units
    assert not numpy.allclose(train_mode, test_mode)


# ------------------------------------------------------------------- validation_split / History
HISTORY = """\
hist = model.fit(X, y, validation_split=0.2)
print(hist.history)
"""


def test_validation_split_history(rng, capsys):
    """数据集分割与洗乱 / 在每个epoch后记录训练/测试的loss和正确率."""
    X = rng.normal(size=(50, 6)).astype("float32")
    y = gkeras.utils.to_categorical((X[:, 0] > 0).astype(int), 2)
    model = Sequential([Dense(8, activation="relu", input_shape=(6,)),
                        Dense(2, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    ns = run_snippet(HISTORY, dict(base_namespace(), model=model, X=X, y=y))
    hist = ns["hist"]
    assert list(hist.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    out = capsys.readouterr().out
    assert out.endswith(repr(hist.history) + "\n")
    assert "2/2 [==============================]" in out  # 40 training samples, batch 32
    # the validation data is exactly the last 20 %, never shuffled
    val_loss, val_acc = model.evaluate(X[40:], y[40:], verbose=0)
    assert hist.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)
    assert hist.history["val_accuracy"][0] == pytest.approx(val_acc, rel=1e-6)


# ------------------------------------------------------------------- freezing
FROZEN_LAYER = """\
frozen_layer = Dense(32,trainable=False)
"""

FREEZING = """\
x = Input(shape=(32,))
layer = Dense(32)
layer.trainable = False
y = layer(x)
frozen_model = Model(x, y)
# in the model below, the weights of `layer` will not be updated during training
frozen_model.compile(optimizer='rmsprop', loss='mse')
layer.trainable = True
trainable_model = Model(x, y)
# with this model the weights of the layer will be updated during training
# (which will also affect the above model since it uses the same layer instance)
trainable_model.compile(optimizer='rmsprop', loss='mse')
"""
FROZEN_FIT = "frozen_model.fit(data, labels) # this does NOT update the weights of `layer`\n"
TRAINABLE_FIT = "trainable_model.fit(data, labels) # this updates the weights of `layer`\n"


def test_frozen_layer_constructor(rng):
    """“冻结”网络的层: Dense(32, trainable=False) never trains."""
    ns = run_snippet(FROZEN_LAYER, base_namespace())
    layer = ns["frozen_layer"]
    model = Sequential([Dense(32, input_shape=(8,)), layer])
    model.compile(optimizer="rmsprop", loss="mse")
    before = model.get_weights()
    model.fit(rng.normal(size=(16, 8)).astype("float32"), numpy.ones((16, 32), "float32"),
              verbose=0)
    after = model.get_weights()
    assert not numpy.array_equal(before[0], after[0])  # the first Dense trains
    numpy.testing.assert_array_equal(before[2], after[2])  # the frozen one does not
    numpy.testing.assert_array_equal(before[3], after[3])


def test_freezing_takes_effect_at_compile(rng, capsys):
    data = rng.normal(size=(64, 32)).astype("float32")
    labels = rng.normal(size=(64, 32)).astype("float32")
    ns = run_snippet(FREEZING, dict(base_namespace(), data=data, labels=labels))
    layer = ns["layer"]
    assert layer.trainable
    start = layer.get_weights()
    run_snippet(FROZEN_FIT, ns)
    for a, b in zip(start, layer.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    run_snippet(TRAINABLE_FIT, ns)
    updated = layer.get_weights()
    assert all(not numpy.array_equal(a, b) for a, b in zip(start, updated))
    # and the frozen model still does not train it, though it now shares new values
    run_snippet(FROZEN_FIT, ns)
    for a, b in zip(updated, layer.get_weights()):
        numpy.testing.assert_array_equal(a, b)
    numpy.testing.assert_allclose(ns["frozen_model"].predict(data, verbose=0),
                                  ns["trainable_model"].predict(data, verbose=0))
    out = capsys.readouterr().out  # fit's default verbose=1 shows the bar: 64 samples, 2 steps
    assert out.count("2/2 [==============================] - ") == 3


# ------------------------------------------------------------------- Dense formula
def test_dense_is_activation_of_dot_plus_bias(rng):
    """Dense层: output = activation(dot(input, kernel)+bias)."""
    layer = Dense(4, activation="relu")
    x = rng.normal(size=(5, 3)).astype("float32")
    y = numpy.asarray(layer(x))
    kernel, bias = layer.get_weights()
    numpy.testing.assert_allclose(y, numpy.maximum(numpy.dot(x, kernel) + bias, 0), rtol=1e-5,
                                  atol=1e-6)
