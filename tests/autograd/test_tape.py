"""The tape: what it records, and how `gradient` walks the record back."""
import gc
import weakref

import numpy as np
import pytest

from gkeras import ops
from gkeras.autograd import Tape, Variable, as_tensor, is_recording, stop_gradient
from gkeras.autograd import tape as tape_module


def _var(values, dtype=np.float64):
    return Variable(np.asarray(values, dtype=dtype))


def _np(a):
    return as_tensor(a).numpy()


def test_unconnected_source_gets_none_or_zeros_of_its_shape_and_dtype():
    # as TensorFlow's GradientTape: None by default, zeros with unconnected_gradients
    x, w = _var([1.0, 2.0]), _var(np.ones((2, 3)), np.float32)
    with Tape() as tape:
        y = ops.sum(x * 3.0)
        unrelated = w * 2.0  # recorded, but not on the path to y
    gx, gw = tape.gradient(y, [x, w])
    np.testing.assert_array_equal(_np(gx), [3.0, 3.0])
    assert gw is None
    gx, gw = tape.gradient(y, [x, w], unconnected_gradients="zero")
    np.testing.assert_array_equal(_np(gx), [3.0, 3.0])
    assert gw.shape == (2, 3) and gw.dtype == np.float32
    np.testing.assert_array_equal(_np(gw), np.zeros((2, 3)))
    # a target that depends on no source at all
    assert tape.gradient(unrelated, [x]) == [None]
    (gw2,) = tape.gradient(unrelated, [x], unconnected_gradients="zero")
    np.testing.assert_array_equal(_np(gw2), [0.0, 0.0])
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, [x], unconnected_gradients="zeros")


def test_a_source_never_seen_by_the_tape_is_unconnected():
    x, other = _var([1.0, 2.0]), _var([[5.0]])
    with Tape() as tape:
        y = x * x
    assert tape.gradient(y, [other]) == [None]
    (g,) = tape.gradient(y, [other], unconnected_gradients="zero")
    np.testing.assert_array_equal(_np(g), [[0.0]])


def test_a_tensor_used_twice_accumulates():
    x = _var([1.0, -2.0, 3.0])
    with Tape() as tape:
        y = x * x + x           # same tensor twice in one op, then again in another
        z = ops.sum(y) + ops.sum(ops.exp(x))
    (g,) = tape.gradient(z, [x])
    np.testing.assert_allclose(_np(g), 2 * x.numpy() + 1 + np.exp(x.numpy()))
    with Tape() as tape:
        y = ops.add(x, x)
    np.testing.assert_array_equal(_np(tape.gradient(y, [x])[0]), [2.0, 2.0, 2.0])


def test_gradient_with_respect_to_an_intermediate():
    x = _var([1.0, 2.0])
    with Tape() as tape:
        h = x * 3.0
        y = ops.sum(h * h)
    gh, gx = tape.gradient(y, [h, x])
    np.testing.assert_allclose(_np(gh), 2 * h.numpy())
    np.testing.assert_allclose(_np(gx), 18 * x.numpy())
    (gh_only,) = tape.gradient(y, [h])
    np.testing.assert_allclose(_np(gh_only), 2 * h.numpy())


def test_gradient_of_a_source_with_respect_to_itself_is_the_seed():
    x = _var([1.0, 2.0])
    with Tape() as tape:
        ops.sum(x)
    np.testing.assert_array_equal(_np(tape.gradient(x, [x])[0]), [1.0, 1.0])


def test_gradient_can_be_taken_twice():
    x = _var([1.0, 2.0])
    with Tape() as tape:
        y = ops.sum(ops.square(x))
    first = _np(tape.gradient(y, [x])[0])
    second = _np(tape.gradient(y, [x])[0])
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, [2.0, 4.0])


def test_output_gradient_seeds_the_backward_pass():
    x = _var([[1.0, 2.0], [3.0, 4.0]])
    seed = np.array([[1.0, 0.5], [-2.0, 0.0]])
    with Tape() as tape:
        y = x * x
    (g,) = tape.gradient(y, [x], output_gradient=seed)
    np.testing.assert_allclose(_np(g), 2 * x.numpy() * seed)
    (g1,) = tape.gradient(y, [x])  # default seed: ones
    np.testing.assert_allclose(_np(g1), 2 * x.numpy())


def test_nested_tapes_record_independently():
    x = _var([1.0, 2.0])
    with Tape() as outer:
        a = x * 2.0
        with Tape() as inner:
            b = a * 3.0
            assert tape_module.active_tapes() == [outer, inner]
        c = b + 1.0
    assert len(outer.records) == 3 and len(inner.records) == 1
    np.testing.assert_array_equal(_np(outer.gradient(c, [x])[0]), [6.0, 6.0])
    np.testing.assert_array_equal(_np(inner.gradient(b, [a])[0]), [3.0, 3.0])
    # x -> a happened before the inner tape opened: inner sees no path from x
    assert inner.gradient(b, [x]) == [None]


def test_two_tapes_in_sequence_do_not_share_records():
    x = _var([1.0])
    with Tape() as first:
        y1 = x * 2.0
    with Tape() as second:
        y2 = x * 5.0
    assert len(first.records) == 1 and len(second.records) == 1
    np.testing.assert_array_equal(_np(first.gradient(y1, [x])[0]), [2.0])
    np.testing.assert_array_equal(_np(second.gradient(y2, [x])[0]), [5.0])
    assert first.gradient(y2, [x]) == [None]  # y2 is not on the first tape


def test_nothing_is_recorded_outside_a_tape():
    assert not is_recording()
    x = _var([1.0, 2.0])
    probe = Tape()
    y = ops.sum(ops.exp(x * 2.0))
    assert probe.records == [] and tape_module.active_tapes() == []
    with Tape() as tape:
        assert is_recording()
        z = x * 3.0
    assert not is_recording()
    n = len(tape.records)
    ops.sum(z) + y  # after the block: not recorded on the closed tape
    assert len(tape.records) == n


def test_outputs_are_not_kept_alive_without_a_tape():
    x = _var(np.ones(1000))
    ref = weakref.ref(ops.exp(x * 2.0))
    gc.collect()
    assert ref() is None
    with Tape() as tape:
        kept = weakref.ref(ops.exp(x * 2.0))
    gc.collect()
    assert kept() is not None  # the tape holds it for the backward pass
    del tape
    gc.collect()
    assert kept() is None


def test_a_tape_closes_on_exceptions():
    with pytest.raises(RuntimeError):
        with Tape():
            raise RuntimeError("boom")
    assert not is_recording()


def test_stop_gradient_blocks_the_path():
    x = _var([2.0, 3.0])
    with Tape() as tape:
        y = stop_gradient(x) * x
    np.testing.assert_array_equal(_np(tape.gradient(y, [x])[0]), [2.0, 3.0])


def test_gradients_keep_the_sources_float32():
    x = _var([1.0, 2.0], np.float32)
    with Tape() as tape:
        y = ops.sum(ops.tanh(x * 0.5) * 2.0)
    (g,) = tape.gradient(y, [x])
    assert g.dtype == np.float32


def test_multi_output_functions_and_partial_use():
    from gkeras.autograd import Function

    class Split(Function):
        def forward(self, xp, x):
            return x[:1] * 1.0, x[1:] * 2.0

        def backward(self, xp, g0, g1):
            return xp.concatenate([g0, 2.0 * g1])

    x = _var([1.0, 2.0, 3.0])
    with Tape() as tape:
        first, rest = Split().apply(x)
        y = ops.sum(rest)  # `first` is unused: its gradient must count as zeros
    np.testing.assert_array_equal(_np(tape.gradient(y, [x])[0]), [0.0, 2.0, 2.0])
