"""SyncBatchNormalization on simulated devices equals BatchNormalization on the whole batch."""
import numpy as np
import pytest

import gkeras as keras
from gkeras.distributed import DataParallelModel, InProcessCommunicator


# the layers before BN have no bias: BN cancels it, its gradient is rounding noise, which
# Adam would amplify to full-size steps that no two summation orders share
def _dense_model(bn, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.models.Sequential([
        keras.layers.Dense(6, use_bias=False, input_shape=(5,),
                           kernel_regularizer=keras.regularizers.l2(1e-3)),
        bn(momentum=0.8),
        keras.layers.Dense(3, activation="softmax")])


def _conv_model(bn, seed=0):
    # 4-D input normalised over axis 3: the moving variance takes the unbiased variance
    keras.utils.set_random_seed(seed)
    return keras.models.Sequential([
        keras.layers.Conv2D(4, 3, use_bias=False, input_shape=(6, 6, 2)),
        bn(momentum=0.7),
        keras.layers.Activation("relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax")])


def _data(n=23, shape=(5,), seed=1):
    rng = np.random.RandomState(seed)
    x = (rng.randn(n, *shape) * 2 + 0.5).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 3, n), 3)
    w = rng.uniform(0.5, 2.0, n).astype("float32")
    return x, y, w


def _check_same(ref, tmpl, par):
    for a, b in zip(ref.get_weights(), tmpl.get_weights()):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    assert par.replicas_in_sync()


@pytest.mark.parametrize("build,shape", [(_dense_model, (5,)), (_conv_model, (6, 6, 2))])
@pytest.mark.parametrize("devices", [1, 2, 3, 4])
def test_fit_equals_single_device_batchnorm(devices, build, shape):
    # batches 8, 8, 7 (uneven slices, uneven last batch), then a batch of 2 (< devices)
    x, y, w = _data(shape=shape)
    ref = build(keras.layers.BatchNormalization)
    ref.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    href = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, sample_weight=w, verbose=0)
    lref = ref.train_on_batch(x[:2], y[:2])

    tmpl = build(keras.layers.SyncBatchNormalization)
    par = DataParallelModel(tmpl, InProcessCommunicator(devices))
    par.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    hpar = par.fit(x, y, batch_size=8, epochs=2, shuffle=False, sample_weight=w, verbose=0)
    lpar = par.train_on_batch(x[:2], y[:2])

    _check_same(ref, tmpl, par)  # moving mean and variance included
    np.testing.assert_allclose(href.history["loss"], hpar.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(lref, lpar, rtol=1e-5)
    np.testing.assert_allclose(ref.predict(x, batch_size=5), par.predict(x, batch_size=5),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("devices", [2, 3, 4])
def test_one_step_outputs_gradients_and_moving_stats(devices):
    # plain SGD with lr 1: each weight's change is minus its gradient on the whole batch
    x, y, _ = _data(n=11)
    ref = _dense_model(keras.layers.BatchNormalization)
    ref.compile(optimizer=keras.optimizers.SGD(1.0), loss="categorical_crossentropy")
    tmpl = _dense_model(lambda **kw: keras.layers.BatchNormalization(synchronized=True, **kw))
    par = DataParallelModel(tmpl, InProcessCommunicator(devices))
    par.compile(optimizer=keras.optimizers.SGD(1.0), loss="categorical_crossentropy")
    before = ref.get_weights()
    ref.train_on_batch(x, y)
    par.train_on_batch(x, y)
    for b0, a, b in zip(before, ref.get_weights(), tmpl.get_weights()):
        np.testing.assert_allclose(a - b0, b - b0, rtol=1e-5, atol=1e-6)
    # training-mode outputs of the BN layer: every replica's slice of the whole batch's
    bn_ref, bn_par = ref.layers[1], tmpl.layers[1]
    assert bn_par.synchronized and not bn_ref.synchronized
    np.testing.assert_allclose(bn_ref.moving_mean.numpy(), bn_par.moving_mean.numpy(),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn_ref.moving_variance.numpy(),
                               bn_par.moving_variance.numpy(), rtol=1e-5, atol=1e-7)
    for replica in par.replicas:
        bn = [l for l in replica.layers if hasattr(l, "moving_mean")][0]
        np.testing.assert_array_equal(bn.moving_mean.numpy(), bn_par.moving_mean.numpy())


@pytest.mark.parametrize("sizes", [[5, 4], [3, 3, 2], [4, 1, 3, 2]])
def test_layer_outputs_and_input_gradients_in_lockstep(sizes):
    # each replica's training output and input gradient is its slice of the whole batch's
    from gkeras import ops
    from gkeras.autograd.tape import Tape
    from gkeras.autograd.tensor import Tensor
    from gkeras.distributed.data_parallel import _Lockstep

    rng = np.random.RandomState(3)
    n = sum(sizes)
    x = (rng.randn(n, 3, 4) * 3 + 1).astype("float32")
    gy = rng.randn(n, 3, 4).astype("float32")
    starts = np.cumsum([0] + sizes)

    def run(layer, xs, g):
        xt = Tensor(xs)
        with Tape() as tape:
            out = layer(xt, training=True)
            loss = ops.sum(out * g)
        gx, = tape.gradient(loss, [xt])
        return out.numpy(), np.asarray(gx)

    ref = keras.layers.BatchNormalization(axis=1)
    ref.build((None, 3, 4))
    y_ref, gx_ref = run(ref, x, gy)
    layers = []
    for _ in sizes:
        layer = keras.layers.SyncBatchNormalization(axis=1)
        layer.build((None, 3, 4))
        layers.append(layer)
    out = _Lockstep(range(len(sizes))).run(
        lambda r: run(layers[r], x[starts[r]:starts[r + 1]], gy[starts[r]:starts[r + 1]]))
    np.testing.assert_allclose(np.concatenate([o[0] for o in out]), y_ref, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(np.concatenate([o[1] for o in out]), gx_ref, rtol=1e-4,
                               atol=1e-5)
    for layer in layers:
        np.testing.assert_allclose(layer.moving_mean.numpy(), ref.moving_mean.numpy(),
                                   rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer.moving_variance.numpy(),
                                   ref.moving_variance.numpy(), rtol=1e-5, atol=1e-7)


def test_sync_layer_alone_is_batchnorm_and_serialises():
    x, y, w = _data()
    ref = _dense_model(keras.layers.BatchNormalization)
    sync = _dense_model(keras.layers.SyncBatchNormalization)
    for m in (ref, sync):
        m.compile(optimizer="adam", loss="categorical_crossentropy")
        m.fit(x, y, batch_size=8, epochs=1, shuffle=False, sample_weight=w, verbose=0)
    for a, b in zip(ref.get_weights(), sync.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ref.layers[1](ref.layers[0](x[:4]), training=True).numpy(),
                               sync.layers[1](sync.layers[0](x[:4]), training=True).numpy(),
                               rtol=1e-5, atol=1e-6)
    cfg = sync.layers[1].get_config()
    assert "synchronized" not in cfg and cfg["momentum"] == 0.8
    layer = keras.layers.deserialize({"class_name": "SyncBatchNormalization",
                                      "config": cfg})
    assert type(layer) is keras.layers.SyncBatchNormalization and layer.synchronized
    flag = keras.layers.BatchNormalization(synchronized=True)
    assert flag.get_config()["synchronized"] is True
    assert keras.layers.BatchNormalization.from_config(flag.get_config()).synchronized
    assert "synchronized" not in keras.layers.BatchNormalization().get_config()


def test_multi_gpu_model_with_simulated_devices(monkeypatch):
    monkeypatch.setenv("GKERAS_SIMULATED_DEVICES", "3")
    x, y, _ = _data(n=20)
    ref = _dense_model(keras.layers.BatchNormalization)
    ref.compile(optimizer="sgd", loss="categorical_crossentropy")
    ref.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    tmpl = _dense_model(keras.layers.SyncBatchNormalization)
    par = keras.utils.multi_gpu_model(tmpl, gpus=3)
    par.compile(optimizer="sgd", loss="categorical_crossentropy")
    par.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    _check_same(ref, tmpl, par)


def test_replica_failure_is_raised_not_hung():
    from gkeras.distributed.data_parallel import _Lockstep
    from gkeras.ops.normalization import current_sync_group

    def step(rank):
        group = current_sync_group()
        out = group.allreduce(np.full(2, float(rank)))
        if rank == 1:
            raise ValueError("boom")
        return group.allreduce(out)

    with pytest.raises(ValueError, match="boom"):
        _Lockstep([0, 1, 2]).run(step)

    def uneven(rank):
        group = current_sync_group()
        for _ in range(rank + 1):
            group.allreduce(np.zeros(1))

    with pytest.raises(RuntimeError, match="collectives do not match"):
        _Lockstep([0, 1]).run(uneven)
    assert _Lockstep([0, 1, 2]).run(
        lambda r: current_sync_group().allreduce(np.full(1, r + 1.0))[0]) == [6.0] * 3


def test_process_sync_group_one_replica_per_process():
    # a multi-process communicator of size 1 (one rank): SyncBN equals BatchNormalization
    from gkeras.distributed.data_parallel import ProcessSyncGroup
    from gkeras.ops.normalization import sync_group_scope

    class OneRank:
        size = 1

        def allreduce_sum(self, arrays):
            assert len(arrays) == 1
            return arrays

    x = np.random.RandomState(0).randn(7, 4).astype("float32")
    ref = keras.layers.BatchNormalization()
    sync = keras.layers.SyncBatchNormalization()
    with sync_group_scope(ProcessSyncGroup(OneRank())):
        out = sync(x, training=True).numpy()
    np.testing.assert_allclose(out, ref(x, training=True).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sync.moving_variance.numpy(), ref.moving_variance.numpy(),
                               rtol=1e-6)


def test_tf_keras_experimental_path():
    # tf.keras 2.x code writes keras.layers.experimental.SyncBatchNormalization
    layer = keras.layers.experimental.SyncBatchNormalization(momentum=0.9)
    assert type(layer) is keras.layers.SyncBatchNormalization
    from gkeras.layers.experimental import SyncBatchNormalization
    assert SyncBatchNormalization is keras.layers.SyncBatchNormalization
