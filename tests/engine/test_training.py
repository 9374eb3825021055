"""compile / fit / evaluate / predict semantics (Keras 2, as tf-keras 2.21 behaves)."""
import re

import numpy
import pytest

import gkeras
from gkeras import callbacks, layers, optimizers
from gkeras.engine import Layer
from gkeras.utils import Sequence, to_categorical


class Recorder(Layer):
    """Identity layer remembering the first column (a sample id) of every batch it sees."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def call(self, inputs, training=None):
        self.log.append(("train" if training else "test",
                         [int(round(v)) for v in numpy.asarray(inputs)[:, 0]]))
        return inputs


def id_model(log, n_features=2):
    """Input column 0 carries the sample id; Recorder logs it; Dense(1) on top."""
    model = gkeras.Sequential([Recorder(log, input_shape=(n_features,)), layers.Dense(1)])
    model.compile(optimizers.SGD(learning_rate=0.0), "mse")
    return model


def id_data(n):
    x = numpy.stack([numpy.arange(n), numpy.ones(n)], axis=1).astype("float32")
    return x, numpy.zeros((n, 1), "float32")


def classification_data(rng, n=240):
    x = rng.normal(size=(n, 4)).astype("float32")
    w = numpy.array([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.3, 1.0], [0.2, -0.5, 0.8]])
    return x, to_categorical((x @ w).argmax(1), 3)


def small_mlp(loss="categorical_crossentropy", metrics=("accuracy",), optimizer=None):
    model = gkeras.Sequential([layers.Dense(16, activation="relu", input_shape=(4,)),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer or optimizers.Adam(learning_rate=0.01), loss,
                  metrics=list(metrics))
    return model


# ----------------------------------------------------------------------- learning
def test_mlp_learns(rng):
    x, y = classification_data(rng)
    model = small_mlp()
    initial = model.evaluate(x, y, verbose=0)[0]
    hist = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.3 * initial
    assert hist.history["accuracy"][-1] > 0.9
    final_loss, final_acc = model.evaluate(x, y, verbose=0)
    assert final_loss < 0.3 * initial and final_acc > 0.9


def test_fit_default_arguments_are_keras_defaults(rng, capsys):
    """batch_size=32, epochs=1, verbose=1, shuffle=True: one epoch of 8 steps, a bar."""
    x, y = classification_data(rng)
    hist = small_mlp().fit(x, y)
    assert hist.params == {"epochs": 1, "steps": 8, "verbose": 1}
    out = capsys.readouterr().out
    assert "Epoch" not in out and "8/8 [" in out


# ----------------------------------------------------------------------- data splitting
def test_validation_split_takes_the_last_fraction_before_shuffling():
    log = []
    model = id_model(log)
    x, y = id_data(10)
    model.fit(x, y, batch_size=4, epochs=3, validation_split=0.2, shuffle=True, verbose=0)
    train = [ids for kind, ids in log if kind == "train"]
    test = [ids for kind, ids in log if kind == "test"]
    assert len(train) == 3 * 2 and [len(b) for b in train[:2]] == [4, 4]
    for epoch in range(3):
        assert sorted(sum(train[2 * epoch:2 * epoch + 2], [])) == list(range(8))
    assert test == [[8, 9]] * 3  # the last 20 %, in order, every epoch


def test_validation_split_val_loss_equals_evaluate_on_tail(rng):
    x, y = classification_data(rng, n=50)
    model = small_mlp(optimizer=optimizers.SGD(learning_rate=0.0))
    hist = model.fit(x, y, batch_size=8, epochs=1, validation_split=0.2, verbose=0)
    tail = model.evaluate(x[40:], y[40:], verbose=0)
    head = model.evaluate(x[:40], y[:40], verbose=0)
    assert hist.history["val_loss"][0] == pytest.approx(tail[0], rel=1e-6)
    assert hist.history["val_accuracy"][0] == pytest.approx(tail[1], rel=1e-6)
    assert hist.history["loss"][0] == pytest.approx(head[0], rel=1e-6)


def test_validation_split_floor_index():
    log = []
    x, y = id_data(7)
    id_model(log).fit(x, y, batch_size=10, validation_split=0.3, shuffle=False, verbose=0)
    # split at floor(7 * 0.7) = 4
    assert log == [("train", [0, 1, 2, 3]), ("test", [4, 5, 6])]


def test_shuffle_reshuffles_every_epoch_and_never_validation():
    gkeras.utils.set_random_seed(3)
    log = []
    x, y = id_data(25)
    id_model(log).fit(x, y, batch_size=5, epochs=4, validation_split=0.2, verbose=0)
    orders, current = [], []
    for kind, ids in log:
        if kind == "train":
            current += ids
        else:
            assert ids == [20, 21, 22, 23, 24]
            orders.append(current)
            current = []
    assert len(orders) == 4
    assert all(sorted(order) == list(range(20)) for order in orders)
    assert len({tuple(order) for order in orders}) == 4  # a new order every epoch
    assert all(order != list(range(20)) for order in orders)


def test_shuffle_false_keeps_order():
    log = []
    x, y = id_data(6)
    id_model(log).fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert log == [("train", [0, 1, 2, 3]), ("train", [4, 5])] * 2


def test_validation_data_and_validation_freq():
    log = []
    x, y = id_data(6)
    xv, yv = id_data(3)
    xv[:, 0] += 100
    hist = id_model(log).fit(x, y, batch_size=6, epochs=4, validation_data=(xv, yv),
                             validation_freq=2, verbose=0)
    assert [ids for kind, ids in log if kind == "test"] == [[100, 101, 102]] * 2
    assert len(hist.history["loss"]) == 4 and len(hist.history["val_loss"]) == 2


# ----------------------------------------------------------------------- history
def test_history_keys_and_values(rng):
    x, y = classification_data(rng, n=40)
    model = small_mlp(metrics=("mae", "accuracy"))
    hist = model.fit(x, y, batch_size=40, epochs=2, validation_split=0.25, shuffle=False,
                     verbose=0)
    assert list(hist.history) == ["loss", "mae", "accuracy", "val_loss", "val_mae",
                                  "val_accuracy"]
    assert hist.epoch == [0, 1]
    assert all(isinstance(v, float) for vs in hist.history.values() for v in vs)
    # one batch per epoch: the epoch-1 metrics are those of the weights after epoch 0
    pred = model.predict(x[30:], verbose=0)
    acc = numpy.mean(pred.argmax(1) == y[30:].argmax(1))
    assert hist.history["val_accuracy"][-1] == pytest.approx(acc)
    assert hist.history["val_mae"][-1] == pytest.approx(numpy.abs(pred - y[30:]).mean(),
                                                        rel=1e-5)


@pytest.mark.parametrize("name", ["acc", "accuracy", "categorical_accuracy"])
def test_history_key_is_the_metric_name_given(rng, name):
    x, y = classification_data(rng, n=20)
    hist = small_mlp(metrics=(name,)).fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    assert list(hist.history) == ["loss", name, "val_loss", "val_" + name]


def test_accuracy_variant_follows_targets(rng):
    x = rng.normal(size=(30, 4)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64")
    binary = gkeras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    binary.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    _, acc = binary.evaluate(x, labels[:, None].astype("float32"), verbose=0)
    p = binary.predict(x, verbose=0)[:, 0]
    assert acc == pytest.approx(numpy.mean((p > 0.5) == labels))
    sparse = small_mlp(loss="sparse_categorical_crossentropy")
    _, acc = sparse.evaluate(x, labels, verbose=0)
    p = sparse.predict(x, verbose=0)
    assert acc == pytest.approx(numpy.mean(p.argmax(1) == labels))


# ----------------------------------------------------------------------- verbosity
BAR = re.compile(r"^(\d+)/(\d+) \[([=>.]{30})\]")
METRIC = r" - [a-z_]+: (?:\d+\.\d{4}|\d\.\d{4}e[+-]\d\d)"


def writes(out):
    """Splits progress-bar output into its writes: '\\b'* + '\\r' + text."""
    parts = re.split(r"\x08*\r", out)
    return parts[0], parts[1:]


def test_verbose1_progress_bar_format(rng, capsys):
    x, y = classification_data(rng, n=10)
    model = small_mlp()
    model.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, shuffle=False, verbose=1)
    out = capsys.readouterr().out
    epochs = out.split("Epoch ")
    assert epochs[0] == ""
    for i, chunk in enumerate(epochs[1:]):
        head, updates = writes(chunk)
        assert head == "%d/2\n" % (i + 1)
        first, last = updates[0], updates[-1]
        assert re.fullmatch(r"1/2 \[={14}>\.{15}\] - ETA: \d+s" + METRIC * 2, first)
        assert re.fullmatch(r"2/2 \[={30}\] - \d+s \d+(?:s|ms|us)/step" + METRIC * 4 + r"\n",
                            last)
        assert " - loss: " in first and " - accuracy: " in first
        assert last.index("loss") < last.index("accuracy") < last.index("val_loss") < \
            last.index("val_accuracy")
        # every write after the first erases the previous one with backspaces
        assert chunk.count("\r") == len(updates)
    assert out.endswith("\n") and out.count("\n") == 4


def test_verbose1_zero_prints_in_e_notation(capsys):
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,), kernel_initializer="zeros")])
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(numpy.ones((3, 2), "float32"), numpy.zeros((3, 1), "float32"), verbose=1)
    out = capsys.readouterr().out
    assert out.rstrip("\n").endswith(" - loss: 0.0000e+00 - mae: 0.0000e+00")


def test_verbose1_single_epoch_has_no_epoch_line(rng, capsys):
    x, y = classification_data(rng, n=10)
    small_mlp().fit(x, y, batch_size=4, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out
    head, updates = writes(out)
    assert head == ""
    assert BAR.match(updates[0]).groups()[:2] == ("1", "3")
    assert re.fullmatch(r"3/3 \[={30}\] - \d+s \d+(?:s|ms|us)/step" + METRIC * 2 + r"\n",
                        updates[-1])


def test_verbose2_line_format(rng, capsys):
    x, y = classification_data(rng, n=10)
    small_mlp().fit(x, y, batch_size=4, epochs=2, validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == ""
    for line in (lines[1], lines[3]):
        assert re.fullmatch(r"2/2 - \d+s" + METRIC * 4 + r" - \d+(?:s|ms|us)/epoch"
                            r" - \d+(?:s|ms|us)/step", line), line
        assert "\r" not in line and "\x08" not in line


def test_verbose0_prints_nothing(rng, capsys):
    x, y = classification_data(rng, n=10)
    model = small_mlp()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_verbose_formats(rng, capsys):
    x, y = classification_data(rng, n=10)
    model = small_mlp()
    model.evaluate(x, y, batch_size=4, verbose=1)
    _, updates = writes(capsys.readouterr().out)
    assert re.fullmatch(r"3/3 \[={30}\] - \d+s \d+(?:s|ms|us)/step" + METRIC * 2 + r"\n",
                        updates[-1])
    model.evaluate(x, y, batch_size=4, verbose=2)
    assert re.fullmatch(r"3/3 - \d+s" + METRIC * 2 + r" - \d+(?:s|ms|us)/epoch - "
                        r"\d+(?:s|ms|us)/step\n", capsys.readouterr().out)
    model.predict(x, batch_size=4, verbose=1)
    _, updates = writes(capsys.readouterr().out)
    assert re.fullmatch(r"1/3 \[={9}>\.{20}\] - ETA: \d+s", updates[0])
    assert re.fullmatch(r"3/3 \[={30}\] - \d+s \d+(?:s|ms|us)/step\n", updates[-1])
    model.predict(x, batch_size=4, verbose=2)
    assert re.fullmatch(r"3/3 - \d+s - \d+(?:s|ms|us)/epoch - \d+(?:s|ms|us)/step\n",
                        capsys.readouterr().out)


# ----------------------------------------------------------------------- epochs and steps
def test_initial_epoch(rng, capsys):
    x, y = classification_data(rng, n=10)
    hist = small_mlp().fit(x, y, epochs=5, initial_epoch=3, verbose=2)
    assert hist.epoch == [3, 4] and len(hist.history["loss"]) == 2
    out = capsys.readouterr().out
    assert re.findall(r"Epoch \d/\d", out) == ["Epoch 4/5", "Epoch 5/5"]


def test_steps_per_epoch_on_arrays():
    log = []
    x, y = id_data(10)
    hist = id_model(log).fit(x, y, batch_size=2, epochs=2, steps_per_epoch=3, shuffle=False,
                             verbose=0)
    assert hist.params["steps"] == 3
    assert [len(ids) for _, ids in log] == [2] * 6
    assert log[:3] == [("train", [0, 1]), ("train", [2, 3]), ("train", [4, 5])]


def test_one_update_per_batch():
    model = small_mlp(optimizer=optimizers.SGD(learning_rate=0.01))
    x, y = classification_data(numpy.random.default_rng(0), n=10)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2 * 3


# ----------------------------------------------------------------------- callbacks
class HookLog(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def _rec(name):
        def hook(self, *args):
            self.calls.append((name,) + tuple(a for a in args if isinstance(a, int)))
        return hook

    for _name in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
                  "on_train_batch_begin", "on_train_batch_end", "on_test_begin",
                  "on_test_end", "on_test_batch_begin", "on_test_batch_end",
                  "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
                  "on_predict_batch_end"):
        locals()[_name] = _rec(_name)
    del _name, _rec


def test_callback_hook_order(rng):
    x, y = classification_data(rng, n=6)
    model = small_mlp()
    cb = HookLog()
    model.fit(x, y, batch_size=3, epochs=2, validation_split=1 / 3, shuffle=False, verbose=0,
              callbacks=[cb])
    epoch = lambda e: [("on_epoch_begin", e),  # noqa: E731
                       ("on_train_batch_begin", 0), ("on_train_batch_end", 0),
                       ("on_train_batch_begin", 1), ("on_train_batch_end", 1),
                       ("on_test_begin",), ("on_test_batch_begin", 0),
                       ("on_test_batch_end", 0), ("on_test_end",), ("on_epoch_end", e)]
    assert cb.calls == [("on_train_begin",)] + epoch(0) + epoch(1) + [("on_train_end",)]
    assert cb.model is model and cb.params["epochs"] == 2 and cb.params["steps"] == 2
    cb.calls = []
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[cb])
    assert cb.calls == [("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
                        ("on_test_batch_begin", 1), ("on_test_batch_end", 1), ("on_test_end",)]
    cb.calls = []
    model.predict(x, batch_size=6, verbose=0, callbacks=[cb])
    assert cb.calls == [("on_predict_begin",), ("on_predict_batch_begin", 0),
                        ("on_predict_batch_end", 0), ("on_predict_end",)]


def test_epoch_end_logs_and_legacy_batch_hooks(rng):
    x, y = classification_data(rng, n=8)
    seen = []

    class Legacy(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(("batch", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", epoch, sorted(logs)))

    small_mlp().fit(x, y, batch_size=4, epochs=1, validation_split=0.5, verbose=0,
                    callbacks=[Legacy()])
    assert seen == [("batch", 0, ["accuracy", "loss"]),
                    ("epoch", 0, ["accuracy", "loss", "val_accuracy", "val_loss"])]


def test_lambda_callback(rng):
    x, y = classification_data(rng, n=8)
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("begin"),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch", epoch)),
        on_batch_end=lambda batch, logs: events.append(("batch", batch, round(logs["loss"], 6))),
        on_epoch_end=lambda epoch, logs: events.append(("end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append("done"))
    small_mlp().fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[cb])
    assert events[0] == "begin" and events[-1] == "done"
    assert [e[:2] for e in events[1:-1]] == [("epoch", 0), ("batch", 0), ("end", 0),
                                             ("epoch", 1), ("batch", 0), ("end", 1)]
    assert events[3][2] == ["accuracy", "loss"]


def test_stop_training_from_callback(rng):
    x, y = classification_data(rng, n=8)

    class StopAt(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    hist = small_mlp().fit(x, y, epochs=10, verbose=0, callbacks=[StopAt()])
    assert hist.epoch == [0, 1]


def test_terminate_on_nan(rng, capsys):
    x, y = classification_data(rng, n=12)
    y = y.copy()
    y[5, 0] = numpy.nan  # second batch
    cb = HookLog()
    hist = small_mlp().fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                           callbacks=[callbacks.TerminateOnNaN(), cb])
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    assert [c for c in cb.calls if c[0] == "on_train_batch_end"] == [
        ("on_train_batch_end", 0), ("on_train_batch_end", 1)]
    assert hist.epoch == [0] and numpy.isnan(hist.history["loss"][0])


def test_callbacks_must_be_callbacks(rng):
    x, y = classification_data(rng, n=4)
    with pytest.raises(TypeError, match="Callback"):
        small_mlp().fit(x, y, verbose=0, callbacks=[lambda: None])


# ----------------------------------------------------------------------- generators
def test_fit_on_generator_matches_arrays(rng):
    x, y = classification_data(rng, n=12)

    def batches():
        while True:
            for i in range(0, 12, 4):
                yield x[i:i + 4], y[i:i + 4]

    gkeras.utils.set_random_seed(0)
    a = small_mlp(optimizer=optimizers.SGD(learning_rate=0.1))
    gkeras.utils.set_random_seed(0)
    b = small_mlp(optimizer=optimizers.SGD(learning_rate=0.1))
    b.set_weights(a.get_weights())
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert hb.params["steps"] == 3
    for k in ha.history:
        numpy.testing.assert_allclose(hb.history[k], ha.history[k], rtol=1e-6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        numpy.testing.assert_allclose(wa, wb, rtol=1e-6)
    assert b.evaluate(batches(), steps=3, verbose=0) == pytest.approx(
        a.evaluate(x, y, batch_size=4, verbose=0))
    numpy.testing.assert_allclose(b.predict((xb for xb, _ in batches()), steps=3, verbose=0),
                                  a.predict(x, verbose=0), rtol=1e-6, atol=1e-7)


class Batches(Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0
        self.requested = []

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        self.requested.append(i)
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_fit_on_sequence(rng):
    x, y = classification_data(rng, n=10)
    seq = Batches(x, y, 4)
    model = small_mlp(optimizer=optimizers.SGD(learning_rate=0.1))
    twin = small_mlp(optimizer=optimizers.SGD(learning_rate=0.1))
    twin.set_weights(model.get_weights())
    hist = model.fit(seq, epochs=2, shuffle=False, verbose=0, validation_data=Batches(x, y, 5))
    assert hist.params["steps"] == 3 and seq.epochs_ended == 2
    assert seq.requested == [0, 1, 2, 0, 1, 2]
    twin_hist = twin.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                         validation_data=(x, y))
    for k in twin_hist.history:
        numpy.testing.assert_allclose(hist.history[k], twin_hist.history[k], rtol=1e-6)
    assert model.evaluate(seq, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    assert model.predict(seq, verbose=0).shape == (10, 3)


def test_sequence_shuffle_changes_batch_order(rng):
    gkeras.utils.set_random_seed(5)
    x, y = classification_data(rng, n=40)
    seq = Batches(x, y, 4)
    small_mlp().fit(seq, epochs=3, verbose=0)  # shuffle=True by default
    orders = [seq.requested[i:i + 10] for i in range(0, 30, 10)]
    assert all(sorted(o) == list(range(10)) for o in orders)
    assert any(o != list(range(10)) for o in orders)


def test_legacy_generator_methods(rng):
    x, y = classification_data(rng, n=8)
    seq = Batches(x, y, 4)
    model = small_mlp()
    hist = model.fit_generator(seq, epochs=1, verbose=0)
    assert len(hist.history["loss"]) == 1
    assert model.evaluate_generator(seq) == pytest.approx(model.evaluate(x, y, verbose=0))
    numpy.testing.assert_allclose(model.predict_generator(seq), model.predict(x, verbose=0),
                                  rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------- batching
def test_evaluate_partial_last_batch_is_sample_weighted(rng):
    x, y = classification_data(rng, n=10)
    model = small_mlp()
    pred = model.predict(x, verbose=0)
    per_sample = -numpy.log(numpy.sum(pred * y, axis=1).astype("float64"))
    loss, acc = model.evaluate(x, y, batch_size=4, verbose=0)
    assert loss == pytest.approx(per_sample.mean(), rel=1e-5)
    assert acc == pytest.approx(numpy.mean(pred.argmax(1) == y.argmax(1)))


def test_predict_batches_and_concatenates(rng):
    x, y = classification_data(rng, n=10)
    model = small_mlp()
    cb = HookLog()
    out = model.predict(x, batch_size=3, verbose=0, callbacks=[cb])
    assert [c for c in cb.calls if c[0] == "on_predict_batch_end"] == [
        ("on_predict_batch_end", i) for i in range(4)]
    numpy.testing.assert_allclose(out, model.predict(x, batch_size=10, verbose=0), rtol=1e-6,
                                  atol=1e-7)
    numpy.testing.assert_allclose(out, model.predict_on_batch(x), rtol=1e-6, atol=1e-7)
    assert model.predict(x, steps=2, batch_size=3, verbose=0).shape == (6, 3)


def test_predict_multi_output_returns_list(rng):
    x = gkeras.Input((4,))
    h = layers.Dense(3)(x)
    model = gkeras.Model(x, [layers.Dense(1)(h), layers.Dense(2)(h)])
    out = model.predict(rng.normal(size=(7, 4)).astype("float32"), batch_size=3, verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(7, 1), (7, 2)]


def test_train_on_batch_single_output_without_metrics_returns_float(rng):
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    loss = model.train_on_batch(numpy.ones((3, 2), "float32"), numpy.zeros((3, 1), "float32"))
    assert isinstance(loss, float)
    assert model.metrics_names == ["loss"]


def test_targets_one_rank_short_are_expanded():
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x = numpy.ones((4, 2), "float32")
    assert model.evaluate(x, numpy.zeros(4, "float32"), verbose=0) == pytest.approx(
        model.evaluate(x, numpy.zeros((4, 1), "float32"), verbose=0))


def test_recompile_after_trainable_change_freezes(rng):
    model = gkeras.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.layers[0].trainable = False
    x = rng.normal(size=(8, 2)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    before = model.layers[0].get_weights()
    model.fit(x, y, verbose=0)  # not recompiled: the first layer still trains
    assert not numpy.array_equal(before[0], model.layers[0].get_weights()[0])
    model.compile("sgd", "mse")
    frozen = model.layers[0].get_weights()
    model.fit(x, y, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        numpy.testing.assert_array_equal(a, b)


class WithUnusedWeight(Layer):
    """Identity with a trainable weight the loss never depends on."""

    def build(self, input_shape):
        self.unused = self.add_weight("unused", (3,), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        return inputs


def test_weights_the_loss_does_not_depend_on_are_skipped_with_tf_keras_warning(rng):
    # tf-keras 2.21: the variable keeps its value even with weight decay (its gradient
    # is None and the optimizer filters it out), its slots still exist, and it warns
    model = gkeras.Sequential([layers.Dense(4, input_shape=(5,)), WithUnusedWeight(),
                               layers.Dense(2)])
    model.compile(optimizer=optimizers.Adam(0.05, weight_decay=0.1), loss="mse")
    x, y = rng.random((8, 5)).astype("float32"), rng.random((8, 2)).astype("float32")
    kernel = model.layers[0].get_weights()[0]
    with pytest.warns(UserWarning, match=re.escape(
            "Gradients do not exist for variables ['with_unused_weight/unused:0'] when "
            "minimizing the loss. If you're using `model.compile()`, did you forget to "
            "provide a `loss` argument?")):
        model.fit(x, y, epochs=2, verbose=0)
    numpy.testing.assert_array_equal(model.layers[1].get_weights()[0], numpy.ones(3))
    assert not numpy.array_equal(model.layers[0].get_weights()[0], kernel)
    assert len(model.optimizer.weights) == 1 + 2 * 5  # iterations; m and v of each weight
    # no weight at all has a gradient: tf-keras's error
    frozen = gkeras.Sequential([WithUnusedWeight(input_shape=(3,))])
    frozen.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="no gradients provided for any variable"):
        frozen.train_on_batch(numpy.ones((2, 3)), numpy.ones((2, 3)))
