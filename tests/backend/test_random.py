"""gkeras.backend.random: seeded generators and the block-wise word stream of dropout."""
import numpy as np
import pytest

from gkeras.backend import random as gk_random


@pytest.mark.parametrize("cuts", [[0, 1001], [0, 3, 600, 1001], [0, 1, 2, 999, 1001]])
def test_word_stream_slices_are_the_float32_uniform_stream(cuts):
    # any split of the stream, odd boundaries included, reads the numbers behind
    # rng.random(dtype=float32) of a fresh generator, and leaves the generator where
    # that draw would have
    for seed in range(3):
        ref_rng, rng = np.random.default_rng(seed), np.random.default_rng(seed)
        ref = ref_rng.random(size=1001, dtype="float32")
        stream = gk_random.WordStream(rng, 501)
        parts = [stream.uint32(lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:])]
        draws = np.concatenate(parts)
        np.testing.assert_array_equal((draws >> 8).astype(np.float32) * np.float32(2 ** -24),
                                      ref)
        assert rng.bit_generator.state["state"] == ref_rng.bit_generator.state["state"]


@pytest.mark.parametrize("rate", [0.0, 0.25, 0.3, 1 / 3, 0.5, 0.8, 0.9999999999])
def test_integer_threshold_keeps_exactly_uniform_at_least_rate(rate):
    rng = np.random.default_rng(7)
    draws = rng.integers(0, 2 ** 32, size=200000, dtype=np.uint32)
    # include the draws on either side of the threshold
    threshold = gk_random.uniform_at_least(rate)
    if threshold is not None:
        t = int(threshold)
        edge = np.array([t - 256, t - 1, t, t + 255],
                        dtype=np.int64).clip(0, 2 ** 32 - 1).astype(np.uint32)
        draws = np.concatenate([draws, edge])
    uniform = (draws >> 8).astype(np.float32) * np.float32(2 ** -24)
    keep = draws >= threshold if threshold is not None else np.zeros(draws.shape, bool)
    np.testing.assert_array_equal(keep, uniform >= rate)


def test_word_stream_needs_pcg64():
    assert gk_random.WordStream.supports(np.random.default_rng(0))
    other = np.random.Generator(np.random.Philox(0))
    assert not gk_random.WordStream.supports(other)
    with pytest.raises(TypeError, match="PCG64"):
        gk_random.WordStream(other, 4)
