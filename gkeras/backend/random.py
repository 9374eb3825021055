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


class WordStream:
    """The next `total` 64-bit words of a PCG64 generator, readable in slices from any thread.

    `words(lo, hi)` returns words lo..hi of what one `random_raw(total)` call would have
    returned, so work split into blocks (on threads, in any order) draws exactly the
    numbers of the unsplit draw. Creating the stream moves the generator past them.
    Seen as uint32 (little-endian), the words are the stream `rng.random(dtype=float32)`
    draws from a fresh generator: low half first, as PCG64's buffered 32-bit output.
    """

    def __init__(self, rng, total):
        bits = rng.bit_generator
        if not isinstance(bits, numpy.random.PCG64):
            raise TypeError("WordStream needs a PCG64 generator, got %s" % type(bits).__name__)
        self._state = bits.state
        bits.advance(total)

    @staticmethod
    def supports(rng):
        """Whether `rng` is a numpy Generator over PCG64 (what `generator` makes)."""
        return (isinstance(rng, numpy.random.Generator)
                and isinstance(rng.bit_generator, numpy.random.PCG64))

    def words(self, lo, hi):
        bits = numpy.random.PCG64()
        bits.state = self._state
        bits.advance(lo)
        return bits.random_raw(hi - lo)

    def uint32(self, lo, hi):
        """uint32 values lo..hi of the stream (two per word)."""
        w = self.words(lo // 2, (hi + 1) // 2).view(numpy.uint32)
        return w[lo % 2:lo % 2 + (hi - lo)]


def uniform_at_least(rate):
    """The uint32 draw `r` gives float32 uniform (r >> 8) * 2**-24 >= float32(rate) iff r >= this.

    numpy's float32 uniform keeps the top 24 bits of a uint32, so the comparison with
    `rate` is exactly one integer comparison with the raw draw. None: nothing passes.
    """
    needed = int(numpy.ceil(float(numpy.float32(rate)) * (1 << 24)))  # exact: 24-bit grid
    needed = max(needed, 0) << 8
    return None if needed >= 1 << 32 else numpy.uint32(needed)
