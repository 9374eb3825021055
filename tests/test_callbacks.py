"""Callbacks: the classes on their own and inside fit (tf-keras parity cases are in
tests/test_callbacks_parity.py)."""
import os

import numpy
import pytest

import gkeras
from gkeras import callbacks, layers


def test_base_callback_defaults_and_legacy_batch_aliases():
    seen = []

    class Legacy(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs))

    cb = Legacy()
    cb.on_train_batch_begin(3)
    cb.on_train_batch_end(3, {"loss": 1.0})
    assert seen == [("begin", 3), ("end", 3, {"loss": 1.0})]
    base = callbacks.Callback()
    for hook in ("on_epoch_begin", "on_epoch_end", "on_test_batch_end", "on_predict_batch_end"):
        getattr(base, hook)(0, {})
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_predict_end"):
        getattr(base, hook)({})
    assert base.model is None and base.params == {}


def test_callback_list_passes_logs_and_sets_model_and_params():
    calls = []
    cb = callbacks.LambdaCallback(on_train_begin=lambda logs: calls.append(("tb", logs)),
                                  on_epoch_end=lambda epoch, logs: calls.append((epoch, logs)))
    model = gkeras.Sequential([layers.Dense(1, input_shape=(1,))])
    cbl = callbacks.CallbackList([cb], model=model, params={"epochs": 1})
    cbl.on_train_begin()
    cbl.on_epoch_end(0)
    cbl.on_epoch_end(1, {"loss": 0.5})
    assert calls == [("tb", {}), (0, {}), (1, {"loss": 0.5})]
    assert cb.model is model and cb.params == {"epochs": 1}
    with pytest.raises(TypeError, match="Callback"):
        callbacks.CallbackList(["nope"])
    with pytest.raises(AttributeError):
        _ = cbl.not_a_hook


def test_history_records_epochs():
    history = callbacks.History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 2.0, "accuracy": 0.5})
    history.on_epoch_end(1, {"loss": 1.0, "accuracy": 0.75})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [2.0, 1.0], "accuracy": [0.5, 0.75]}


def test_history_is_returned_and_kept_on_model(rng):
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x = rng.normal(size=(4, 2)).astype("float32")
    hist = model.fit(x, x[:, :1], epochs=3, verbose=0)
    assert isinstance(hist, callbacks.History) and model.history is hist
    assert hist.params == {"epochs": 3, "steps": 1, "verbose": 0}
    assert hist.model is model
    hist2 = model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert hist2 is not hist and len(hist2.history["loss"]) == 1


def test_lambda_callback_hooks_are_optional():
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    cb.on_epoch_begin(0, {})
    cb.on_train_batch_end(0, {})
    extra = []
    cb2 = callbacks.LambdaCallback(on_test_end=lambda logs: extra.append(logs))
    cb2.on_test_end({"loss": 1})
    assert extra == [{"loss": 1}]


def test_terminate_on_nan_unit(capsys):
    model = gkeras.Sequential([layers.Dense(1, input_shape=(1,))])
    cb = callbacks.TerminateOnNaN()
    cb.set_model(model)
    model.stop_training = False
    cb.on_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cb.on_batch_end(4, {"loss": float("inf")})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 4: Invalid loss, terminating training\n"


def test_progbar_logger_validates_count_mode():
    with pytest.raises(ValueError, match="count_mode"):
        callbacks.ProgbarLogger(count_mode="epochs")


def test_progbar_logger_inside_fit_is_last(rng, capsys):
    """tf.keras calls the user's callbacks before the progress bar's epoch-end line."""
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")

    class Say(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print("<end %d>" % epoch)

    model.fit(numpy.ones((2, 2), "float32"), numpy.ones((2, 1), "float32"), epochs=1,
              verbose=1, callbacks=[Say()])
    out = capsys.readouterr().out
    assert out.index("<end 0>") < out.index("/step")  # the final line comes after


# ----------------------------------------------------------------- helpers
def linear_model(lr=0.1):
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,))])
    model.set_weights([numpy.array([[0.5], [-0.25]], "float32"), numpy.zeros(1, "float32")])
    model.compile(gkeras.optimizers.SGD(learning_rate=lr), "mse")
    return model


def linear_data(n=8):
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype("float32")
    y = (x @ numpy.array([[1.0], [2.0]], "float32") + 0.5).astype("float32")
    return x, y


def play(cb, model, values, key="val_loss"):
    """Calls cb's epoch hooks with logs {key: v} like fit would; returns epochs run."""
    cbl = callbacks.CallbackList([cb], model=model, params={"epochs": len(values)})
    model.stop_training = False
    cbl.on_train_begin()
    ran = 0
    for epoch, v in enumerate(values):
        cbl.on_epoch_begin(epoch)
        cbl.on_epoch_end(epoch, {key: v})
        ran += 1
        if model.stop_training:
            break
    cbl.on_train_end()
    return ran


# ----------------------------------------------------------------- CallbackList
def test_callback_list_append_iter_and_none_logs():
    seen = []
    cbl = callbacks.CallbackList()
    cbl.append(callbacks.LambdaCallback(on_train_end=lambda logs: seen.append(logs)))
    assert len(list(cbl)) == 1
    cbl.on_train_end(None)
    assert seen == [{}]
    with pytest.raises(TypeError, match="Callback"):
        cbl.append(object())


def test_callbacks_share_one_logs_dict_so_later_ones_see_added_keys():
    model = linear_model()
    seen = []
    rl = callbacks.ReduceLROnPlateau(monitor="loss")
    after = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(sorted(logs)))
    x, y = linear_data()
    h = model.fit(x, y, epochs=1, verbose=0, callbacks=[rl, after])
    assert seen == [["loss", "lr"]] and list(h.history) == ["loss", "lr"]


def test_tensorboard_explains_it_is_unavailable():
    with pytest.raises(NotImplementedError, match="TensorFlow.*CSVLogger"):
        callbacks.TensorBoard(log_dir="/tmp/x")


# ----------------------------------------------------------------- TerminateOnNaN
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_fit_after_the_bad_batch(capsys):
    model = linear_model(lr=1e30)  # diverges at once: inf, then nan
    x, y = linear_data(8)
    batches = []
    counter = callbacks.LambdaCallback(on_batch_end=lambda b, logs: batches.append(b))
    h = model.fit(x * 1e20, y, batch_size=2, epochs=5, shuffle=False, verbose=0,
                  callbacks=[callbacks.TerminateOnNaN(), counter])
    assert len(h.history["loss"]) == 1  # the epoch ends, no further epochs
    assert not numpy.isfinite(h.history["loss"][0])
    stop = batches[-1]
    assert stop < 3
    assert capsys.readouterr().out == "Batch %d: Invalid loss, terminating training\n" % stop


def test_terminate_on_nan_leaves_finite_training_alone():
    model = linear_model()
    x, y = linear_data()
    h = model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(h.history["loss"]) == 2


# ----------------------------------------------------------------- EarlyStopping
def test_early_stopping_never_stops_after_the_first_epoch():
    model = linear_model()
    es = callbacks.EarlyStopping(monitor="val_loss", patience=0)
    # epoch 0 is an improvement over inf; epoch 1 is not -> stop at 1
    assert play(es, model, [1.0, 2.0, 0.5]) == 2
    assert es.stopped_epoch == 1 and es.best == 1.0 and es.best_epoch == 0


def test_early_stopping_auto_mode_and_min_delta():
    model = linear_model()
    es = callbacks.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.1)
    assert es.monitor_op is numpy.greater and es.min_delta == 0.1
    # 0.55 is not 0.1 better than 0.5: best stays 0.5, wait grows -> stop at epoch 1
    assert play(es, model, [0.5, 0.55, 0.9], key="val_accuracy") == 2
    assert es.best == 0.5
    for monitor in ("val_acc", "auc", "accuracy"):
        assert callbacks.EarlyStopping(monitor=monitor).monitor_op is numpy.greater
    es = callbacks.EarlyStopping(monitor="val_acc", mode="min", min_delta=-0.2)
    assert es.monitor_op is numpy.less and es.min_delta == -0.2
    with pytest.warns(UserWarning, match="EarlyStopping mode sideways is unknown"):
        es = callbacks.EarlyStopping(mode="sideways")
    assert es.monitor_op is numpy.less


def test_early_stopping_baseline_and_start_from_epoch():
    model = linear_model()
    es = callbacks.EarlyStopping(patience=2, baseline=0.1)
    # improvements that do not beat the baseline do not reset `wait` (tf.keras checks for
    # a stop only on epochs without improvement)
    assert play(es, model, [1.0, 0.9, 0.95, 0.7]) == 3
    assert es.best == 0.9 and es.stopped_epoch == 2 and es.wait == 3
    es = callbacks.EarlyStopping(patience=0, start_from_epoch=2)
    assert play(es, model, [1.0, 2.0, 3.0, 4.0, 5.0]) == 4
    assert es.best_epoch == 2 and es.stopped_epoch == 3


def test_early_stopping_is_reusable_and_verbose(capsys):
    model = linear_model()
    es = callbacks.EarlyStopping(patience=1, verbose=1, restore_best_weights=True)
    assert play(es, model, [1.0, 2.0, 3.0]) == 2
    out = capsys.readouterr().out
    assert out == ("Epoch 2: early stopping\n"
                   "Restoring model weights from the end of the best epoch: 1.\n")
    assert play(es, model, [3.0, 2.0, 1.0]) == 3  # state reset by on_train_begin
    assert es.stopped_epoch == 0 and es.best == 1.0 and es.best_epoch == 2


def test_early_stopping_restore_without_improvement_uses_first_epoch_weights():
    x, y = linear_data()
    model = linear_model(lr=0.01)
    snap = []
    es = callbacks.EarlyStopping(monitor="loss", patience=5, mode="max",
                                 restore_best_weights=True)
    keep = callbacks.LambdaCallback(on_epoch_end=lambda e, l: snap.append(model.get_weights()))
    model.fit(x, y, epochs=3, shuffle=False, verbose=0, callbacks=[keep, es])
    # mode='max' on a falling loss: only epoch 0 "improves"
    for a, b in zip(model.get_weights(), snap[0]):
        numpy.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- ReduceLROnPlateau
def test_reduce_lr_arguments():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(DeprecationWarning, match="epsilon"):
        rl = callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert rl.min_delta == 0.5
    with pytest.raises(TypeError, match="nope"):
        callbacks.ReduceLROnPlateau(nope=1)
    with pytest.warns(UserWarning, match="Learning rate reduction mode up is unknown"):
        callbacks.ReduceLROnPlateau(mode="up")
    assert callbacks.ReduceLROnPlateau(monitor="val_acc").monitor_op(0.6, 0.5)
    assert not callbacks.ReduceLROnPlateau(monitor="val_loss").monitor_op(0.6, 0.5)


def test_reduce_lr_cooldown_min_lr_and_verbose(capsys):
    model = linear_model(lr=1.0)
    rl = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2,
                                     min_lr=0.3, verbose=1)
    lrs = []
    track = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: lrs.append(float(logs["lr"])))
    cbl = callbacks.CallbackList([rl, track], model=model)
    cbl.on_train_begin()
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        cbl.on_epoch_end(epoch, {"val_loss": v})
    # epoch 1: wait 1 -> 0.5 (cooldown 2); epoch 2: cooling down (tf.keras counts the
    # cooldown down at the start of each epoch end); epoch 3: -> 0.3 (min_lr); later:
    # lr == min_lr, no more reductions
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.30000001192092896, 0.30000001192092896]
    assert float(K_value(model)) == pytest.approx(0.3)
    out = capsys.readouterr().out
    assert out == ("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n"
                   "\nEpoch 4: ReduceLROnPlateau reducing learning rate to 0.3.\n")


def K_value(model):
    return gkeras.backend.get_value(model.optimizer.learning_rate)


# ----------------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_checks_its_schedule(capsys):
    model = linear_model()
    x, y = linear_data()
    with pytest.raises(TypeError, match="schedule"):
        callbacks.LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match='output of the "schedule" function should be float'):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(lambda e: "0.1")])
    # a TypeError inside a 2-argument schedule is not mistaken for the old API
    def bad(epoch, lr):
        raise TypeError("boom")
    with pytest.raises(TypeError, match="boom"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(bad)])
    h = model.fit(x, y, epochs=2, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(
                      lambda e: numpy.float64(0.25) / (e + 1), verbose=1)])
    assert [float(v) for v in h.history["lr"]] == [0.25, 0.125]
    out = capsys.readouterr().out
    assert "\nEpoch 1: LearningRateScheduler setting learning rate to 0.25.\n" in out
    assert "\nEpoch 2: LearningRateScheduler setting learning rate to 0.125.\n" in out


def test_learning_rate_scheduler_needs_an_optimizer():
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,))])
    cb = callbacks.LearningRateScheduler(lambda e: 0.1)
    cb.set_model(model)
    with pytest.raises(ValueError, match="learning_rate"):
        cb.on_epoch_begin(0, {})


# ----------------------------------------------------------------- CSVLogger
def test_csv_logger_without_validation_adds_val_columns_as_na(tmp_path):
    model = linear_model()
    x, y = linear_data()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[
        callbacks.ReduceLROnPlateau(monitor="loss"), callbacks.CSVLogger(path)])
    lines = path.read_bytes().decode().split("\r\n")
    assert lines[0] == "epoch,loss,lr,val_loss,val_lr"
    assert lines[1].startswith("0,") and lines[1].endswith(",0.1,NA,NA")  # float32 lr: str
    assert lines[3] == "" and len(lines) == 4
    assert os.listdir(tmp_path) == ["log.csv"]  # no temporary files left behind


def test_csv_logger_append_and_separator(tmp_path):
    model = linear_model()
    x, y = linear_data()
    path = str(tmp_path / "log.tsv")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")])
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[callbacks.CSVLogger(path, separator="\t", append=True)])
    lines = open(path, newline="").read().split("\r\n")
    assert lines[0] == "epoch\tloss\tval_loss"
    assert [l.split("\t")[0] for l in lines[1:-1]] == ["0", "0", "1"]
    # append=False replaces the old content
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    assert open(path, newline="").read().count("\r\n") == 2


def test_csv_logger_quotes_iterables_and_reuses_its_columns(tmp_path):
    path = tmp_path / "log.csv"
    cb = callbacks.CSVLogger(str(path))
    cb.on_train_begin({})
    cb.on_epoch_end(0, {"b": [1, 2], "a": numpy.float32(0.5), "val_a": 1.0})
    cb.on_epoch_end(1, {"a": 0.25, "extra": 3})
    cb.on_train_end({})
    assert path.read_bytes() == (b'epoch,a,b,val_a\r\n0,0.5,"""[1, 2]""",1.0\r\n'
                                 b'1,0.25,NA,NA\r\n')


def test_csv_logger_file_is_complete_after_every_epoch(tmp_path):
    path = tmp_path / "log.csv"
    seen = []
    model = linear_model()
    x, y = linear_data()
    peek = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(path.read_bytes()))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.CSVLogger(path), peek])
    assert [s.count(b"\r\n") for s in seen] == [2, 3, 4]


# ----------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_whole_model_needs_model_save(tmp_path):
    model = linear_model()
    x, y = linear_data()
    calls = []
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))
    if not hasattr(model, "save"):
        with pytest.raises(NotImplementedError, match="save_weights_only=True"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    model.save = lambda path, overwrite=True: calls.append((path, overwrite))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert calls == [(str(tmp_path / "m.h5"), True)] * 2


def test_model_checkpoint_every_epoch_and_period(tmp_path):
    model = linear_model()
    x, y = linear_data()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.ModelCheckpoint(
        tmp_path / "a" / "w{epoch}-{loss:.3f}.h5", save_weights_only=True)])
    names = sorted(os.listdir(tmp_path / "a"))  # the directory is created
    assert [n.split("-")[0] for n in names] == ["w1", "w2", "w3"]
    with pytest.warns(DeprecationWarning, match="period"):
        cb = callbacks.ModelCheckpoint(str(tmp_path / "b{epoch}.h5"), save_weights_only=True,
                                       period=2)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[cb])
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith("b")) == ["b2.h5", "b4.h5"]


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    model = linear_model()
    x, y = linear_data(8)
    cb = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}-{batch}.h5"),
                                   save_weights_only=True, save_freq=3)
    model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0, callbacks=[cb])
    # 8 batches over 2 epochs: saves after the 3rd and 6th
    assert sorted(os.listdir(tmp_path)) == ["w1-3.h5", "w2-2.h5"]
    for bad in ("batch", 0, 1.5, True):
        with pytest.raises(ValueError, match="Unrecognized save_freq"):
            callbacks.ModelCheckpoint("x.h5", save_freq=bad)


def test_model_checkpoint_best_only_modes_and_messages(tmp_path, capsys):
    model = linear_model()
    path = str(tmp_path / "best.h5")
    cb = callbacks.ModelCheckpoint(path, monitor="val_acc", save_best_only=True,
                                   save_weights_only=True, verbose=1)
    assert cb.monitor_op is numpy.greater and cb.best == -numpy.inf
    play(cb, model, [0.5, 0.4, 0.7], key="val_acc")
    out = capsys.readouterr().out
    assert out == ("\nEpoch 1: val_acc improved from -inf to 0.50000, saving model to %s\n"
                   "\nEpoch 2: val_acc did not improve from 0.50000\n"
                   "\nEpoch 3: val_acc improved from 0.50000 to 0.70000, saving model to %s\n"
                   % (path, path))
    assert cb.best == 0.7 and os.path.exists(path)
    cb = callbacks.ModelCheckpoint(str(tmp_path / "t{epoch}.h5"), save_best_only=True,
                                   save_weights_only=True, initial_value_threshold=0.6)
    play(cb, model, [0.7, 0.5, 0.55])
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith("t")) == ["t2.h5"]
    assert callbacks.ModelCheckpoint("x", monitor="fmeasure").monitor_op is numpy.greater
    assert callbacks.ModelCheckpoint("x", monitor="acc", mode="min").monitor_op is numpy.less
    with pytest.warns(UserWarning, match="ModelCheckpoint mode best is unknown"):
        callbacks.ModelCheckpoint("x", mode="best")


def test_model_checkpoint_misuse(tmp_path):
    model = linear_model()
    x, y = linear_data()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "w.h5"), save_best_only=True,
                                   save_weights_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    assert os.listdir(tmp_path) == []
    cb = callbacks.ModelCheckpoint(str(tmp_path / "w{val_acc}.h5"), save_weights_only=True)
    with pytest.raises(KeyError, match="Failed to format this callback filepath.*val_acc"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    with pytest.raises(IOError, match="non-directory filepath"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            callbacks.ModelCheckpoint(str(tmp_path), save_weights_only=True)])
    with pytest.raises(TypeError, match="bogus"):
        callbacks.ModelCheckpoint("x.h5", bogus=1)


def test_model_checkpoint_weights_reload(tmp_path):
    model = linear_model()
    x, y = linear_data()
    path = tmp_path / "w.h5"
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True)])
    other = linear_model()
    other.load_weights(str(path))
    for a, b in zip(model.get_weights(), other.get_weights()):
        numpy.testing.assert_array_equal(a, b)


def test_fit_reuses_a_history_or_progbar_passed_in(capsys):
    model = linear_model()
    x, y = linear_data()
    mine = callbacks.History()
    bar = callbacks.ProgbarLogger()
    got = model.fit(x, y, epochs=2, verbose=2, callbacks=callbacks.CallbackList([mine, bar]))
    assert got is mine and len(mine.history["loss"]) == 2
    assert capsys.readouterr().out.count("Epoch 1/2") == 1  # one progress bar, not two
    with pytest.raises(TypeError, match=r"pass \[callback\]"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=callbacks.History())


def test_callback_list_turns_logs_none_into_a_dict():
    seen = []
    cbl = callbacks.CallbackList([callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(logs))])
    cbl.on_epoch_end(0, logs=None)
    cbl.on_epoch_end(1, None)
    assert seen == [{}, {}]


def test_csv_logger_file_gets_normal_permissions(tmp_path):
    path = tmp_path / "log.csv"
    cb = callbacks.CSVLogger(str(path))
    cb.on_train_begin()
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    cb.on_epoch_end(0, {"loss": 1.0})
    assert os.stat(path).st_mode & 0o777 == 0o640  # kept when replacing
