"""Process-wide Keras state: auto-name counters and the learning phase."""
import re
from collections import defaultdict

_counters = defaultdict(int)
_learning_phase = {"value": None}
_reset_hooks = []


def to_snake_case(name):
    """'Conv2DTranspose' -> 'conv2d_transpose', as Keras derives default names."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return "private" + s if s.startswith("_") else s


def unique_name(base, zero_based=True):
    """Next free name for `base`: 'dense', 'dense_1', ... (or 'input_1', ... one-based)."""
    n = _counters[base]
    _counters[base] += 1
    if zero_based:
        return base if n == 0 else "%s_%d" % (base, n)
    return "%s_%d" % (base, n + 1)


def learning_phase_value():
    """The learning phase set with set_learning_phase (0/1), or None when unset."""
    return _learning_phase["value"]


def set_learning_phase_value(value):
    if value not in (0, 1, None):
        raise ValueError("Expected learning phase to be 0 or 1, got %r." % (value,))
    _learning_phase["value"] = value


def on_clear_session(hook):
    """Registers a callable run by clear_session (caches elsewhere reset themselves)."""
    _reset_hooks.append(hook)


def clear_session():
    """Resets auto-name counters, the learning phase and registered caches."""
    _counters.clear()
    _learning_phase["value"] = None
    for hook in _reset_hooks:
        hook()
