"""Data parallelism on simulated devices equals single-device training."""
import numpy as np
import pytest

import gkeras as keras
from gkeras.distributed import DataParallelModel, InProcessCommunicator, split_sizes


def _model(seed=0, bn=False):
    keras.utils.set_random_seed(seed)
    layers = [keras.layers.Dense(6, activation="tanh", input_shape=(5,),
                                 kernel_regularizer=keras.regularizers.l2(1e-3))]
    if bn:
        layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(3, activation="softmax"))
    return keras.models.Sequential(layers)


def _data(n=23, seed=1):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 5).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 3, n), 3)
    w = rng.uniform(0.5, 2.0, n).astype("float32")
    return x, y, w


def test_split_sizes():
    assert split_sizes(256, 8) == [32] * 8
    assert split_sizes(7, 3) == [3, 2, 2]
    assert split_sizes(2, 4) == [1, 1, 0, 0]


def test_communicator_collectives():
    comm = InProcessCommunicator(3)
    arrays = [np.full(4, r, dtype="float32") for r in range(3)]
    comm.allreduce_sum(arrays)
    for a in arrays:
        np.testing.assert_array_equal(a, np.full(4, 3.0))
    arrays = [np.full(2, r, dtype="float32") for r in range(3)]
    comm.broadcast(arrays, root=1)
    for a in arrays:
        np.testing.assert_array_equal(a, np.ones(2))
    with pytest.raises(ValueError):
        comm.allreduce_sum(arrays[:2])
    with pytest.raises(ValueError):
        InProcessCommunicator(0)


@pytest.mark.parametrize("devices", [1, 2, 3, 4])
def test_fit_equals_single_device(devices):
    # 23 samples, batch 8: batches 8, 8, 7 (uneven slices, uneven last batch); and a
    # batch of 2 (< devices for 3, 4) through train_on_batch
    x, y, w = _data()
    ref = _model()
    ref.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    href = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, sample_weight=w, verbose=0)
    lref = ref.train_on_batch(x[:2], y[:2])

    tmpl = _model()
    par = DataParallelModel(tmpl, InProcessCommunicator(devices))
    par.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    hpar = par.fit(x, y, batch_size=8, epochs=2, shuffle=False, sample_weight=w, verbose=0)
    lpar = par.train_on_batch(x[:2], y[:2])

    for a, b in zip(ref.get_weights(), tmpl.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(href.history["loss"], hpar.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(href.history["accuracy"], hpar.history["accuracy"],
                               rtol=1e-6)
    np.testing.assert_allclose(lref, lpar, rtol=1e-5)
    assert par.replicas_in_sync()
    np.testing.assert_allclose(ref.evaluate(x, y, batch_size=5, verbose=0),
                               par.evaluate(x, y, batch_size=5, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ref.predict(x, batch_size=5), par.predict(x, batch_size=5),
                               rtol=1e-5, atol=1e-6)


def test_replicas_follow_template_changes():
    tmpl = _model()
    par = DataParallelModel(tmpl, InProcessCommunicator(2))
    tmpl.set_weights([np.zeros_like(a) for a in tmpl.get_weights()])
    assert not par.replicas_in_sync()
    par.predict(np.zeros((4, 5), "float32"))
    assert par.replicas_in_sync()


def _record_step_events(monkeypatch, par):
    """Logs ('forward', rank), 'allreduce' and 'host' (a copy to the host) in order."""
    from gkeras.backend import xp as gk_xp
    events = []
    for rank, replica in enumerate(par.replicas):
        original = replica._forward

        def forward(*args, _rank=rank, _original=original, **kwargs):
            events.append(("forward", _rank))
            return _original(*args, **kwargs)

        monkeypatch.setattr(replica, "_forward", forward)
    allreduce = par.communicator.allreduce_sum

    def logged_allreduce(arrays):
        events.append("allreduce")
        return allreduce(arrays)

    monkeypatch.setattr(par.communicator, "allreduce_sum", logged_allreduce)
    asnumpy = gk_xp.asnumpy

    def logged_asnumpy(a):
        events.append("host")
        return asnumpy(a)

    monkeypatch.setattr(gk_xp, "asnumpy", logged_asnumpy)
    return events


@pytest.mark.parametrize("devices", [2, 3])
def test_a_step_queues_every_replica_with_no_host_copy_before_the_allreduce(monkeypatch,
                                                                            devices):
    # On GPUs the devices compute concurrently only while the host just enqueues: every
    # replica's forward and backward must be queued with no copy back to the host
    # (which would wait for that device) until the gradients are all-reduced.
    x, y, _ = _data(n=12)
    par = DataParallelModel(_model(), InProcessCommunicator(devices))
    par.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    par.train_on_batch(x, y)  # first call: metrics resolved, optimizer copies made
    events = _record_step_events(monkeypatch, par)
    par.train_on_batch(x, y)
    first = events.index(("forward", 0))
    until = events.index("allreduce")
    assert [e for e in events[first:until]] == [("forward", r) for r in range(devices)]
    del events[:]
    par.predict(x, batch_size=12)
    assert events[:devices] == [("forward", r) for r in range(devices)]
    assert "host" in events[devices:]


@pytest.mark.parametrize("devices", [2, 3])
def test_weights_without_gradient_are_skipped_on_every_replica(devices):
    # a weight the loss does not depend on gets no gradient on any replica: the
    # optimizers skip it (no weight decay either), as on one device and in tf-keras
    from .mpi_case import WithUnusedWeight, build
    x, y, _ = _data(n=12)

    def fit(model):
        model.compile(optimizer=keras.optimizers.Adam(0.05, weight_decay=0.1),
                      loss="categorical_crossentropy")
        with pytest.warns(UserWarning, match="Gradients do not exist"):
            model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)

    ref = build()
    fit(ref)
    tmpl = build()
    with keras.utils.custom_object_scope({"WithUnusedWeight": WithUnusedWeight}):
        par = DataParallelModel(tmpl, InProcessCommunicator(devices))  # clones replicas
    fit(par)
    assert isinstance(tmpl.layers[1], WithUnusedWeight)
    np.testing.assert_array_equal(tmpl.layers[1].get_weights()[0], np.ones(3))
    for a, b in zip(ref.get_weights(), tmpl.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert par.replicas_in_sync()
