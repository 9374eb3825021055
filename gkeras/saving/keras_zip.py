"""The `.keras` archive (Keras 3 / tf-keras "v3" format) and `.weights.h5` files.

Layout, as tf-keras 2.21 writes it (checked against its files):

* a zip (entries stored, not compressed) holding `metadata.json`
  (`{"keras_version", "date_saved"}`), `config.json` (the model serialised with
  `module` / `registered_name` / `build_config` keys, plus a `compile_config` with the
  arguments of `compile`) and `model.weights.h5`;
* `model.weights.h5`: a `vars` group per object. The model's own variables are in
  `vars`; each layer of `model.layers` is `layers/<class name in snake_case>` (a
  second Dense is `layers/dense_1`, whatever the layer's name), its variables
  `layers/dense/vars/0`, `.../1` in creation order (trainable, then non-trainable); a
  nested model's layers are under `layers/<model>/layers/...`; the optimizer's
  variables (iteration first) are `optimizer/vars/0`, ... tf-keras also stores its
  metric objects' counters under `metrics/`; gkeras neither writes nor needs them.

A `.weights.h5` file is the same HDF5 content on its own (no optimizer).
"""
import datetime
import io
import json
import os
import re
import warnings
import zipfile

from .hdf5_format import (ModelFileError, _h5py, atomic_write, dumps, read_dataset,
                          weight_budget_of)

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
MAX_CONFIG_BYTES = 64 * 1024 * 1024
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------- naming
def to_snake_case(name):
    """tf-keras's `generic_utils.to_snake_case` (Conv2DTranspose -> conv2d_transpose)."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def _keras_class_name(layer):
    from .serialization import model_class_name
    from ..engine.training import Model
    return model_class_name(layer) if isinstance(layer, Model) else type(layer).__name__


def _is_model(layer):
    from ..engine.network import Network
    return isinstance(layer, Network)


def layer_paths(model, prefix="", visited=None):
    """[(path, layer)] in tf-keras's order: model.layers, nested models depth first."""
    visited = set() if visited is None else visited
    visited.add(id(model))
    out, used = [], {}
    for layer in model.layers:
        if id(layer) in visited:
            continue
        name = to_snake_case(_keras_class_name(layer))
        if name in used:
            used[name] += 1
            name = "%s_%d" % (name, used[name])
        else:
            used[name] = 0
        path = "%slayers/%s" % (prefix, name)
        visited.add(id(layer))
        out.append((path, layer))
        if _is_model(layer):
            out += layer_paths(layer, path + "/", visited)
    return out


def _own_weights(layer):
    return list(layer._trainable_weights) + list(layer._non_trainable_weights)


# ---------------------------------------------------------------------- config
def _shape_list(shapes):
    if len(shapes) == 1:
        return list(shapes[0])
    return [list(s) for s in shapes]


def _build_config(layer):
    nodes = getattr(layer, "_inbound_nodes", [])
    if not nodes or not nodes[0].input_tensors:
        return None
    return {"input_shape": _shape_list(nodes[0].input_shapes)}


def _entry_head(layer):
    class_name = _keras_class_name(layer)
    if class_name == "Functional":
        return {"module": "tf_keras.src.engine.functional", "class_name": class_name}, \
            "Functional"
    if class_name == "Sequential":
        return {"module": "keras", "class_name": class_name}, None
    from .. import layers as layers_module
    module = "keras.layers" if getattr(layers_module, class_name, None) is type(layer) \
        else type(layer).__module__
    return {"module": module, "class_name": class_name}, None


def _new_style_entry(layer, legacy_entry):
    if layer is None:  # a Sequential's InputLayer
        head, registered = {"module": "keras.layers",
                            "class_name": legacy_entry["class_name"]}, None
    else:
        head, registered = _entry_head(layer)
    entry = dict(head)
    config = legacy_entry["config"]
    if layer is not None and _is_model(layer):
        config = _new_style_model_config(layer, config)
    entry["config"] = config
    entry["registered_name"] = registered
    build = None
    if layer is not None and type(layer).__name__ != "InputLayer":
        build = _build_config(layer)
    if build is not None:
        entry["build_config"] = build
    for key in ("name", "inbound_nodes"):
        if key in legacy_entry:
            entry[key] = legacy_entry[key]
    return entry


def _new_style_model_config(model, config):
    """A model's get_config with each layer entry in tf-keras's new serialised form."""
    if not isinstance(config, dict) or "layers" not in config:
        return config
    by_name = {layer.name: layer for layer in model.layers}
    if getattr(model, "_is_graph_network", False):
        for t in model.inputs:
            by_name.setdefault(t._keras_history[0].name, t._keras_history[0])
    out = dict(config)
    entries = []
    for entry in config["layers"]:
        name = entry.get("name", entry["config"].get("name"))
        entries.append(_new_style_entry(by_name.get(name), entry))
    out["layers"] = entries
    return out


def model_config(model, include_optimizer=True):
    """config.json's content for `model`."""
    head, registered = _entry_head(model)
    config = dict(head)
    config["config"] = _new_style_model_config(model, model.get_config())
    config["registered_name"] = registered
    if getattr(model, "_is_graph_network", False):
        config["build_config"] = {"input_shape": _shape_list([t.shape for t in model.inputs])}
    if include_optimizer and getattr(model, "_compiled", False) and model.optimizer:
        from .saving_utils import compile_config
        config["compile_config"] = compile_config(model)
    return config


# ---------------------------------------------------------------------- weights
def _write_vars(h5, path, weights):
    group = h5.create_group(path + "/vars" if path else "vars")
    for i, w in enumerate(weights):
        value = w.numpy()
        dset = group.create_dataset(str(i), value.shape, dtype=value.dtype)
        if value.shape:
            dset[:] = value
        else:
            dset[()] = value


def write_weights(h5, model, include_optimizer=True):
    _write_vars(h5, "", _own_weights(model))
    if include_optimizer and getattr(model, "_compiled", False) and model.optimizer:
        _write_vars(h5, "optimizer", list(model.optimizer.weights))
    for path, layer in layer_paths(model):
        _write_vars(h5, path, _own_weights(layer))


def _vars_group(h5, path):
    key = path + "/vars" if path else "vars"
    if key not in h5:
        return None
    return h5[key]


def _read_vars(group, weights, what):
    """Values for `weights` from a `vars` group, checking count and shapes first."""
    names = list(group.keys()) if group is not None else []
    if len(names) != len(weights):
        raise ModelFileError("%s expected %d variables, but the file has %d."
                             % (what, len(weights), len(names)))
    values = []
    for i, w in enumerate(weights):
        if str(i) not in group or not hasattr(group[str(i)], "shape"):
            raise ModelFileError("%s: variable %d is missing from the file." % (what, i))
        values.append(read_dataset(group[str(i)], w.shape, what=what + " variable"))
    return values


def read_weights(h5, model, skip_mismatch=False):
    """Loads layer variables from a v3 weights file into `model`."""
    assignments = []
    for path, layer in layer_paths(model):
        weights = _own_weights(layer)
        group = _vars_group(h5, path)
        if group is None and not weights:
            continue
        try:
            values = _read_vars(group, weights, "Layer %r (%s)" % (layer.name, path))
        except ModelFileError as e:
            if skip_mismatch:
                warnings.warn("Skipping loading of weights for layer %r: %s" % (layer.name, e))
                continue
            raise
        assignments += list(zip(weights, values))
    for w, v in assignments:
        w.assign(v)


def read_optimizer(h5, model):
    optimizer = model.optimizer
    optimizer.build(model._collected_trainable_weights or model.trainable_weights)
    group = _vars_group(h5, "optimizer")
    if group is None:
        return
    targets = list(optimizer.weights)
    if len(group.keys()) == 1 and len(targets) > 1:  # saved before any step: iteration only
        targets = targets[:1]
    if len(group.keys()) != len(targets):
        warnings.warn("Skipping variable loading for optimizer %r, because it has %d variables "
                      "whereas the saved optimizer has %d variables."
                      % (optimizer.name, len(targets), len(group.keys())))
        return
    for w, v in zip(targets, _read_vars(group, targets, "Optimizer %r" % optimizer.name)):
        w.assign(v)


# ---------------------------------------------------------------------- archives
def _metadata():
    from .. import __version__
    return {"keras_version": str(__version__),
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}


def _weights_bytes(model, include_optimizer):
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        write_weights(h5, model, include_optimizer)
    return buffer.getvalue()


def _zip_entry(name):
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    return info


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Writes a `.keras` archive, atomically."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError("%r exists and overwrite=False." % (os.fspath(filepath),))
    config = dumps(model_config(model, include_optimizer))
    weights = _weights_bytes(model, include_optimizer)
    with atomic_write(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(_zip_entry(METADATA_FILENAME), json.dumps(_metadata()))
            zf.writestr(_zip_entry(CONFIG_FILENAME), config)
            zf.writestr(_zip_entry(WEIGHTS_FILENAME), weights)


def _open_zip(filepath):
    if os.path.isdir(filepath):
        raise ModelFileError("%r is a directory, not a .keras archive." % (filepath,))
    try:
        return zipfile.ZipFile(filepath, "r")
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ModelFileError("Cannot read %r as a .keras archive (a zip file): %s. Is the file "
                             "complete?" % (os.fspath(filepath), e)) from None


def _read_member(zf, name, limit):
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError("The archive has no %r: it is not a Keras model archive."
                             % (name,)) from None
    if info.file_size > limit:
        raise ModelFileError("%r in the archive is %d bytes, over the %d-byte limit."
                             % (name, info.file_size, limit))
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ModelFileError("%r in the archive is over the %d-byte limit." % (name, limit))
    try:
        return data.decode("utf8")
    except UnicodeDecodeError:
        raise ModelFileError("%r in the archive is not UTF-8 text." % (name,)) from None


def _open_weights(zf):
    h5py = _h5py()
    if WEIGHTS_FILENAME not in zf.namelist():
        if "model.weights.npz" in zf.namelist():
            raise ModelFileError("The archive stores its weights as model.weights.npz; gkeras "
                                 "reads the HDF5 variant (model.weights.h5).")
        raise ModelFileError("The archive has no %s." % (WEIGHTS_FILENAME,))
    member = zf.open(WEIGHTS_FILENAME)
    try:
        return h5py.File(member, "r")
    except OSError as e:
        member.close()
        raise ModelFileError("The archive's %s is not a readable HDF5 file (%s)."
                             % (WEIGHTS_FILENAME, e)) from None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds, fills and compiles a model from a `.keras` archive."""
    from . import saving_utils, serialization
    from ..engine.base_layer import weight_budget
    with _open_zip(filepath) as zf:
        text = _read_member(zf, CONFIG_FILENAME, MAX_CONFIG_BYTES)
        config = serialization.decode_json(text, CONFIG_FILENAME)
        if not isinstance(config, dict):
            raise ModelFileError("%s holds %s, not a model." % (CONFIG_FILENAME,
                                                               type(config).__name__))
        with _open_weights(zf) as h5:
            # the weights are counted first: the config may not ask for more
            with weight_budget(weight_budget_of(h5), repr(getattr(filepath, "name",
                                                                  filepath))):
                model = serialization.model_from_file_config(
                    {"class_name": config.get("class_name"), "config": config.get("config")},
                    custom_objects, safe_mode)
                build = config.get("build_config")
                if not model.built and isinstance(build, dict) and build.get("input_shape"):
                    model.build(tuple(build["input_shape"]))
            compile_cfg = config.get("compile_config") if compile else None
            if compile_cfg:
                saving_utils.compile_from_training_config(model, compile_cfg, custom_objects)
            read_weights(h5, model)
            if compile_cfg:
                read_optimizer(h5, model)
    return model


def save_weights_only(model, filepath):
    """`model.save_weights('x.weights.h5')`: the v3 weights layout, atomically."""
    h5py = _h5py()
    with atomic_write(filepath) as tmp:
        with h5py.File(tmp, "w") as h5:
            write_weights(h5, model, include_optimizer=False)


def load_weights_only(model, filepath, skip_mismatch=False):
    """`model.load_weights` for `.weights.h5` files and `.keras` archives."""
    from .hdf5_format import open_for_reading
    if os.fspath(filepath).endswith(".keras"):
        with _open_zip(filepath) as zf, _open_weights(zf) as h5:
            read_weights(h5, model, skip_mismatch)
        return
    with open_for_reading(filepath) as h5:
        read_weights(h5, model, skip_mismatch)
