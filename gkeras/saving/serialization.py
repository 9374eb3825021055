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


def model_class_name(model):
    """The class name Keras records: 'Functional' for a functional `Model`."""
    name = getattr(model, "_saved_class_name", None) or type(model).__name__
    return "Functional" if name == "Model" else name


_model_class_name = model_class_name


# ---------------------------------------------------------------------- reading files
MAX_CONFIG_DEPTH = 400
MODEL_CLASS_NAMES = ("Sequential", "Functional", "Model")


def decode_json(text, what="config"):
    """Parses JSON read from a file, refusing absurd nesting with a clear error.

    Raises:
        ValueError: for invalid JSON or nesting deeper than MAX_CONFIG_DEPTH.
    """
    import json
    from .hdf5_format import ModelFileError
    if _nesting_exceeds(text, MAX_CONFIG_DEPTH):
        raise ModelFileError("The %s is nested more than %d levels deep; refusing to parse it."
                             % (what, MAX_CONFIG_DEPTH))
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelFileError("The %s is nested too deeply to parse." % (what,)) from None
    except ValueError as e:
        raise ModelFileError("The %s is not valid JSON: %s" % (what, e)) from None


def _nesting_exceeds(text, limit):
    """Whether brackets outside JSON strings nest deeper than `limit` (one linear scan)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def model_from_file_config(config, custom_objects=None, safe_mode_enabled=True):
    """A model from a config read from a file: checked, in safe mode, never importing.

    Raises:
        ValueError: naming what is wrong (unknown classes suggest `custom_objects`).
    """
    from ..engine.training import Model
    from ..layers import deserialize
    from .hdf5_format import ModelFileError
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) \
            or "config" not in config:
        raise ModelFileError("The model config is not a {'class_name': ..., 'config': ...} "
                             "dictionary (got %s)." % (_describe(config),))
    class_name = config["class_name"]
    inner = config["config"]
    if class_name in MODEL_CLASS_NAMES:
        if class_name == "Sequential" and not isinstance(inner, (dict, list)):
            raise ModelFileError("The Sequential config is %s, not a dictionary."
                                 % (_describe(inner),))
        if class_name != "Sequential" and (not isinstance(inner, dict)
                                           or not isinstance(inner.get("layers"), list)):
            raise ModelFileError("The functional model config has no list of `layers`.")
    with safe_mode(safe_mode_enabled), generic_utils.custom_object_scope(custom_objects or {}):
        try:
            model = deserialize({"class_name": class_name, "config": inner},
                                custom_objects=custom_objects)
        except RecursionError:
            raise ModelFileError("The model config nests models too deeply.") from None
        except MemoryError:
            raise ModelFileError("The model config describes weights too large to allocate."
                                 ) from None
    if not isinstance(model, Model):
        raise ModelFileError("The model config describes a %s, not a model." % (class_name,))
    if isinstance(inner, dict) and inner.get("trainable") is False:
        model.trainable = False
    return model


def _describe(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
