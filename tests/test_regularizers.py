"""gkeras.regularizers: penalty values, gradients, defaults and configs; parity with
tf-keras 2.21 (tests/reference/parity_reference: 'reg.*', ["regularizers"])."""
import functools

import numpy as np
import pytest

import gkeras
from gkeras import backend as K
from gkeras import regularizers as R
from gkeras.autograd import Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients
from reference._refutil import load_reference

W = np.array([[0.5, -1.5, 2.0], [-0.25, 0.75, -3.0]])


def f32(v):
    """Keras keeps penalty factors as floatx: l2(0.01).l2 == float(np.float32(0.01))."""
    return float(np.float32(v))


C = f32(0.01)  # the default factor, as get_config() reports it


@pytest.mark.parametrize("reg,expected", [
    (R.L1(0.1), f32(0.1) * np.abs(W).sum()),
    (R.L2(0.2), f32(0.2) * np.square(W).sum()),
    (R.L1L2(l1=0.1, l2=0.2), f32(0.1) * np.abs(W).sum() + f32(0.2) * np.square(W).sum()),
    (R.L1L2(l2=0.3), f32(0.3) * np.square(W).sum()),
    (R.l1_l2(), C * np.abs(W).sum() + C * np.square(W).sum()),
])
def test_penalty_values_and_gradients(reg, expected):
    penalty = reg(as_tensor(W))
    assert penalty.shape == ()
    np.testing.assert_allclose(penalty.numpy(), expected, rtol=1e-14)
    check_gradients(reg, [W])  # W stays away from the kink of |w| at 0


def test_penalty_keeps_float32():
    w = Variable(W.astype(np.float32))
    assert R.L1L2(0.1, 0.1)(w).dtype == np.float32


def test_defaults():
    assert R.L1().get_config() == {"l1": C}
    assert R.L2().get_config() == {"l2": C}
    assert R.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.l1_l2().get_config() == {"l1": C, "l2": C}
    assert float(R.L1L2()(as_tensor(W))) == 0.0


@pytest.mark.parametrize("reg", [R.L1(0.3), R.L2(0.4), R.L1L2(0.1, 0.2)],
                         ids=["L1", "L2", "L1L2"])
def test_config_round_trip(reg):
    config = R.serialize(reg)
    assert config["class_name"] == type(reg).__name__
    again = R.get(config)
    assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()
    np.testing.assert_allclose(again(as_tensor(W)).numpy(), reg(as_tensor(W)).numpy())


@pytest.mark.parametrize("name,config", [
    ("l1", {"l1": C}), ("l2", {"l2": C}), ("L1", {"l1": C}), ("L2", {"l2": C}),
    ("l1_l2", {"l1": C, "l2": C}), ("L1L2", {"l1": 0.0, "l2": 0.0}),
])
def test_get_by_name(name, config):
    reg = R.get(name)
    assert isinstance(reg, R.Regularizer)
    assert reg.get_config() == config


def test_get_other_identifiers():
    assert R.get(None) is None
    fn = lambda w: 0.0  # noqa: E731
    assert R.get(fn) is fn
    with pytest.raises(ValueError, match="'foo'"):
        R.get("foo")
    with pytest.raises(ValueError):
        R.get(1.5)


# ---------------------------------------------------------------- parity with tf-keras 2.21


ref = functools.partial(load_reference, "parity_reference")


@pytest.mark.parametrize("name", ["l1(0.01)", "l2(0.01)", "l1_l2(l1=0.01, l2=0.01)", "l1()",
                                  "l2()", "l1_l2()", "L1L2()"])
def test_raw_values_match_tf_keras(name):
    z, meta = ref()
    reg = eval("R." + name)  # the expressions the generator evaluated
    value = float(reg(as_tensor(z["reg.fixed_w"])).numpy())
    assert value == pytest.approx(meta["regularizers"]["raw"][name], rel=1e-6)


@pytest.mark.parametrize("name", ["l1", "l2", "l1_l2", "L1L2"])
def test_configs_match_tf_keras(name):
    _, meta = ref()
    assert getattr(R, name)().get_config() == meta["regularizers"]["raw"]["config.%s()" % name]


def regularized_model(**extra):
    K.clear_session()
    z, _ = ref()
    model = gkeras.Sequential([gkeras.layers.Dense(
        3, input_shape=(4,), kernel_regularizer=R.l2(0.01), bias_regularizer=R.l1(0.02),
        activity_regularizer=R.l1_l2(l1=0.001, l2=0.002), **extra)])
    model.set_weights([z["reg.w0.0"], z["reg.w0.1"]])
    model.compile(optimizer=gkeras.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def test_model_losses_after_a_call_match_tf_keras():
    """The activity penalty (l1_l2 of the outputs / batch size) first, then the weight
    penalties, as tf.keras lists `model.losses`; a new call replaces the activity term."""
    z, meta = ref()
    expected = meta["regularizers"]["train"]
    model = regularized_model()
    assert len(model.losses) == 2  # no call yet: the weight penalties only
    x = z["opt.x"]
    out = model(x)
    values = [float(v.numpy()) for v in model.losses]
    np.testing.assert_allclose(values, expected["model_losses_at_w0_after_call_on_x"],
                               rtol=1e-5)
    assert float(np.mean((out.numpy() - z["opt.y"]) ** 2)) == pytest.approx(
        expected["numpy_mse_at_w0"], rel=1e-6)
    model(x[:4])
    model(x)  # penalties do not pile up over calls (nor over predict batches)
    model.predict(x, batch_size=2, verbose=0)
    assert len(model.losses) == 3


def test_training_with_regularizers_matches_tf_keras():
    """train_on_batch reports mse + sum(model.losses) (before the update)."""
    z, meta = ref()
    expected = meta["regularizers"]["train"]
    model = regularized_model()
    losses = [model.train_on_batch(z["opt.x"], z["opt.y"]) for _ in range(3)]
    np.testing.assert_allclose(losses, expected["losses"], rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, z["reg.train.w.%d" % i], rtol=1e-5, atol=1e-7)


def test_evaluate_includes_the_penalties():
    """tf.keras adds model.losses (activity ones included) to the evaluation loss too."""
    z, meta = ref()
    model = regularized_model()
    loss = model.evaluate(z["opt.x"], z["opt.y"], batch_size=8, verbose=0)
    assert loss == pytest.approx(meta["regularizers"]["train"]["losses"][0], rel=1e-5)


def test_shared_layer_penalty_counted_once():
    layer = gkeras.layers.Dense(2, kernel_regularizer=R.l2(0.1))
    inp = gkeras.Input((2,))
    model = gkeras.Model(inp, gkeras.layers.Add()([layer(inp), layer(inp)]))
    layer.set_weights([np.eye(2, dtype="float32"), np.zeros(2, "float32")])
    assert [float(v.numpy()) for v in model.losses] == [pytest.approx(0.2)]


def test_bad_penalty_values():
    with pytest.raises(ValueError, match="not a valid regularization penalty number"):
        R.L1L2(l1="0.1")
    with pytest.raises(ValueError, match="not a valid regularization penalty number"):
        R.l2(float("nan"))
    assert R.L2(l=0.5).get_config() == {"l2": 0.5}  # tf.keras's `l=` spelling
