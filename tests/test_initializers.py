"""gkeras.initializers: Keras 2's fan and limit formulas, determinism, configs, and the
distributions checked statistically on large samples (means, standard deviations, bounds
and Kolmogorov-Smirnov distances from Keras's formulas); Keras's per-layer defaults."""
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


# ---------------------------------------------------------------------------- statistics
#
# Large samples (60k-77k values) with fixed seeds. Each check allows 6 standard errors of
# the statistic (the sample mean: sigma / sqrt(n); the sample standard deviation: relative
# error sqrt((kurtosis - 1) / (4 n))), and a Kolmogorov-Smirnov distance against the exact
# distribution below the 1e-6 critical value sqrt(ln(2 / 1e-6) / (2 n)). With fixed seeds
# the outcomes are deterministic; the margins make them independent of the seed.

BIG = (200, 300)  # fan_in 200, fan_out 300
CONV = (5, 5, 64, 48)  # receptive field 25: fan_in 1600, fan_out 1200
KURTOSIS = {"uniform": 1.8, "normal": 3.0}


def _phi(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _truncated_std(a=2.0):
    """Standard deviation of a unit normal truncated to [-a, a]."""
    density = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    return math.sqrt(1.0 - 2 * a * density / (2 * _phi(a) - 1))


def _truncated_kurtosis(a=2.0):
    density = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = 2 * _phi(a) - 1
    m2 = 1.0 - 2 * a * density / mass
    m4 = 3.0 * m2 - 2 * a ** 3 * density / mass
    return m4 / m2 ** 2


TRUNC = _truncated_std()
KURTOSIS["truncated"] = _truncated_kurtosis()


def _cdf(kind, loc, scale):
    """CDF of uniform on [loc - scale, loc + scale), normal(loc, scale), or
    normal(loc, scale) truncated at +-2 scale."""
    if kind == "uniform":
        return lambda x: np.clip((x - (loc - scale)) / (2 * scale), 0.0, 1.0)
    erf = np.frompyfunc(math.erf, 1, 1)

    def normal(x):
        return 0.5 * (1.0 + erf((x - loc) / (scale * math.sqrt(2.0))).astype(np.float64))

    if kind == "normal":
        return normal
    lo, mass = _phi(-2.0), 2 * _phi(2.0) - 1
    return lambda x: np.clip((normal(x) - lo) / mass, 0.0, 1.0)


def assert_distribution(w, kind, loc, scale, expected_std):
    """Mean, standard deviation, bounds and KS distance of the sample `w`."""
    w = np.asarray(w, np.float64).ravel()
    n = w.size
    assert abs(w.mean() - loc) < 6 * expected_std / math.sqrt(n)
    rel_se = math.sqrt((KURTOSIS[kind] - 1) / (4 * n))
    assert abs(w.std() / expected_std - 1) < 6 * rel_se
    if kind == "uniform":
        assert w.min() >= loc - scale and w.max() < loc + scale
        assert w.max() > loc + scale * (1 - 40.0 / n)  # P(fail) ~ exp(-20)
        assert w.min() < loc - scale * (1 - 40.0 / n)
    elif kind == "truncated":
        assert np.abs(w - loc).max() <= 2 * scale * (1 + 1e-6)
        assert np.abs(w - loc).max() > 2 * scale * 0.99
    else:
        assert np.abs(w - loc).max() > 3.5 * scale  # untruncated tails are kept
    assert_ks(w, _cdf(kind, loc, scale))


def assert_ks(w, cdf):
    """Kolmogorov-Smirnov distance below its 1e-6 critical value."""
    xs = np.sort(np.asarray(w, np.float64).ravel())
    n = xs.size
    f = cdf(xs)
    ks = max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max())
    assert ks < math.sqrt(math.log(2 / 1e-6) / (2 * n)), ks


def test_truncation_constant_is_the_truncated_normal_std():
    """The 0.8796... Keras divides by is the std of a unit normal truncated at +-2."""
    assert TRUNC == pytest.approx(0.87962566103423978, rel=1e-12)


# (initializer, scale, mode, distribution): Keras's formulas
NAMED = [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"),
    ("glorot_normal", 1.0, "fan_avg", "truncated"),
    ("he_uniform", 2.0, "fan_in", "uniform"),
    ("he_normal", 2.0, "fan_in", "truncated"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"),
    ("lecun_normal", 1.0, "fan_in", "truncated"),
]


def _fan(shape, mode):
    fan_in, fan_out = I.compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]


def _expected(scale, mode, kind, shape):
    """(loc, scale parameter of the distribution, expected std) from Keras's formulas."""
    variance = scale / max(1.0, _fan(shape, mode))
    if kind == "uniform":
        limit = math.sqrt(3.0 * variance)  # e.g. glorot: sqrt(6 / (fan_in + fan_out))
        return 0.0, limit, limit / math.sqrt(3.0)
    if kind == "truncated":
        return 0.0, math.sqrt(variance) / TRUNC, math.sqrt(variance)
    return 0.0, math.sqrt(variance), math.sqrt(variance)


@pytest.mark.parametrize("shape", [BIG, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name,scale,mode,kind", NAMED, ids=[n[0] for n in NAMED])
def test_named_initializers_statistics(name, scale, mode, kind, shape):
    w = I.get({"class_name": name, "config": {"seed": 7}})(shape)
    assert w.shape == shape and w.dtype == np.float32
    loc, param, std = _expected(scale, mode, kind, shape)
    assert_distribution(w, kind, loc, param, std)


def test_glorot_uniform_limit_formula_with_receptive_fields():
    """Conv kernels: fan_in = kh*kw*in, fan_out = kh*kw*out (Keras's _compute_fans)."""
    w = I.GlorotUniform(seed=1)(CONV)
    limit = math.sqrt(6.0 / (5 * 5 * 64 + 5 * 5 * 48))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit
    w = I.HeUniform(seed=1)((7, 64, 256))  # Conv1D kernel
    limit = math.sqrt(6.0 / (7 * 64))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution,kind", [("uniform", "uniform"),
                                               ("truncated_normal", "truncated"),
                                               ("normal", "truncated"),
                                               ("untruncated_normal", "normal")])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_variance_scaling_statistics(mode, distribution, kind, scale):
    w = I.VarianceScaling(scale, mode, distribution, seed=3)(CONV)
    loc, param, std = _expected(scale, mode, kind, CONV)
    assert_distribution(w, kind, loc, param, std)


def test_random_normal_statistics():
    w = I.RandomNormal(mean=0.3, stddev=0.7, seed=4)(BIG)
    assert_distribution(w, "normal", 0.3, 0.7, 0.7)
    w = I.RandomNormal(seed=4)(BIG)  # Keras's defaults: mean 0, stddev 0.05
    assert_distribution(w, "normal", 0.0, 0.05, 0.05)


def test_random_uniform_statistics():
    w = I.RandomUniform(minval=-0.2, maxval=0.6, seed=5)(BIG)
    assert_distribution(w, "uniform", 0.2, 0.4, 0.8 / math.sqrt(12))
    w = I.RandomUniform(seed=5)(BIG)  # Keras's defaults: [-0.05, 0.05)
    assert_distribution(w, "uniform", 0.0, 0.05, 0.1 / math.sqrt(12))


def test_truncated_normal_statistics():
    """`stddev` is the untruncated one: values within mean +- 2 stddev, whose standard
    deviation is stddev * 0.8796 (Keras's TruncatedNormal)."""
    w = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=6)(BIG)
    assert_distribution(w, "truncated", 1.0, 0.5, 0.5 * TRUNC)
    w = I.TruncatedNormal(seed=6)(BIG)
    assert_distribution(w, "truncated", 0.0, 0.05, 0.05 * TRUNC)


@pytest.mark.parametrize("shape", [(300, 200), (200, 300), (3, 3, 16, 32), (64, 64)])
@pytest.mark.parametrize("gain", [1.0, 1.7])
def test_orthogonal_properties(shape, gain):
    """Q^T Q = gain^2 I on the flattened (prod(shape[:-1]), shape[-1]) matrix. The
    columns (rows when wider) of a random orthogonal matrix are uniform on the sphere,
    so the entries are close to normal with mean 0 and variance gain^2 / max(rows, cols)."""
    w = I.Orthogonal(gain=gain, seed=8)(shape).astype(np.float64)
    flat = w.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=2e-6 * gain ** 2)
    std = gain / math.sqrt(max(rows, cols))
    assert abs(flat.mean()) < 6 * std / math.sqrt(flat.size)
    assert_ks(flat, _cdf("normal", 0.0, std))


def test_orthogonal_is_not_always_the_same_matrix():
    a, b = I.Orthogonal(seed=1)((50, 50)), I.Orthogonal(seed=2)((50, 50))
    assert np.abs(a - b).max() > 0.1
    # and not biased to a positive diagonal beyond the sign convention's effect
    assert abs(np.linalg.det(a.astype(np.float64))) == pytest.approx(1.0, rel=1e-4)


def test_identity_and_constant():
    np.testing.assert_array_equal(I.Identity()((4, 4)), np.eye(4))
    np.testing.assert_array_equal(I.Identity(gain=0.5)((3, 5)), 0.5 * np.eye(3, 5))
    np.testing.assert_array_equal(I.get("identity")((5, 3)), np.eye(5, 3))
    c = I.Constant(value=-1.25)((20, 30), dtype="float64")
    assert c.dtype == np.float64 and np.all(c == -1.25)
    assert I.get({"class_name": "Constant", "config": {"value": 3}})((2,)).tolist() == [3, 3]
    assert I.Zeros()((3, 4)).sum() == 0 and I.Ones()((3, 4)).sum() == 12


# ---------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("make", SEEDED, ids=[getattr(c, "__name__", "VS") for c in SEEDED])
def test_seed_is_independent_of_the_global_generator(make):
    gk_random.set_seed(1)
    try:
        a = make(seed=21)((6, 7))
        gk_random.set_seed(2)
        I.GlorotUniform()((10, 10))  # advances the shared generator
        b = make(seed=21)((6, 7))
    finally:
        gk_random.set_seed(None)
    np.testing.assert_array_equal(a, b)


def test_seeded_float64_is_the_same_draw():
    init = I.GlorotNormal(seed=9)
    np.testing.assert_array_equal(init((30, 40), dtype="float64").astype(np.float32),
                                  init((30, 40)))


def test_layers_with_seeded_initializers_are_reproducible():
    from gkeras import layers

    def kernel():
        layer = layers.Dense(8, kernel_initializer=I.HeNormal(seed=5))
        layer.build((None, 6))
        return layer.get_weights()[0]

    np.testing.assert_array_equal(kernel(), kernel())


# ---------------------------------------------------------------------------- layer defaults


def _strip(config):
    """A tf-keras initializer config without the file-format keys of Keras 2.13+."""
    return {"class_name": config["class_name"], "config": config["config"]}


def _reference_layer_configs():
    import json
    import os
    here = os.path.join(os.path.dirname(__file__), "reference")
    with open(os.path.join(here, "core_reference.json")) as f:
        core = json.load(f)["layers"]
    with open(os.path.join(here, "parity_reference.json")) as f:
        bn = json.load(f)["batchnorm"]["config_2d"]
    return core["dense_relu_2d"]["config"], core["embedding"]["config"], bn


def test_layer_default_initializers_match_tf_keras_configs():
    """Dense: glorot_uniform kernel, zero bias; Embedding: uniform +-0.05;
    BatchNormalization: gamma ones, beta zeros, moving mean zeros, moving variance ones --
    compared with the configs tf-keras wrote."""
    from gkeras import layers
    dense_ref, embedding_ref, bn_ref = _reference_layer_configs()
    ours = layers.Dense(3).get_config()
    for key in ("kernel_initializer", "bias_initializer"):
        assert ours[key] == _strip(dense_ref[key])
    assert ours["kernel_initializer"]["class_name"] == "GlorotUniform"
    ours = layers.Embedding(7, 3).get_config()
    assert ours["embeddings_initializer"] == _strip(embedding_ref["embeddings_initializer"])
    ours = layers.BatchNormalization().get_config()
    for key in ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                "moving_variance_initializer"):
        assert ours[key] == _strip(bn_ref[key]), key
    for cls in (layers.Conv2D, layers.Conv2DTranspose, layers.Conv3D):
        config = cls(4, 3).get_config()
        assert config["kernel_initializer"] == {"class_name": "GlorotUniform",
                                                "config": {"seed": None}}
        assert config["bias_initializer"] == {"class_name": "Zeros", "config": {}}


def test_layer_default_weights_have_keras_distributions():
    from gkeras import layers
    gk_random.set_seed(11)
    try:
        dense = layers.Dense(300)
        dense.build((None, 200))
        kernel, bias = dense.get_weights()
        embedding = layers.Embedding(1000, 64)
        embedding.build((None, 5))
        conv = layers.Conv2D(48, (5, 5))
        conv.build((None, 9, 9, 64))
        bn = layers.BatchNormalization()
        bn.build((None, 10))
    finally:
        gk_random.set_seed(None)
    assert_distribution(kernel, "uniform", 0.0, math.sqrt(6.0 / 500), math.sqrt(2.0 / 500))
    assert np.all(bias == 0)
    (table,) = embedding.get_weights()
    assert_distribution(table, "uniform", 0.0, 0.05, 0.1 / math.sqrt(12))
    conv_kernel = conv.get_weights()[0]
    assert conv_kernel.shape == CONV
    loc, param, std = _expected(1.0, "fan_avg", "uniform", CONV)
    assert_distribution(conv_kernel, "uniform", loc, param, std)
    gamma, beta, mean, variance = bn.get_weights()
    assert np.all(gamma == 1) and np.all(beta == 0) and np.all(mean == 0)
    assert np.all(variance == 1)
