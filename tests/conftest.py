"""Shared pytest fixtures: array-module selection and a clean Keras session per test."""
import numpy
import pytest

from gkeras.backend import clear_session
from gkeras.backend import xp as _xp


def pytest_collection_modifyitems(config, items):
    """Skips `gpu`-marked tests when no GPU is usable, saying why."""
    if _xp.is_gpu():
        return
    reason = "needs a usable GPU: " + _xp.device_description()
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fresh_session():
    """Every test starts with fresh auto-name counters and learning phase."""
    clear_session()
    yield
    clear_session()


@pytest.fixture
def xp():
    """The array module gkeras computes with (numpy here; CuPy on a GPU machine)."""
    return _xp.xp()


@pytest.fixture
def rng():
    """A seeded numpy Generator for test data."""
    return numpy.random.default_rng(1234)
