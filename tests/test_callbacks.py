"""Callback classes on their own (their use inside fit is in tests/engine/test_training.py)."""
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
