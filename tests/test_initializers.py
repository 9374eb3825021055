"""gkeras.initializers: Keras 2's fan and limit formulas, determinism, configs."""
import math

import numpy as np
import pytest

from gkeras import initializers as I
from gkeras.backend import random as gk_random


@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((4, 5), (4, 5)),
    ((3, 2, 5), (3 * 2, 3 * 5)),            # Conv1D kernel (k, in, out)
    ((3, 3, 4, 8), (9 * 4, 9 * 8)),         # Conv2D kernel (kh, kw, in, out)
    ((2, 3, 3, 4, 8), (18 * 4, 18 * 8)),
])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def test_constants():
    assert I.Zeros()((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.Ones()((2,), dtype="float64"), [1.0, 1.0])
    assert I.Ones()((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(I.Identity(gain=3.0)((2, 3)), 3.0 * np.eye(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        I.Identity()((2, 2, 2))


SHAPE = (40, 60)  # fan_in 40, fan_out 60
N_IN, N_OUT, N_AVG = 40.0, 60.0, 50.0


# (initializer, 'uniform' limit or None, expected stddev, truncated?)
FAMILY = [
    (I.GlorotUniform, math.sqrt(6.0 / (N_IN + N_OUT)), None),
    (I.HeUniform, math.sqrt(6.0 / N_IN), None),
    (I.LecunUniform, math.sqrt(3.0 / N_IN), None),
    (I.GlorotNormal, None, math.sqrt(2.0 / (N_IN + N_OUT))),
    (I.HeNormal, None, math.sqrt(2.0 / N_IN)),
    (I.LecunNormal, None, math.sqrt(1.0 / N_IN)),
]


@pytest.mark.parametrize("cls,limit,stddev", FAMILY, ids=[f[0].__name__ for f in FAMILY])
def test_variance_scaling_family_limits_and_stddevs(cls, limit, stddev):
    w = cls(seed=1)(SHAPE)
    assert w.shape == SHAPE and w.dtype == np.float32
    if limit is not None:
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.95 * limit
        assert abs(w.std() - limit / math.sqrt(3.0)) < 0.05 * limit
    else:
        # truncated at two standard deviations of the *untruncated* normal, rescaled so
        # the truncated distribution has the requested stddev
        raw = stddev / 0.87962566103423978
        assert np.abs(w).max() <= 2 * raw
        assert abs(w.std() - stddev) < 0.05 * stddev
        assert abs(w.mean()) < 0.05 * stddev


@pytest.mark.parametrize("mode,n", [("fan_in", N_IN), ("fan_out", N_OUT), ("fan_avg", N_AVG)])
@pytest.mark.parametrize("distribution", ["uniform", "truncated_normal", "untruncated_normal",
                                          "normal", "Uniform"])
def test_variance_scaling_modes(mode, n, distribution):
    scale = 3.0
    w = I.VarianceScaling(scale, mode, distribution, seed=2)(SHAPE).astype(np.float64)
    expected_std = math.sqrt(scale / n)
    assert abs(w.std() - expected_std) < 0.05 * expected_std
    if distribution.lower() == "uniform":
        assert np.abs(w).max() <= math.sqrt(3.0 * scale / n)
    elif distribution == "untruncated_normal":
        assert np.abs(w).max() > 2.5 * expected_std  # tails are kept
    else:  # 'normal' is Keras 2's name for the truncated normal
        assert np.abs(w).max() <= 2 * expected_std / 0.87962566103423978


def test_variance_scaling_small_fans_are_clamped_to_one():
    w = I.VarianceScaling(1.0, "fan_in", "uniform", seed=0)((1, 2000))
    assert np.abs(w).max() <= math.sqrt(3.0)  # scale / max(1, fan_in)


def test_variance_scaling_validates_its_arguments():
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_middle")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_random_defaults_and_ranges():
    w = I.RandomUniform(seed=0)((50, 50))
    assert w.min() >= -0.05 and w.max() < 0.05
    w = I.RandomUniform(minval=2.0, maxval=3.0, seed=0)((50, 50))
    assert w.min() >= 2.0 and w.max() < 3.0
    w = I.RandomNormal(mean=1.0, stddev=0.5, seed=0)((100, 100)).astype(np.float64)
    assert abs(w.mean() - 1.0) < 0.02 and abs(w.std() - 0.5) < 0.02
    w = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((100, 100)).astype(np.float64)
    assert np.abs(w - 1.0).max() <= 1.0 and abs(w.mean() - 1.0) < 0.02


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 5), (5, 5)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=2.0, seed=3)(shape, dtype="float64")
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)
    with pytest.raises(ValueError, match="rank >= 2"):
        I.Orthogonal()((3,))


SEEDED = [I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.GlorotUniform, I.GlorotNormal,
          I.HeNormal, I.HeUniform, I.LecunNormal, I.LecunUniform, I.Orthogonal,
          lambda seed: I.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=seed)]


@pytest.mark.parametrize("make", SEEDED, ids=[getattr(c, "__name__", "VS") for c in SEEDED])
def test_seeded_initializers_are_deterministic(make):
    a = make(seed=11)((5, 4))
    np.testing.assert_array_equal(a, make(seed=11)((5, 4)))
    init = make(seed=11)
    np.testing.assert_array_equal(init((5, 4)), init((5, 4)))  # as tf.keras: same every call
    assert not np.array_equal(a, make(seed=12)((5, 4)))


def test_unseeded_initializers_follow_the_global_seed():
    gk_random.set_seed(5)
    try:
        first = [I.GlorotUniform()((3, 3)), I.GlorotUniform()((3, 3))]
        assert not np.array_equal(first[0], first[1])  # the shared generator advances
        gk_random.set_seed(5)
        second = [I.GlorotUniform()((3, 3)), I.GlorotUniform()((3, 3))]
    finally:
        gk_random.set_seed(None)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


ALL = [I.Zeros(), I.Ones(), I.Constant(0.5), I.RandomNormal(0.1, 0.2, seed=1),
       I.RandomUniform(-1.0, 2.0, seed=2), I.TruncatedNormal(0.0, 0.3, seed=3),
       I.VarianceScaling(2.0, "fan_avg", "uniform", seed=4), I.Orthogonal(1.5, seed=5),
       I.Identity(2.0), I.GlorotUniform(seed=6), I.GlorotNormal(seed=7), I.HeNormal(seed=8),
       I.HeUniform(seed=9), I.LecunNormal(seed=10), I.LecunUniform(seed=11)]


@pytest.mark.parametrize("init", ALL, ids=[type(i).__name__ for i in ALL])
def test_config_round_trip(init):
    config = I.serialize(init)
    assert config["class_name"] == type(init).__name__
    again = I.deserialize(config)
    assert type(again) is type(init)
    assert again.get_config() == init.get_config()
    again2 = type(init).from_config(init.get_config())
    np.testing.assert_array_equal(again2((4, 4)), init((4, 4)))
    np.testing.assert_array_equal(I.get(config)((4, 4)), init((4, 4)))


@pytest.mark.parametrize("name,cls", [
    ("zeros", I.Zeros), ("zero", I.Zeros), ("ones", I.Ones), ("one", I.Ones),
    ("constant", I.Constant), ("uniform", I.RandomUniform), ("normal", I.RandomNormal),
    ("random_normal", I.RandomNormal), ("random_uniform", I.RandomUniform),
    ("truncated_normal", I.TruncatedNormal), ("orthogonal", I.Orthogonal),
    ("identity", I.Identity), ("glorot_uniform", I.GlorotUniform),
    ("glorot_normal", I.GlorotNormal), ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform),
    ("lecun_normal", I.LecunNormal), ("lecun_uniform", I.LecunUniform),
    ("variance_scaling", I.VarianceScaling), ("GlorotUniform", I.GlorotUniform),
])
def test_get_by_name(name, cls):
    assert type(I.get(name)) is cls


def test_get_other_identifiers():
    assert I.get(None) is None
    assert type(I.get(I.HeNormal)) is I.HeNormal
    init = I.Ones()
    assert I.get(init) is init
    fn = lambda shape, dtype=None: np.zeros(shape)  # noqa: E731
    assert I.get(fn) is fn
    with pytest.raises(ValueError, match="'foo'"):
        I.get("foo")
    with pytest.raises(ValueError):
        I.get(42)
