"""gkeras.regularizers: penalty values, gradients, defaults and configs."""
import numpy as np
import pytest

from gkeras import regularizers as R
from gkeras.autograd import Variable, as_tensor
from gkeras.autograd.gradient_check import check_gradients

W = np.array([[0.5, -1.5, 2.0], [-0.25, 0.75, -3.0]])


@pytest.mark.parametrize("reg,expected", [
    (R.L1(0.1), 0.1 * np.abs(W).sum()),
    (R.L2(0.2), 0.2 * np.square(W).sum()),
    (R.L1L2(l1=0.1, l2=0.2), 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum()),
    (R.L1L2(l2=0.3), 0.3 * np.square(W).sum()),
    (R.l1_l2(), 0.01 * np.abs(W).sum() + 0.01 * np.square(W).sum()),
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
    assert R.L1().get_config() == {"l1": 0.01}
    assert R.L2().get_config() == {"l2": 0.01}
    assert R.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}
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
    ("l1", {"l1": 0.01}), ("l2", {"l2": 0.01}), ("L1", {"l1": 0.01}), ("L2", {"l2": 0.01}),
    ("l1_l2", {"l1": 0.01, "l2": 0.01}), ("L1L2", {"l1": 0.0, "l2": 0.0}),
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
