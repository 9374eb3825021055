"""Progbar bytes as tf-keras 2.21 writes them (docs/keras_reference.md section 1).

A fake clock makes the timings deterministic, so whole outputs can be compared exactly.
"""
import numpy
import pytest

import gkeras
from gkeras import callbacks, layers
from gkeras.utils import Progbar
from gkeras.utils import progbar as progbar_module


class FakeClock:
    def __init__(self, t=1000.0):
        self.t = t

    def time(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module.time, "time", fake.time)
    return fake


def bs(n):
    return "\b" * n


def test_predict_ten_steps_exact_bytes(clock, capsys):
    """docs 1.7: predict(batch_size=1) over 10 samples, ~63 ms per batch."""
    model = gkeras.Sequential([layers.Dense(2, input_shape=(3,))])

    class Tick(callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            clock.t += 0.15 if batch == 0 else 0.063

    model.predict(numpy.zeros((10, 3), "float32"), batch_size=1, verbose=1, callbacks=[Tick()])
    expected = "\r 1/10 [==>...........................] - ETA: 1s"
    for i in range(2, 11):
        done = int(30 * i / 10)
        bar = "=" * (done - 1) + (">" if i < 10 else "=") + "." * (30 - done)
        expected += bs(48) + "\r%2d/10 [%s] - ETA: 0s" % (i, bar)
    expected += bs(48) + "\r10/10 [==============================] - 1s 63ms/step\n"
    assert capsys.readouterr().out == expected


def test_fast_updates_are_throttled(clock, capsys):
    bar = Progbar(3)
    bar.update(1, [("loss", 1.5)], finalize=False)
    clock.t += 0.01
    bar.update(2, [("loss", 1.0)], finalize=False)  # < 0.05 s later: not drawn
    clock.t += 0.01
    bar.update(3, [("loss", 0.5)], finalize=True)
    out = capsys.readouterr().out
    first = "\r1/3 [=========>....................] - ETA: 0s - loss: 1.5000"
    assert out.startswith(first + bs(len(first) - 1) + "\r3/3 [")
    # non-stateful values are averaged over the steps seen: (1.5 + 1.0 + 0.5) / 3
    assert out.endswith("] - 0s 10ms/step - loss: 1.0000\n")


def test_stateful_metrics_shown_as_given_and_e_notation(clock, capsys):
    bar = Progbar(2, stateful_metrics=["loss", "accuracy"])
    bar.update(1, [("loss", 3.6038e-05), ("accuracy", 0.25)])
    clock.t += 1.5
    bar.update(2, [("loss", 3.5438e-05), ("accuracy", 0.0)], finalize=True)
    out = capsys.readouterr().out
    assert out.endswith("\r2/2 [==============================] - 2s 2s/step - loss: 3.5438e-05"
                        " - accuracy: 0.0000e+00\n")


def test_shorter_line_is_padded(clock, capsys):
    bar = Progbar(2, stateful_metrics=["accuracy"])
    bar.update(1, [("accuracy", 0.0)])
    clock.t += 0.3
    bar.update(2, [("accuracy", 0.125)], finalize=False)
    out = capsys.readouterr().out
    first = "\r1/2 [==============>...............] - ETA: 0s - accuracy: 0.0000e+00"
    second = "\r2/2 [==============================] - ETA: 0s - accuracy: 0.1250    "
    assert out == first + bs(len(first) - 1) + second


def test_long_eta_formats(clock, capsys):
    bar = Progbar(1000)
    clock.t += 10
    bar.update(1)
    assert capsys.readouterr().out.endswith("- ETA: 2:46:30")
    bar2 = Progbar(100)
    clock.t += 1
    bar2.update(1)
    assert capsys.readouterr().out.endswith("- ETA: 1:39")


def test_verbose2_line(clock, capsys):
    bar = Progbar(3, verbose=2, stateful_metrics=["loss", "score"])
    bar.update(1, [("loss", 1.0), ("score", -0.5)])
    clock.t += 0.264
    bar.update(3, [("loss", 1.1715), ("score", -0.5)], finalize=True)
    # verbose=2 uses `v > 1e-3` (not abs): negative values print in e-notation
    assert capsys.readouterr().out == ("3/3 - 0s - loss: 1.1715 - score: -5.0000e-01 - "
                                       "264ms/epoch - 88ms/step\n")


def test_verbose0_silent(clock, capsys):
    bar = Progbar(2, verbose=0)
    bar.update(1)
    bar.update(2)
    assert capsys.readouterr().out == ""


def test_unknown_target(clock, capsys):
    bar = Progbar(None)
    bar.update(5)
    assert capsys.readouterr().out == "\r      5/Unknown - 0s 0s/step"


def test_fit_epoch_bytes(clock, capsys):
    """docs 1.2: fit(batch_size=4, epochs=2, validation_split=0.2) writes per epoch:
    'Epoch e/2\\n', the batch-1 bar, 80 backspaces, the final line with val_ metrics."""
    model = gkeras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])

    class Tick(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            clock.t += 0.02

    x = numpy.ones((10, 4), "float32")
    y = numpy.eye(3, dtype="float32")[numpy.arange(10) % 3]
    hist = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, shuffle=False,
                     verbose=1, callbacks=[Tick()])
    out = capsys.readouterr().out
    h = hist.history

    def fmt(v):
        return "%.4f" % v if abs(v) > 1e-3 else "%.4e" % v

    expected = ""
    for e in range(2):
        expected += "Epoch %d/2\n" % (e + 1)
        first = "\r1/2 [==============>...............] - ETA: 0s - loss: "
        # the in-epoch update shows the running (batch-1) values; read them back
        start = out.index(first, out.index("Epoch %d/2" % (e + 1)))
        line1 = out[start:out.index("\b", start)]
        expected += line1 + bs(len(line1) - 1)
        expected += ("\r2/2 [==============================] - 0s 20ms/step - loss: %s - "
                     "accuracy: %s - val_loss: %s - val_accuracy: %s\n"
                     % (fmt(h["loss"][e]), fmt(h["accuracy"][e]), fmt(h["val_loss"][e]),
                        fmt(h["val_accuracy"][e])))
        assert len(line1) - 1 == 80
    assert out == expected
