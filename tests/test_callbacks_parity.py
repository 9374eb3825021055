"""Callback parity with tf-keras 2.21: EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler, CSVLogger, ModelCheckpoint names, hook order and warnings.

Ground truth: tests/reference/parity_reference.npz ('cb.*') and parity_reference.json
(["callbacks"]), made by tests/reference/make_reference_parity.py (section 5). Every fit
here repeats the reference's: a linear Dense model with explicitly set weights, mse,
SGD, shuffle=False.
"""
import os
import warnings

import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import callbacks, layers, optimizers
from reference._refutil import load_reference

RTOL = 1e-5
ATOL = 1e-6


def npz(key):
    return load_reference("parity_reference")[0][key]


def cj(key):
    return load_reference("parity_reference")[1]["callbacks"][key]


def weights(prefix):
    return [npz("%s.%d" % (prefix, i)) for i in range(2)]


def lin_model(w, units, in_dim, lr, metrics=None):
    """make_reference_parity.py's lin_model."""
    K.clear_session()
    m = gkeras.Sequential([layers.Dense(units, input_shape=(in_dim,))])
    m.set_weights(w)
    m.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse", metrics=metrics)
    return m


def es_data():
    return npz("cb.es.x"), npz("cb.es.y"), npz("cb.es.xv"), npz("cb.es.yv")


def assert_history(got, want, rtol=RTOL, atol=ATOL):
    assert list(got) == list(want)
    for k in want:
        numpy.testing.assert_allclose(numpy.asarray(got[k], "float64"), want[k],
                                      rtol=rtol, atol=atol, err_msg=k)


class EpochWeights(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ws = []

    def on_epoch_end(self, epoch, logs=None):
        self.ws.append(self.model.get_weights())


# ----------------------------------------------------------------- EarlyStopping
ES_CASES = {
    # case: (yv key, epochs)
    "overshoot": ("cb.es.yv", 20),
    "min_delta": ("cb.es.yv_same", 20),
    "no_stop_restore": ("cb.es.yv", 6),
}


@pytest.mark.parametrize("case", sorted(ES_CASES))
def test_early_stopping_matches_tf_keras(case):
    want = cj("early_stopping_" + case)
    x, y, xv, _ = es_data()
    yval = npz(ES_CASES[case][0])
    assert want["epochs_requested"] == ES_CASES[case][1]
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    ew = EpochWeights()
    es = callbacks.EarlyStopping(**want["kwargs"])
    h = m.fit(x, y, batch_size=8, epochs=want["epochs_requested"], shuffle=False, verbose=0,
              validation_data=(xv, yval), callbacks=[ew, es])
    assert len(h.history["loss"]) == want["epochs_run"]
    assert h.epoch == list(range(want["epochs_run"]))
    assert es.stopped_epoch == want["stopped_epoch"]
    assert es.best_epoch == want["best_epoch"]
    assert es.wait == want["wait"]
    assert es.best == pytest.approx(want["best"], rel=RTOL)
    assert_history(h.history, want["history"])
    for i in range(2):
        numpy.testing.assert_allclose(numpy.stack([w[i] for w in ew.ws]),
                                      npz("cb.es_%s.w_epoch.%d" % (case, i)),
                                      rtol=RTOL, atol=ATOL)
    final = m.get_weights()
    for i in range(2):
        numpy.testing.assert_allclose(final[i], npz("cb.es_%s.w_final.%d" % (case, i)),
                                      rtol=RTOL, atol=ATOL)
    # the restored weights are exactly those at the end of the best epoch(s)
    match = [e for e in range(len(ew.ws))
             if all(numpy.array_equal(a, b) for a, b in zip(ew.ws[e], final))]
    assert match == want["final_weights_equal_epoch_end_weights_of_epochs"]


def test_early_stopping_unknown_monitor_warns_like_keras():
    want = cj("warnings")["early_stopping_unknown_monitor"]
    x, y, xv, yv = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        h = m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                  validation_data=(xv, yv),
                  callbacks=[callbacks.EarlyStopping(monitor="val_los", patience=1)])
    texts = ["WARNING: " + str(w.message) for w in rec]
    assert texts == want["captured"]
    assert len(h.history["loss"]) == want["epochs_run"]


def test_reduce_lr_unknown_monitor_warns_like_keras():
    want = cj("warnings")["reduce_lr_unknown_monitor"]
    x, y, xv, yv = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0,
              validation_data=(xv, yv), callbacks=[callbacks.ReduceLROnPlateau(monitor="val_acc")])
    assert ["WARNING: " + str(w.message) for w in rec] == want["captured"]


# ----------------------------------------------------------------- learning rate
def test_reduce_lr_on_plateau_matches_tf_keras():
    want = cj("reduce_lr_on_plateau")
    m = lin_model(weights("cb.rlr.w0"), 1, 2, want["initial_lr"])
    rl = callbacks.ReduceLROnPlateau(**want["kwargs"])
    h = m.fit(npz("cb.rlr.x"), npz("cb.rlr.y"), batch_size=4, epochs=20, shuffle=False,
              verbose=0, callbacks=[rl])
    assert list(h.history) == want["history_keys"]
    # lr values are float32, logged before each epoch's reduction: exact
    assert [float(v) for v in h.history["lr"]] == want["history"]["lr"]
    assert all(isinstance(v, numpy.float32) for v in h.history["lr"])
    numpy.testing.assert_allclose(h.history["loss"], want["history"]["loss"], rtol=1e-4)
    assert float(K.get_value(m.optimizer.learning_rate)) == want["final_lr"]
    for got, ref in zip(m.get_weights(), weights("cb.rlr.w_final")):
        numpy.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6)


def test_learning_rate_scheduler_matches_tf_keras():
    want = cj("lr_scheduler")
    x, y, _, _ = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    h = m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch)])
    assert list(h.history) == want["history_keys"]
    assert [float(v) for v in h.history["lr"]] == want["history"]["lr"]
    numpy.testing.assert_allclose(h.history["loss"], want["history"]["loss"], rtol=RTOL)
    for got, ref in zip(m.get_weights(), weights("cb.lrs.w_final")):
        numpy.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL)


def test_learning_rate_scheduler_two_argument_schedule_matches_one_argument():
    x, y, _, _ = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    seen = []

    def schedule(epoch, lr):
        seen.append(lr)
        return lr * 0.5 if epoch else lr

    h = m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(schedule)])
    assert [float(v) for v in h.history["lr"]] == cj("lr_scheduler")["history"]["lr"]
    assert seen == pytest.approx([0.1, 0.1, 0.05])
    assert all(type(v) is float for v in seen)
    for got, ref in zip(m.get_weights(), weights("cb.lrs.w_final")):
        numpy.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------- CSVLogger
def test_csv_logger_matches_tf_keras(tmp_path):
    want = cj("csv")
    x, y, xv, yv = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1, metrics=["mae"])
    path = tmp_path / "log.csv"
    h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
              validation_data=(xv, yv), callbacks=[callbacks.CSVLogger(str(path))])
    assert_history(h.history, want["history"])
    text = path.read_bytes().decode("utf-8")
    want_lines = want["text"].split("\r\n")
    got_lines = text.split("\r\n")
    assert got_lines[0] == want_lines[0] == "epoch,loss,mae,val_loss,val_mae"
    assert len(got_lines) == len(want_lines) == 4 and got_lines[-1] == ""
    assert "\n" not in text.replace("\r\n", "")
    for g, w in zip(got_lines[1:3], want_lines[1:3]):
        gv, wv = g.split(","), w.split(",")
        assert gv[0] == wv[0]
        numpy.testing.assert_allclose([float(v) for v in gv[1:]], [float(v) for v in wv[1:]],
                                      rtol=RTOL)
        # floats are written with repr (Python float of the float32 value)
        for v in gv[1:]:
            assert v == repr(float(numpy.float32(float(v))))


def test_csv_logger_text_is_byte_identical_for_the_same_logs(tmp_path):
    """Fed tf-keras's own logs, CSVLogger writes tf-keras's file byte for byte."""
    want = cj("csv")
    hist = want["history"]
    path = tmp_path / "log.csv"
    cb = callbacks.CSVLogger(str(path))
    cb.on_train_begin({})
    for e in range(2):
        # fit's log order: loss, metrics, then val_ versions (the file sorts them)
        cb.on_epoch_end(e, {k: hist[k][e] for k in ("loss", "mae", "val_loss", "val_mae")})
    cb.on_train_end({})
    assert path.read_bytes() == want["text"].encode("utf-8")


# ----------------------------------------------------------------- hook order
class HookTrace(callbacks.Callback):
    """make_reference_parity.py's HookTrace: records every hook, never calls super."""

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


class LegacyBatchHooks(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.trace = []

    def on_batch_begin(self, batch, logs=None):
        self.trace.append(["on_batch_begin", batch])

    def on_batch_end(self, batch, logs=None):
        self.trace.append(["on_batch_end", batch])


def test_hook_order_matches_tf_keras():
    want = cj("hooks")
    x, y, xv, yv = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    tr, lg = HookTrace(), LegacyBatchHooks()
    m.fit(x[:4], y[:4], batch_size=2, epochs=2, shuffle=False, verbose=0,
          validation_data=(xv[:2], yv[:2]), callbacks=[tr, lg])
    assert tr.trace == want["trace"]
    assert lg.trace == want["legacy_on_batch_only_callback"]


def test_hook_order_with_progress_bar_is_the_same(capsys):
    x, y, xv, yv = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    tr = HookTrace()
    m.fit(x[:4], y[:4], batch_size=2, epochs=2, shuffle=False, verbose=2,
          validation_data=(xv[:2], yv[:2]), callbacks=[tr])
    assert tr.trace == cj("hooks")["trace"]
    assert "val_loss" in capsys.readouterr().out


# ----------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_file_names_match_tf_keras(tmp_path):
    want = cj("checkpoint_files")
    x, y, xv, yv = es_data()
    m = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    mc = callbacks.ModelCheckpoint(str(tmp_path / want["filepath"]), **want["kwargs"])
    h = m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
              validation_data=(xv, yv), callbacks=[mc])
    numpy.testing.assert_allclose(h.history["val_loss"], want["val_loss"], rtol=RTOL)
    assert sorted(os.listdir(tmp_path)) == want["files"]
    # the best file holds the epoch-2 weights: reload and compare val_loss
    best = lin_model(weights("cb.es.w0"), 2, 3, 0.1)
    best.load_weights(str(tmp_path / want["files"][-1]))
    assert best.evaluate(xv, yv, verbose=0) == pytest.approx(want["val_loss"][1], rel=RTOL)
