"""Random numbers for initializers, dropout and shuffling.

One process-wide generator per array module, reseeded by `set_seed`
(`gkeras.utils.set_random_seed`), so runs are reproducible.
"""
import numpy

from . import xp as _xp

_state = {"seed": None}
_generators = {}


def set_seed(seed):
    """Reseeds every generator (host and device)."""
    _generators.clear()
    _state["seed"] = None if seed is None else int(seed)


def generator(xp=None, seed=None):
    """A `Generator` for `xp`: the shared one, or a fresh one when `seed` is given."""
    xp = xp or _xp.xp()
    if seed is not None:
        return xp.random.default_rng(seed)
    key = xp.__name__
    if key not in _generators:
        _generators[key] = xp.random.default_rng(_state["seed"])
    return _generators[key]


def uniform(shape, rng=None, xp=None, dtype="float32"):
    """Uniform samples in [0, 1) from `rng` (default: the shared generator)."""
    rng = rng or generator(xp)
    return rng.random(size=shape, dtype=dtype)


def host_rng(seed=None):
    """A numpy Generator for host-side work (shuffling, initial weights)."""
    return generator(numpy, seed)
