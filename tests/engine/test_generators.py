"""fit / evaluate / predict on Python generators and `gkeras.utils.Sequence`.

In-process iteration (tf.keras's workers=0 path): a Sequence is indexed afresh every
epoch (shuffled when shuffle=True) and its on_epoch_end runs once per epoch; a generator
is one stream read across epochs; running out warns like tf.keras.
"""
import warnings

import numpy
import pytest

import gkeras
from gkeras import callbacks, layers, optimizers
from gkeras.utils import Sequence


def data(n=12, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    labels = rng.integers(0, 2, size=n)
    labels[:2] = [0, 1]
    y = numpy.eye(2, dtype="float32")[labels]
    return x, y


W0 = [numpy.linspace(-0.5, 0.5, 6, dtype="float32").reshape(3, 2),
      numpy.array([0.1, -0.1], "float32")]


def model(lr=0.1, metrics=("accuracy",)):
    m = gkeras.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    m.set_weights(W0)
    m.compile(optimizers.SGD(learning_rate=lr), "categorical_crossentropy",
              metrics=list(metrics))
    return m


def forever(x, y, bs, sw=None):
    while True:
        for i in range(0, len(x), bs):
            s = slice(i, i + bs)
            yield (x[s], y[s]) if sw is None else (x[s], y[s], sw[s])


def finite(x, y, bs, sw=None):
    for i in range(0, len(x), bs):
        s = slice(i, i + bs)
        yield (x[s], y[s]) if sw is None else (x[s], y[s], sw[s])


class Seq(Sequence):
    def __init__(self, x, y, bs, events=None, name="seq"):
        self.x, self.y, self.bs = x, y, bs
        self.events = [] if events is None else events
        self.name = name
        self.ended = 0

    def __len__(self):
        return -(-len(self.x) // self.bs)

    def __getitem__(self, i):
        self.events.append((self.name, i))
        s = slice(i * self.bs, (i + 1) * self.bs)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.ended += 1
        self.events.append((self.name, "end"))


def assert_same_fit(ha, hb, ma, mb):
    assert list(ha.history) == list(hb.history)
    for k in ha.history:
        numpy.testing.assert_allclose(hb.history[k], ha.history[k], rtol=1e-6, err_msg=k)
    for wa, wb in zip(ma.get_weights(), mb.get_weights()):
        numpy.testing.assert_allclose(wb, wa, rtol=1e-6, atol=1e-7)


def ran_out(record):
    return [str(w.message) for w in record if "ran out of data" in str(w.message)]


# ----------------------------------------------------------------- Sequence
def test_sequence_on_epoch_end_once_per_epoch_after_the_epoch_callbacks():
    x, y = data()
    events = []
    seq = Seq(x, y, 4, events, "train")
    val = Seq(x[:6], y[:6], 3, events, "val")
    log = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: events.append(("cb", e)))
    h = model().fit(seq, epochs=3, shuffle=False, verbose=0, validation_data=val,
                    callbacks=[log])
    assert seq.ended == 3 and val.ended == 3 and h.params["steps"] == 3
    assert events[:8] == [("train", 0), ("train", 1), ("train", 2),
                          ("val", 0), ("val", 1), ("val", "end"),
                          ("cb", 0), ("train", "end")]
    m = model()
    m.evaluate(seq, verbose=0)
    assert seq.ended == 4
    m.predict(seq, verbose=0)
    assert seq.ended == 5


def test_sequence_on_epoch_end_runs_for_an_epoch_stopped_early():
    x, y = data()
    seq = Seq(x, y, 4)
    stop = callbacks.LambdaCallback(
        on_batch_end=lambda b, logs: setattr(stop.model, "stop_training", b == 1))
    h = model().fit(seq, epochs=3, verbose=0, shuffle=False, callbacks=[stop])
    assert len(h.history["loss"]) == 1 and seq.ended == 1
    assert seq.events == [("seq", 0), ("seq", 1), ("seq", "end")]


def test_sequence_matches_arrays():
    x, y = data()
    a, b = model(), model()
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
               validation_data=(x[:6], y[:6]))
    hb = b.fit(Seq(x, y, 4), epochs=2, shuffle=False, verbose=0,
               validation_data=Seq(x[:6], y[:6], 6))
    assert_same_fit(ha, hb, a, b)


def test_sequence_shuffle_reorders_batches_every_epoch_but_never_validation():
    gkeras.utils.set_random_seed(3)
    x, y = data(40)
    seq, val = Seq(x, y, 4), Seq(x, y, 8, name="val")
    model().fit(seq, epochs=4, verbose=0, validation_data=val)  # shuffle=True default
    orders = [[i for _, i in seq.events[k * 11:k * 11 + 10]] for k in range(4)]
    assert all(sorted(o) == list(range(10)) for o in orders)
    assert len({tuple(o) for o in orders}) > 1 and any(o != list(range(10)) for o in orders)
    assert [i for _, i in val.events if i != "end"] == list(range(5)) * 4
    seq2 = Seq(x, y, 4)
    model().fit(seq2, epochs=2, verbose=0, shuffle=False)
    assert [i for _, i in seq2.events if i != "end"] == list(range(10)) * 2


def test_sequence_steps_per_epoch_below_len_restarts_each_epoch():
    x, y = data()
    seq = Seq(x, y, 4)
    h = model().fit(seq, steps_per_epoch=2, epochs=2, shuffle=False, verbose=0)
    assert h.params["steps"] == 2
    assert seq.events == [("seq", 0), ("seq", 1), ("seq", "end")] * 2


def test_sequence_steps_per_epoch_above_len_runs_out():
    x, y = data()
    seq = Seq(x, y, 4)
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"
                      r".*\(in this case, 15 batches\).*len\(sequence\) = 3") as rec:
        h = model().fit(seq, steps_per_epoch=5, epochs=3, shuffle=False, verbose=0)
    assert len(ran_out(rec)) == 1
    assert len(h.history["loss"]) == 1 and seq.ended == 1


def test_duck_typed_sequence_and_bad_sequences():
    x, y = data()

    class Plain:  # not a gkeras Sequence: __getitem__ + __len__ is enough (no on_epoch_end)
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4]

    a, b = model(), model()
    assert_same_fit(a.fit(x, y, batch_size=4, shuffle=False, verbose=0),
                    b.fit(Plain(), shuffle=False, verbose=0), a, b)
    with pytest.raises(ValueError, match="Sequence given to `fit` is empty"):
        model().fit(Seq(x[:0], y[:0], 4), verbose=0)
    with pytest.raises(NotImplementedError):
        model().fit(Sequence(), verbose=0)


# ----------------------------------------------------------------- generators
def test_generator_matches_arrays_with_steps_and_initial_epoch():
    x, y = data()
    a, b = model(), model()
    ha = a.fit(x, y, batch_size=4, epochs=3, initial_epoch=1, shuffle=False, verbose=0)
    hb = b.fit(forever(x, y, 4), steps_per_epoch=3, epochs=3, initial_epoch=1, verbose=0)
    assert hb.epoch == [1, 2] and hb.params == {"epochs": 3, "steps": 3, "verbose": 0}
    assert_same_fit(ha, hb, a, b)


def test_generator_is_one_stream_across_epochs():
    x, y = data()
    a, b = model(), model()
    # 3 batches of 4 per epoch from a stream of 2-sample batches == arrays in order
    ha = a.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(forever(x, y, 2), steps_per_epoch=6, epochs=2, verbose=0)
    assert_same_fit(ha, hb, a, b)


def test_fit_generator_runs_out_mid_epoch_warns_and_stops():
    x, y = data()
    log = []
    cb = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: log.append(e),
                                  on_train_end=lambda logs: log.append(sorted(logs)))
    # 5 batches for 3 epochs of 3: epoch 0 full, epoch 1 has 2 batches then stops
    gen = (b for _, b in zip(range(5), forever(x, y, 4)))
    with pytest.warns(UserWarning, match=r"Your input ran out of data; interrupting training\. "
                      r"Make sure that your dataset or generator can generate at least "
                      r"`steps_per_epoch \* epochs` batches \(in this case, 9 batches\)") as rec:
        h = model().fit(gen, steps_per_epoch=3, epochs=3, verbose=0, callbacks=[cb])
    assert len(ran_out(rec)) == 1
    assert h.epoch == [0, 1] and log == [0, 1, ["accuracy", "loss"]]


def test_fit_generator_runs_out_at_an_epoch_boundary():
    x, y = data()
    gen = (b for _, b in zip(range(6), forever(x, y, 4)))
    m = model()
    with pytest.warns(UserWarning, match="ran out of data"):
        h = m.fit(gen, steps_per_epoch=3, epochs=4, verbose=0,
                  validation_data=(x, y))
    # the empty third epoch reports nothing; the two complete ones stand
    assert h.epoch == [0, 1] and len(h.history["val_loss"]) == 2


def test_generator_exactly_long_enough_does_not_warn():
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = model().fit(finite(x, y, 2), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2


def test_validation_generator_with_validation_steps():
    x, y = data()
    a, b = model(), model()
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
               validation_data=(x[:6], y[:6]))
    hb = b.fit(forever(x, y, 4), steps_per_epoch=3, epochs=2, verbose=0,
               validation_data=forever(x[:6], y[:6], 3), validation_steps=2)
    assert_same_fit(ha, hb, a, b)


def test_validation_generator_needs_validation_steps():
    x, y = data()
    with pytest.raises(ValueError, match="`validation_steps=None` is only valid for a "
                       "generator based on the `gkeras.utils.Sequence` class"):
        model().fit(x, y, epochs=1, verbose=0, validation_data=forever(x, y, 4))


def test_validation_generator_running_out():
    x, y = data()
    with pytest.warns(UserWarning, match="interrupting validation.*`validation_steps \\* "
                      "epochs` batches \\(in this case, 6 batches\\)"):
        with pytest.raises(ValueError, match="Your validation data ran out of data: the "
                           "generator produced no batches"):
            model().fit(x, y, epochs=2, verbose=0,
                        validation_data=finite(x, y, 4), validation_steps=3)
    # validation exhausted part-way: warns, averages what it got, training continues
    m = model()
    with pytest.warns(UserWarning, match="interrupting validation"):
        h = m.fit(x, y, epochs=1, verbose=0, validation_data=finite(x[:4], y[:4], 2),
                  validation_steps=3)
    assert h.history["val_loss"][0] == pytest.approx(m.evaluate(x[:4], y[:4], verbose=0)[0])
    assert len(h.history["loss"]) == 1


def test_fit_generator_needs_steps_per_epoch():
    x, y = data()
    with pytest.raises(ValueError, match="`steps_per_epoch=None` is only valid for a generator"):
        model().fit(finite(x, y, 4), verbose=0)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="`steps_per_epoch` must be a positive integer"):
            model().fit(forever(x, y, 4), steps_per_epoch=bad, verbose=0)


def test_generator_input_rejects_y_sample_weight_and_validation_split():
    x, y = data()
    with pytest.raises(ValueError, match="`y` argument is not supported when using a Python "
                       "generator"):
        model().fit(forever(x, y, 4), y, steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="`sample_weight` argument is not supported when using "
                       "`gkeras.utils.Sequence`"):
        model().fit(Seq(x, y, 4), sample_weight=numpy.ones(12), verbose=0)
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        model().evaluate(Seq(x, y, 4), y, verbose=0)


@pytest.mark.parametrize("item, match", [
    ((numpy.zeros((2, 3), "float32"),), r"tuple \(x, y\).*found: a tuple of 1 elements"),
    ((1, 2, 3, 4), r"tuple \(x, y\).*found: a tuple of 4 elements"),
    (numpy.zeros((2, 3), "float32"), r"found: ndarray of shape \(2, 3\)"),
    ([numpy.zeros((2, 3), "float32"), numpy.zeros((2, 2), "float32")], "found: list"),
    ((numpy.zeros((2, 3), "float32"), None), "found y=None"),
])
def test_generator_yielding_wrong_items(item, match):
    def gen():
        while True:
            yield item
    with pytest.raises(ValueError, match=match):
        model().fit(gen(), steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match=match):
        model().evaluate(gen(), steps=1, verbose=0)


# ----------------------------------------------------------------- evaluate / predict
def test_evaluate_on_generators():
    x, y = data()
    m = model()
    want = m.evaluate(x, y, batch_size=4, verbose=0)
    assert m.evaluate(forever(x, y, 4), steps=3, verbose=0) == pytest.approx(want)
    # no steps: a finite generator is read to its end (tf.keras)
    assert m.evaluate(finite(x, y, 4), verbose=0) == pytest.approx(want)
    assert m.evaluate_generator(finite(x, y, 4), workers=0) == pytest.approx(want)
    with pytest.warns(UserWarning, match="interrupting evaluation"):
        got = m.evaluate(finite(x, y, 4), steps=5, verbose=0)
    assert got == pytest.approx(want)
    with pytest.raises(ValueError, match="Your input ran out of data: the generator produced "
                       "no batches"):
        m.evaluate(finite(x[:0], y[:0], 4), verbose=0)


@pytest.mark.parametrize("form", ["x", "x,", "x,y", "x,y,sw"])
def test_predict_on_generator_items(form):
    x, y = data()
    m = model()
    want = m.predict(x, verbose=0)

    def gen():
        for i in range(0, 12, 4):
            xb, yb = x[i:i + 4], y[i:i + 4]
            yield {"x": xb, "x,": (xb,), "x,y": (xb, yb),
                   "x,y,sw": (xb, yb, numpy.ones(len(xb)))}[form]

    numpy.testing.assert_allclose(m.predict(gen(), verbose=0), want, rtol=1e-6)
    numpy.testing.assert_allclose(m.predict(gen(), steps=2, verbose=0), want[:8], rtol=1e-6)
    numpy.testing.assert_allclose(m.predict_generator(gen(), steps=3, workers=0,
                                                      use_multiprocessing=False), want,
                                  rtol=1e-6)


def test_predict_on_generator_misuse():
    x, y = data()
    m = model()
    with pytest.raises(ValueError, match=r"predict should be x, or a tuple \(x,\), \(x, y\) "
                       r"or \(x, y, sample_weight\), found: a tuple of 4 elements"):
        m.predict(iter([(x, y, y, y)]), verbose=0)
    with pytest.raises(ValueError, match="generator produced no batches"):
        m.predict(iter([]), verbose=0)
    with pytest.warns(UserWarning, match="interrupting prediction"):
        assert m.predict(iter([x[:4]]), steps=2, verbose=0).shape == (4, 2)


def test_predict_and_evaluate_progress_bar_with_unknown_steps(capsys):
    x, y = data()
    m = model()
    m.predict(finite(x, y, 4), verbose=1)
    m.evaluate(finite(x, y, 4), verbose=1)
    out = capsys.readouterr().out
    assert out.count("3/Unknown") == 2


# ----------------------------------------------------------------- weights
def test_class_weight_with_generators_matches_arrays():
    x, y = data()
    cw = {0: 0.25, 1: 2.0}
    a, b, c = model(), model(), model()
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, class_weight=cw, verbose=0)
    hb = b.fit(forever(x, y, 4), steps_per_epoch=3, epochs=2, class_weight=cw, verbose=0)
    hc = c.fit(Seq(x, y, 4), epochs=2, shuffle=False, class_weight=cw, verbose=0)
    assert_same_fit(ha, hb, a, b)
    assert_same_fit(ha, hc, a, c)
    plain = model()
    plain.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert not numpy.allclose(plain.get_weights()[0], a.get_weights()[0])


def test_sample_weights_from_generator_and_with_class_weight():
    x, y = data()
    sw = numpy.linspace(0.5, 2.0, 12).astype("float32")
    cw = {0: 3.0, 1: 0.5}
    a, b = model(), model()
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, sample_weight=sw, class_weight=cw,
               verbose=0)
    hb = b.fit(forever(x, y, 4, sw), steps_per_epoch=3, epochs=2, class_weight=cw, verbose=0)
    assert_same_fit(ha, hb, a, b)
    assert b.evaluate(forever(x, y, 4, sw), steps=3, verbose=0) == pytest.approx(
        b.evaluate(x, y, batch_size=4, sample_weight=sw, verbose=0))


# ----------------------------------------------------------------- multi-input, legacy API
def test_multi_input_generator_with_lists_and_dicts():
    rng = numpy.random.default_rng(1)
    xa = rng.normal(size=(8, 2)).astype("float32")
    xb = rng.normal(size=(8, 1)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")

    def build():
        ia, ib = gkeras.Input((2,), name="a"), gkeras.Input((1,), name="b")
        out = layers.Dense(1, name="out")(layers.Concatenate()([ia, ib]))
        m = gkeras.Model([ia, ib], out)
        m.set_weights([numpy.full((3, 1), 0.1, "float32"), numpy.zeros(1, "float32")])
        m.compile(optimizers.SGD(learning_rate=0.05), "mse")
        return m

    def gen(as_dict):
        while True:
            for i in range(0, 8, 4):
                s = slice(i, i + 4)
                yield ({"a": xa[s], "b": xb[s]} if as_dict else [xa[s], xb[s]]), y[s]

    ref, m1, m2 = build(), build(), build()
    hr = ref.fit([xa, xb], y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h1 = m1.fit(gen(False), steps_per_epoch=2, epochs=2, verbose=0)
    h2 = m2.fit_generator(gen(True), steps_per_epoch=2, epochs=2, verbose=0, workers=0,
                          max_queue_size=1)
    assert_same_fit(hr, h1, ref, m1)
    assert_same_fit(hr, h2, ref, m2)
    numpy.testing.assert_allclose(m1.predict((xs for xs, _ in gen(False)), steps=2),
                                  ref.predict([xa, xb]), rtol=1e-6)


def test_callbacks_see_generator_training_like_array_training():
    x, y = data()
    es = callbacks.EarlyStopping(monitor="loss", patience=0, mode="max")
    h = model().fit(forever(x, y, 4), steps_per_epoch=3, epochs=5, verbose=0, callbacks=[es])
    assert h.epoch == [0, 1] and es.stopped_epoch == 1


def test_iter_sequence_infinite_feeds_fit_as_a_generator():
    from gkeras.utils.data_utils import iter_sequence_infinite
    x, y = data()
    seq = Seq(x, y, 4)
    a, b = model(), model()
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(iter_sequence_infinite(seq), steps_per_epoch=3, epochs=2, verbose=0)
    assert_same_fit(ha, hb, a, b)
    assert seq.ended >= 1
