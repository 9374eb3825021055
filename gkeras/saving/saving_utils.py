"""What a saved model records besides its layers: the training configuration and the
optimizer state, in the forms tf-keras writes and reads.

* `training_config` (HDF5 files): `loss`, `metrics` and `weighted_metrics` (one list
  per output of `{"class_name": "MeanMetricWrapper", "config": {"name", "dtype",
  "fn"}}` entries, 'accuracy' resolved to the function Keras picks), `loss_weights`,
  `optimizer_config` (`{"class_name": "Custom>Adam", "config": ...}` as tf-keras
  names its optimizers).
* `compile_config` (`.keras` archives): the arguments of `compile` as the user gave them.

Reading accepts both, plus Keras 2.2's training configs and tf-keras's loss and
metric objects, and turns them back into `compile` arguments without importing or
running anything named by the file.
"""
import re
import warnings

from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..utils import generic_utils
from .hdf5_format import ModelFileError, read_dataset

_GKERAS_OPTIMIZERS = set(optimizers_module._CLASSES)


# ---------------------------------------------------------------------- writing
def model_metadata(model, include_optimizer=True):
    """The root attributes of a model file, in tf-keras's order."""
    from .. import __version__
    from ..backend import backend
    from .serialization import model_class_name
    metadata = {"keras_version": str(__version__), "backend": backend(),
                "model_config": {"class_name": model_class_name(model),
                                 "config": model.get_config()}}
    if include_optimizer and getattr(model, "optimizer", None) is not None \
            and getattr(model, "_compiled", False):
        metadata["training_config"] = training_config(model)
    return metadata


def optimizer_class_name(optimizer, registered=True):
    """'Custom>Adam' for gkeras's optimizers, as tf-keras names its current ones."""
    name = type(optimizer).__name__
    if registered and type(optimizer) in _GKERAS_OPTIMIZERS:
        return "Custom>" + name
    return name


def training_config(model):
    """tf-keras's `training_config` for a compiled model."""
    cc = model._compile_config
    metrics = weighted = None
    if cc.get("metrics") is not None:
        metrics = _serialized_metrics(model, weighted=False)
    if cc.get("weighted_metrics") is not None:
        weighted = _serialized_metrics(model, weighted=True)
    return {"loss": _serialize_loss_spec(cc.get("loss")), "metrics": metrics,
            "weighted_metrics": weighted, "loss_weights": cc.get("loss_weights"),
            "optimizer_config": {"class_name": optimizer_class_name(model.optimizer),
                                 "config": model.optimizer.get_config()}}


def _serialize_loss_spec(spec):
    if isinstance(spec, dict) and not ("class_name" in spec and "config" in spec):
        return {k: _serialize_loss_spec(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_serialize_loss_spec(v) for v in spec]
    return serialize_loss(spec)


def serialize_loss(loss):
    if loss is None or isinstance(loss, (str, dict)):
        return loss
    if isinstance(loss, losses_module.Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if hasattr(loss, "get_config"):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return getattr(loss, "__name__", None) or type(loss).__name__


def _resolved_fn(model, output_index, fn):
    """'accuracy' -> the function Keras picks assuming targets shaped like the output."""
    if isinstance(fn, str):
        shape = model.outputs[output_index].shape
        return metrics_module.accuracy_for(shape, len(shape), shape[-1])
    return fn


def _serialized_metrics(model, weighted):
    per_output = [[] for _ in model.output_names]
    for i, name, fn, is_weighted in model._metrics.entries:
        if is_weighted != weighted:
            continue
        per_output[i].append(_serialize_metric(name, _resolved_fn(model, i, fn)))
    return [entries if entries else [None] for entries in per_output]


def _serialize_metric(name, fn):
    if isinstance(fn, metrics_module.MeanMetricWrapper):
        config = dict(fn.get_config(), name=name)
        if type(fn) is metrics_module.MeanMetricWrapper:
            config["fn"] = getattr(fn._fn, "__name__", type(fn._fn).__name__)
            return {"class_name": "MeanMetricWrapper", "config": config}
        return {"class_name": type(fn).__name__, "config": config}
    if hasattr(fn, "get_config"):
        return {"class_name": type(fn).__name__, "config": dict(fn.get_config(), name=name)}
    return {"class_name": "MeanMetricWrapper",
            "config": {"name": name, "dtype": "float32",
                       "fn": getattr(fn, "__name__", type(fn).__name__)}}


def compile_config(model):
    """The `.keras` archive's compile_config: compile's arguments as the user gave them."""
    cc = model._compile_config

    def plain(spec, serialize_one):
        if isinstance(spec, dict) and not ("class_name" in spec and "config" in spec):
            return {k: plain(v, serialize_one) for k, v in spec.items()}
        if isinstance(spec, (list, tuple)):
            return [plain(v, serialize_one) for v in spec]
        return serialize_one(spec)

    def metric_one(m):
        if m is None or isinstance(m, str):
            return m
        if hasattr(m, "get_config"):
            return {"module": "keras.metrics", "class_name": type(m).__name__,
                    "config": m.get_config(), "registered_name": None}
        return getattr(m, "__name__", type(m).__name__)

    def loss_one(loss):
        out = serialize_loss(loss)
        if isinstance(out, dict) and "module" not in out:
            out = {"module": "keras.losses", "class_name": out["class_name"],
                   "config": out["config"], "registered_name": None}
        return out

    return {"optimizer": {"module": "keras.optimizers",
                          "class_name": optimizer_class_name(model.optimizer, registered=False),
                          "config": model.optimizer.get_config(), "registered_name": None},
            "loss": plain(cc.get("loss"), loss_one),
            "metrics": plain(cc.get("metrics"), metric_one),
            "loss_weights": cc.get("loss_weights"),
            "weighted_metrics": plain(cc.get("weighted_metrics"), metric_one),
            "run_eagerly": None, "steps_per_execution": None, "jit_compile": None}


# ---------------------------------------------------------------------- reading
def _strip_new_style(identifier):
    """{'class_name', 'config'} of a Keras 2.13+ serialised object (module etc. dropped)."""
    if isinstance(identifier, dict) and "class_name" in identifier:
        if identifier.get("class_name") == "function" and isinstance(
                identifier.get("config"), str):  # a function serialised by name
            return identifier["config"]
        config = identifier.get("config")
        if not isinstance(config, dict):
            raise ModelFileError("Malformed serialised object in the training config: %r"
                                 % (identifier,))
        return {"class_name": identifier["class_name"], "config": dict(config)}
    return identifier


def _loss_from_config(entry):
    entry = _strip_new_style(entry)
    if entry is None or isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and "class_name" in entry:
        config = entry["config"]
        fn = config.pop("fn", None)
        if entry["class_name"] == "LossFunctionWrapper":  # tf-keras's wrapper of a function
            return fn
        return losses_module.get(entry)
    raise ModelFileError("Cannot read the loss %r in the training config." % (entry,))


def _nested(spec, convert):
    """Applies `convert` to each object of a loss / metrics structure."""
    if spec is None:
        return None
    if isinstance(spec, str) or (isinstance(spec, dict) and "class_name" in spec):
        return convert(spec)
    if isinstance(spec, dict):
        return {k: _nested(v, convert) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_nested(v, convert) for v in spec]
    raise ModelFileError("Saved configuration not understood: %r (expected a dictionary, "
                         "string or list)." % (spec,))


def _metric_from_config(entry, prefix=""):
    """A compile() metric from a saved one; the output-name prefix tf-keras added to
    names is removed, and names Keras resolves itself ('accuracy') stay names."""
    entry = _strip_new_style(entry)
    if entry is None or isinstance(entry, str):
        return entry
    class_name, config = entry["class_name"], entry["config"]
    name = config.get("name")
    base = name[len(prefix):] if prefix and isinstance(name, str) and name.startswith(prefix) \
        else name
    if class_name == "MeanMetricWrapper":
        fn_name = config.pop("fn", None)
        if not isinstance(fn_name, str):
            raise ModelFileError("A MeanMetricWrapper in the training config names no "
                                 "function: %r" % (entry,))
        if base in ("accuracy", "acc", "crossentropy", "ce") or base == fn_name:
            return base
        fn = metrics_module.get(fn_name)
        try:
            if isinstance(base, str) and metrics_module.get(base) is fn:
                return base
        except ValueError:
            pass
        kwargs = {k: v for k, v in config.items() if k not in ("name", "dtype")}
        return metrics_module.MeanMetricWrapper(fn, name=base, dtype=config.get("dtype"),
                                                **kwargs)
    config.pop("fn", None)
    if base is not None:
        config["name"] = base
    return metrics_module.get({"class_name": class_name, "config": config})


def _metrics_from_config(spec, output_names):
    """Per-output lists (as tf-keras writes) or the user's structure (as given)."""
    if spec is None:
        return None
    multi = len(output_names) > 1
    if isinstance(spec, list) and len(spec) == len(output_names) and spec and all(
            isinstance(s, list) for s in spec):
        out = []
        for name, entries in zip(output_names, spec):
            prefix = name + "_" if multi else ""
            out.append([_metric_from_config(e, prefix) for e in entries if e is not None])
        return out
    return _nested(spec, _metric_from_config)


def compile_args(model, config, custom_objects=None):
    """compile() keyword arguments from a `training_config` or a `compile_config`."""
    if not isinstance(config, dict):
        raise ModelFileError("The training config is %r, not a dictionary." % (config,))
    optimizer_config = config.get("optimizer_config", config.get("optimizer"))
    if optimizer_config is None:
        raise ModelFileError("The training config names no optimizer (`optimizer_config`).")
    with generic_utils.custom_object_scope(custom_objects or {}):
        optimizer_config = _strip_new_style(optimizer_config)
        if isinstance(optimizer_config, dict):
            optimizer = optimizers_module.deserialize(optimizer_config,
                                                      custom_objects=custom_objects)
        else:
            optimizer = optimizers_module.get(optimizer_config)
        args = {"optimizer": optimizer,
                "loss": _nested(config.get("loss"), _loss_from_config),
                "metrics": _metrics_from_config(config.get("metrics"), model.output_names),
                "weighted_metrics": _metrics_from_config(config.get("weighted_metrics"),
                                                         model.output_names),
                "loss_weights": config.get("loss_weights")}
    if config.get("sample_weight_mode") is not None:
        args["sample_weight_mode"] = config["sample_weight_mode"]
    return args


def compile_from_training_config(model, config, custom_objects=None):
    """Compiles `model` as the saved config says (custom objects visible throughout)."""
    args = compile_args(model, config, custom_objects)
    with generic_utils.custom_object_scope(custom_objects or {}):
        model.compile(**args)
    return model


# ---------------------------------------------------------------------- optimizer state
# tf-keras's legacy (OptimizerV2) slot names for each of gkeras's slots.
_LEGACY_SLOTS = {
    "SGD": {"m": "momentum"},
    "RMSprop": {"velocity": "rms", "momentum": "momentum", "average_gradient": "mg"},
    "Adam": {"m": "m", "v": "v", "vhat": "vhat"},
    "Adagrad": {"accumulator": "accumulator"},
    "Adadelta": {"accumulated_grad": "accum_grad", "accumulated_delta_var": "accum_var"},
    "Adamax": {"m": "m", "u": "v"},
    "Nadam": {"m": "m", "v": "v"},
}
# Keras 2.0-2.2 (multi-backend) `optimizer.weights`: whether `iterations` comes first and
# the order of the per-variable groups (gkeras slot names; None = a group gkeras has no
# use for, e.g. Adam's vhats without amsgrad).
_KERAS22_LAYOUTS = {
    "SGD": [(True, ["m"])],
    "RMSprop": [(True, ["velocity"]), (False, ["velocity"])],
    "Adam": [(True, ["m", "v", "vhat"])],
    "Adagrad": [(True, ["accumulator"]), (False, ["accumulator"])],
    "Adadelta": [(True, ["accumulated_grad", "accumulated_delta_var"]),
                 (False, ["accumulated_grad", "accumulated_delta_var"])],
    "Adamax": [(True, ["m", "u"])],
}


def _slot_table(optimizer):
    """[(variable, slot name, slot Variable)] and the iterations Variable."""
    table = []
    for group in optimizer._slot_groups:
        for var in optimizer._var_list:
            for slot in group:
                table.append((var, slot, optimizer._slots[id(var)][slot]))
    return table


def restore_optimizer_state(model, names, datasets, keras_version=""):
    """Sets the compiled optimizer's state from a file's `optimizer_weights`.

    Matches the saved variables by name (tf-keras's current and legacy names), then
    by Keras 2.2's layout, then by position as tf-keras does; when nothing fits,
    warns and keeps a fresh optimizer (as tf-keras does).
    """
    optimizer = model.optimizer
    optimizer.build(model._collected_trainable_weights or model.trainable_weights)
    targets = list(optimizer.weights)
    plan = (_match_by_name(optimizer, names) or _match_legacy_names(optimizer, names)
            or _match_keras22(optimizer, datasets, keras_version)
            or _match_positional(targets, datasets))
    if plan is None:
        if len(datasets) == 1 and tuple(datasets[0].shape) == ():  # iterations only
            plan = {0: 0}
        else:
            warnings.warn("Could not restore the optimizer state from the file (%d saved "
                          "variables, the %s optimizer has %d); training continues with a "
                          "freshly initialised optimizer."
                          % (len(datasets), type(optimizer).__name__, len(targets)))
            return
    values = {}
    for target_index, saved_index in plan.items():
        target = targets[target_index]
        values[target_index] = read_dataset(datasets[saved_index], target.shape,
                                            what="Optimizer variable")
    for target_index, value in values.items():
        targets[target_index].assign(value)


def _match_by_name(optimizer, names):
    index = {n: i for i, n in enumerate(names)}
    targets = optimizer.weights
    if all(w.name in index for w in targets):
        return {i: index[w.name] for i, w in enumerate(targets)}
    return None


def _match_legacy_names(optimizer, names):
    slots = _LEGACY_SLOTS.get(type(optimizer).__name__)
    if slots is None:
        return None
    saved = {}
    iteration = None
    for i, name in enumerate(names):
        if re.fullmatch(r"(.*/)?iter(ations)?:0", name):
            iteration = i
            continue
        parts = name[:-2].split("/") if name.endswith(":0") else []
        if len(parts) >= 3:  # '<optimizer>/<layer>/<weight>/<slot>:0'
            saved[("/".join(parts[1:-1]), parts[-1])] = i
    if iteration is None or not saved:
        return None
    plan = {0: iteration}
    momentum_free = getattr(optimizer, "momentum", 1.0) == 0.0
    for k, (var, slot, _) in enumerate(_slot_table(optimizer)):
        key = (var.name.split(":")[0], slots.get(slot, slot))
        if key in saved:
            plan[k + 1] = saved[key]
        elif not (type(optimizer).__name__ == "SGD" and momentum_free):
            return None  # (plain SGD keeps no legacy slot; its `m` is not read)
    return plan


def _match_keras22(optimizer, datasets, keras_version):
    """Keras 2.0-2.2 files: iterations, then each slot kind for every variable in turn."""
    if not re.match(r"2\.[0-2]\.", keras_version or ""):
        return None
    table = _slot_table(optimizer)
    variables = optimizer._var_list
    n = len(variables)
    for has_iterations, order in _KERAS22_LAYOUTS.get(type(optimizer).__name__, []):
        if len(datasets) != int(has_iterations) + len(order) * n:
            continue
        plan, pos = {}, 0
        if has_iterations:
            plan[0] = 0
            pos = 1
        ok = True
        for slot in order:
            for var in variables:
                k = next((j for j, (v, s, _) in enumerate(table) if v is var and s == slot),
                         None)
                if k is not None:
                    if tuple(datasets[pos].shape) != tuple(var.shape):
                        ok = False
                    plan[k + 1] = pos
                pos += 1
        if ok:
            return plan
    return None


def _match_positional(targets, datasets):
    if len(targets) != len(datasets):
        return None
    if any(tuple(t.shape) != tuple(d.shape) for t, d in zip(targets, datasets)):
        return None
    return {i: i for i in range(len(targets))}
