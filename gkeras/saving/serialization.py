"""Config (de)serialisation of models and the safe-mode rule for Lambda code.

Loading a file runs inside `safe_mode()`: a Lambda whose function was stored
as bytecode is refused, and named functions resolve only through
`custom_objects` or gkeras's own modules — never by importing or unmarshalling
something the file names.
"""
import contextlib
import sys
import types

from ..utils import generic_utils

_state = {"safe_mode": False}


@contextlib.contextmanager
def safe_mode(enabled=True):
    """Within this scope, deserialisation refuses anything that would run stored code."""
    previous = _state["safe_mode"]
    _state["safe_mode"] = enabled
    try:
        yield
    finally:
        _state["safe_mode"] = previous


def in_safe_mode():
    return _state["safe_mode"]


def serialize_function(fn):
    """(value, type, module) as Keras's Lambda config stores a function."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        return generic_utils.func_dump(fn), "lambda", fn.__module__
    return fn.__name__, "function", getattr(fn, "__module__", None)


def resolve_lambda_function(config, custom_objects=None, key="function"):
    """The callable a Lambda config names; refuses stored bytecode in safe mode.

    Raises:
        ValueError: in safe mode for bytecode, or when a named function is unknown.
    """
    value = config.get(key)
    kind = config.get(key + "_type", "function")
    module_name = config.get("module" if key == "function" else key + "_module")
    if value is None or callable(value):
        return value
    if kind == "lambda":
        if in_safe_mode():
            raise ValueError(
                "Refusing to load Lambda layer %r: its function is stored as Python bytecode, "
                "and loading it would execute code from the file. If you trust the file, "
                "load it with `safe_mode=False`; better, define the function in your code "
                "and pass it via `custom_objects`." % (config.get("name"),))
        module = sys.modules.get(module_name or "")
        return generic_utils.func_load(value, globs=vars(module) if module else None)
    if kind == "raw":
        return value
    from .. import activations, backend
    objects = {name: getattr(backend, name) for name in dir(backend) if not name.startswith("_")}
    objects = {k: v for k, v in objects.items() if isinstance(v, types.FunctionType)}
    objects.update(activations._REGISTRY)
    if not in_safe_mode() and module_name in sys.modules:
        objects.update(vars(sys.modules[module_name]))
    return generic_utils.deserialize_keras_object(
        value, module_objects=objects, custom_objects=custom_objects,
        printable_module_name="function in Lambda layer")


def model_to_dict(model):
    """{'class_name', 'config', 'keras_version', 'backend'} as Keras's to_json writes."""
    from .. import __version__
    return {"class_name": _model_class_name(model), "config": model.get_config(),
            "keras_version": __version__, "backend": "gkeras"}


def _model_class_name(model):
    name = type(model).__name__
    return "Functional" if name == "Model" else name
