"""Keras's generic utilities: the object registry, (de)serialisation, Progbar re-export.

Deserialisation only looks names up in registries (built-in modules plus
`custom_objects`); it never evaluates or unmarshals code.
"""
import contextlib
import inspect

from .progbar import Progbar  # noqa: F401 - Keras 2 import path

_GLOBAL_CUSTOM_OBJECTS = {}
_SCOPES = []


def get_custom_objects():
    """The global dict of user-registered objects (mutable, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*scopes):
    """Makes the given dicts of custom objects visible to deserialisation."""
    merged = {}
    for s in scopes:
        merged.update(s or {})
    _SCOPES.append(merged)
    try:
        yield merged
    finally:
        _SCOPES.pop()


def _lookup(name, module_objects, custom_objects):
    for scope in [custom_objects or {}] + list(reversed(_SCOPES)) + [_GLOBAL_CUSTOM_OBJECTS]:
        if name in scope:
            return scope[name]
    found = module_objects.get(name)
    # registries built from a module's globals also hold imported modules: never return those
    return None if inspect.ismodule(found) else found


def serialize_keras_object(instance):
    """{'class_name': ..., 'config': ...} for objects with get_config, else the name."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": type(instance).__name__, "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return instance.__name__
    raise ValueError("Cannot serialize %r: it has neither get_config nor a __name__" % (instance,))


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """Turns a name or a {'class_name', 'config'} dict back into an object.

    Raises:
        ValueError: naming the unknown class or function and suggesting
            `custom_objects`.
    """
    module_objects = module_objects or {}
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError("Improper config format for %s: %r (expected a dict with "
                             "'class_name' and 'config')" % (printable_module_name, identifier))
        class_name = identifier["class_name"]
        cls = _lookup(class_name, module_objects, custom_objects) \
            if isinstance(class_name, str) else None
        if cls is not None and cls is module_objects.get(class_name) and not (
                inspect.isclass(cls) or hasattr(cls, "from_config")):
            cls = None  # a built-in {'class_name', 'config'} names a class, never a function
        if cls is None:
            raise ValueError(
                "Unknown %s: %r. Please ensure this object is passed to the "
                "`custom_objects` argument." % (printable_module_name, class_name))
        config = identifier["config"]
        if hasattr(cls, "from_config"):
            arg_spec = inspect.signature(cls.from_config).parameters
            if "custom_objects" in arg_spec:
                return cls.from_config(config, custom_objects=custom_objects)
            with custom_object_scope(custom_objects or {}):
                return cls.from_config(config)
        with custom_object_scope(custom_objects or {}):
            return cls(**config)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            known = sorted(k for k in module_objects if not k[0].isupper())
            hint = ("Expected one of %s, or pass it in `custom_objects`." % ", ".join(known)
                    if 0 < len(known) <= 40 else
                    "Please ensure this object is passed to the `custom_objects` argument.")
            raise ValueError("Unknown %s: %r. %s" % (printable_module_name, identifier, hint))
        return obj
    raise ValueError("Could not interpret serialized %s: %r"
                     % (printable_module_name, identifier))


def get_object(identifier, deserialize, kind):
    """The `get` of initializers, regularizers and constraints.

    None stays None; a name or a config dict is deserialised (a class found by name is
    instantiated with its defaults); a class is instantiated; a callable is returned as is.

    Raises:
        ValueError: for anything else, naming the kind of object expected.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (dict, str)):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret %s identifier: %r" % (kind, identifier))


def has_arg(fn, name, accept_all=False):
    """Whether callable `fn` accepts an argument called `name`."""
    params = inspect.signature(fn).parameters
    if accept_all and any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return True
    return name in params


def to_list(x, allow_tuple=False):
    """Wraps a single value in a list; lists (and tuples if allowed) pass through."""
    if isinstance(x, list) or (allow_tuple and isinstance(x, tuple)):
        return list(x)
    return [x]


def unpack_singleton(x):
    """x[0] when x is a one-element list, else x."""
    return x[0] if isinstance(x, list) and len(x) == 1 else x


def slice_arrays(arrays, start=None, stop=None):
    """Slices an array or list of arrays; `start` may be an index array."""
    if arrays is None:
        return [None]
    if isinstance(arrays, list):
        if hasattr(start, "__len__"):
            return [None if a is None else a[start] for a in arrays]
        return [None if a is None else a[start:stop] for a in arrays]
    if hasattr(start, "__len__"):
        return arrays[start]
    return arrays[start:stop]


def func_dump(func):
    """Keras's serialisation of a Python function: (base64 bytecode, defaults, closure)."""
    import codecs
    import marshal
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code, defaults=None, closure=None, globs=None):
    """Rebuilds a function from `func_dump` output. This RUNS code: only for trusted data."""
    import codecs
    import marshal
    import types
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
        if isinstance(defaults, list):
            defaults = tuple(defaults)

    def make_cell(value):
        return (lambda: value).__closure__[0]

    raw = codecs.decode(code.encode("ascii"), "base64")
    code = marshal.loads(raw)
    if closure is not None:
        closure = tuple(make_cell(c) for c in closure)
    return types.FunctionType(code, globs if globs is not None else globals(), name=code.co_name,
                              argdefs=defaults, closure=closure)
