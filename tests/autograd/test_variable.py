"""Variable: a named, mutable Tensor."""
import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Tensor, Variable
from gkeras.backend import xp as gk_xp


def test_variable_copies_its_value_and_keeps_metadata():
    value = np.array([1.0, 2.0], np.float32)
    v = Variable(value, name="dense_1/kernel:0", trainable=False)
    value[0] = 99.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert v.name == "dense_1/kernel:0" and v.trainable is False and v.constraint is None
    assert v.dtype == np.float32
    assert Variable(np.ones(2)).name == "Variable:0"
    assert Variable(np.ones(2), dtype="float32").dtype == np.float32
    assert Variable(Tensor(np.ones(2))).shape == (2,)
    assert "dense_1/kernel:0" in repr(v)


def test_numpy_returns_a_copy():
    v = Variable(np.ones(2))
    v.numpy()[0] = 5.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])


def test_assign_keeps_dtype_and_checks_shape():
    v = Variable(np.zeros((2, 2), np.float32), name="w")
    v.assign(np.ones((2, 2)))
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="'w'"):
        v.assign(np.ones(3))


def test_gradient_after_assign_uses_the_new_value():
    v = Variable(np.array([1.0, 2.0]))
    v.assign(np.array([3.0, 4.0]))
    with Tape() as tape:
        y = ops.sum(v * v)
    np.testing.assert_array_equal(gk_xp.asnumpy(tape.gradient(y, [v])[0]), [6.0, 8.0])
