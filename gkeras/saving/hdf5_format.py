"""Keras's HDF5 layout, read and written: weights files and whole-model files.

Layout (as tf-keras 2.21 writes it, checked against its files):

* weights (`save_weights`, and the `model_weights` group of a model file): attributes
  `layer_names`, `backend`, `keras_version`; one subgroup per layer, created in order
  of layer name, with a `weight_names` attribute and one dataset per weight named
  like 'dense/kernel:0' (so the layer name appears twice in the path, and a nested
  model's group holds its layers' groups); a `top_level_model_weights` group for the
  model's own weights (none in gkeras). Weights are listed as Keras 2 did: trainable
  ones, then non-trainable ones. Lists of names are stored as variable-length strings,
  an empty list as an empty float64 array; lists over HDF5's 64 KB header limit are
  split into `name0`, `name1`, ...
* whole model (`model.save('x.h5')`): root attributes `keras_version`, `backend`,
  `model_config` (JSON), `training_config` (JSON, when compiled); the `model_weights`
  group above; an `optimizer_weights` group with `weight_names` (iteration first) and
  one dataset per optimizer variable.

Files are written to a temporary file in the target's folder and renamed over the
target only when complete, so a failure never leaves a half-written file in place of
a good one. Reading checks every shape before reading any data, so a hostile file
cannot make gkeras allocate what its headers claim.
"""
import contextlib
import json
import os
import tempfile
import warnings

import numpy

HDF5_OBJECT_HEADER_LIMIT = 64512
# A model_config/training_config attribute larger than this is refused (real configs
# of very deep models are a few MB).
MAX_JSON_ATTRIBUTE_BYTES = 64 * 1024 * 1024


class ModelFileError(ValueError):
    """A file that cannot be read as a Keras model or weights file (names the file)."""


def _h5py():
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a hard dependency
        raise ImportError("Saving and loading HDF5 files needs h5py: pip install h5py") from e
    return h5py


# ---------------------------------------------------------------------- attributes
def save_attributes(group, name, data):
    """Stores a list of strings as tf-keras does, split into chunks when too large."""
    data = [d.encode("utf8") if isinstance(d, str) else d for d in data]
    too_big = [d for d in data if len(d) > HDF5_OBJECT_HEADER_LIMIT]
    if too_big:
        raise RuntimeError("Attribute %r cannot be stored in HDF5: entries longer than %d bytes: "
                           "%s" % (name, HDF5_OBJECT_HEADER_LIMIT, too_big[:3]))
    array = numpy.asarray(data) if data else numpy.zeros((0,), dtype="float64")
    chunks = 1
    split = numpy.array_split(array, chunks)
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in split):
        chunks += 1
        split = numpy.array_split(array, chunks)
    if chunks == 1:
        # a list of bytes: h5py stores variable-length strings, as in tf-keras's files
        group.attrs[name] = data if data else array
    else:
        for i, chunk in enumerate(split):
            group.attrs["%s%d" % (name, i)] = chunk


def _as_string_list(values, group, name):
    values = numpy.asarray(values)
    if values.ndim != 1:
        raise ModelFileError("Attribute %r of %r is not a list of names." % (name, group.name))
    if values.size == 0:
        return []
    out = []
    for v in values.tolist():
        if isinstance(v, bytes):
            v = v.decode("utf8", errors="replace")
        if not isinstance(v, str):
            raise ModelFileError("Attribute %r of %r holds %r, not a name."
                                 % (name, group.name, v))
        out.append(v)
    return out


def load_attributes(group, name):
    """Reads a list of strings stored by `save_attributes` (bytes or str, split or not)."""
    if name in group.attrs:
        return _as_string_list(group.attrs[name], group, name)
    values, i = [], 0
    while "%s%d" % (name, i) in group.attrs:
        values.extend(_as_string_list(group.attrs["%s%d" % (name, i)], group, name))
        i += 1
    return values


def read_string_attribute(f, name, limit=None):
    """A scalar string attribute (str or bytes) as str, or None when absent."""
    limit = MAX_JSON_ATTRIBUTE_BYTES if limit is None else limit
    if name not in f.attrs:
        return None
    value = f.attrs[name]
    if isinstance(value, numpy.ndarray):
        if value.shape not in ((), (1,)):
            raise ModelFileError("Root attribute %r is an array of shape %s, not a string."
                                 % (name, value.shape))
        value = value.reshape(()).item()
    if isinstance(value, (bytes, numpy.bytes_)):
        if len(value) > limit:
            raise ModelFileError("Root attribute %r is %d bytes long, over the %d-byte limit."
                                 % (name, len(value), limit))
        value = bytes(value).decode("utf8")
    if not isinstance(value, str):
        raise ModelFileError("Root attribute %r holds %r, not a string." % (name, type(value)))
    if len(value) > limit:
        raise ModelFileError("Root attribute %r is %d characters long, over the limit of %d."
                             % (name, len(value), limit))
    return value


# ---------------------------------------------------------------------- weights
def _layer_weights(layer):
    """Keras's legacy order for files: trainable weights, then non-trainable ones."""
    return layer.trainable_weights + layer.non_trainable_weights


def _write_dataset(group, name, value):
    dset = group.create_dataset(name, value.shape, dtype=value.dtype)
    if value.shape:
        dset[:] = value
    else:
        dset[()] = value


def save_subset_weights_to_group(group, weights):
    """`weight_names` and one dataset per weight, as tf-keras writes a layer's group."""
    save_attributes(group, "weight_names", [w.name for w in weights])
    for w in weights:
        _write_dataset(group, w.name, w.numpy())


def save_weights_to_group(group, model_or_layers):
    """Writes the weights of a model (or a list of layers) into an open HDF5 group."""
    from .. import __version__
    from ..backend import backend
    layers = model_or_layers if isinstance(model_or_layers, (list, tuple)) \
        else model_or_layers.layers
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = backend().encode("utf8")
    group.attrs["keras_version"] = str(__version__).encode("utf8")
    for layer in sorted(layers, key=lambda lyr: lyr.name):
        save_subset_weights_to_group(group.create_group(layer.name), _layer_weights(layer))
    own = [] if isinstance(model_or_layers, (list, tuple)) else (
        list(model_or_layers._trainable_weights) + list(model_or_layers._non_trainable_weights))
    save_subset_weights_to_group(group.create_group("top_level_model_weights"), own)


def _layer_datasets(group, layer_name):
    """The datasets (not yet read) listed by a saved layer's `weight_names`."""
    if layer_name not in group:
        raise ModelFileError("The weights file lists layer %r in `layer_names` but has no "
                             "group for it: the file is corrupt or was not written by Keras."
                             % (layer_name,))
    g = group[layer_name]
    datasets = []
    for weight_name in load_attributes(g, "weight_names"):
        if weight_name not in g:
            raise ModelFileError("The weights file is missing dataset %r of layer %r."
                                 % (weight_name, layer_name))
        dset = g[weight_name]
        if not hasattr(dset, "shape") or not hasattr(dset, "dtype"):
            raise ModelFileError("%r of layer %r is not a dataset." % (weight_name, layer_name))
        datasets.append(dset)
    return datasets


def read_dataset(dset, expected_shape=None, what="weight"):
    """A dataset's values as a numpy array, refusing non-numeric data."""
    if expected_shape is not None and tuple(dset.shape) != tuple(expected_shape):
        raise ModelFileError("%s %r has shape %s in the file, expected %s."
                             % (what, dset.name, tuple(dset.shape), tuple(expected_shape)))
    if dset.dtype.kind not in "biuf":
        raise ModelFileError("%s %r holds %s data, not numbers." % (what, dset.name, dset.dtype))
    return numpy.asarray(dset[()])


# Weight values a model rebuilt from a file may create beyond what the file stores
# (`weight_budget_of`); and the most a stored dataset is trusted to be compressed.
WEIGHT_BUDGET_SLACK = 1 << 20
_MAX_COMPRESSION = 64


def weight_budget_of(group):
    """The weight values a model rebuilt from a file holding `group` may create.

    The values its datasets store, plus `WEIGHT_BUDGET_SLACK`: a dataset counts its
    declared size only as far as the bytes the file allocates to it could hold (at up to
    64x compression), so a small file declaring huge empty datasets buys no budget.
    """
    total = [WEIGHT_BUDGET_SLACK]

    def visit(_, obj):
        if isinstance(obj, _h5py().Dataset):
            declared = int(obj.size)
            allocated = int(obj.id.get_storage_size()) * _MAX_COMPRESSION
            total[0] += min(declared, allocated // max(obj.dtype.itemsize, 1))

    group.visititems(visit)
    return total[0]


def load_weights_from_group(group, layers, top_level_weights=None):
    """Topological loading: the i-th layer with weights gets the i-th saved layer's weights.

    Raises:
        ValueError: on a layer-count, weight-count or shape mismatch, naming both sides.
    """
    model_layers = [layer for layer in layers if _layer_weights(layer)]
    saved = []
    for name in load_attributes(group, "layer_names"):
        if name not in group:
            raise ModelFileError("The weights file lists layer %r in `layer_names` but has no "
                                 "group for it: the file is corrupt or was not written by "
                                 "Keras." % (name,))
        if load_attributes(group[name], "weight_names"):
            saved.append(name)
    if len(saved) != len(model_layers):
        raise ValueError("Layer count mismatch when loading weights from file. Model expected %d "
                         "layers, found %d saved layers." % (len(model_layers), len(saved)))
    pairs = []
    for k, (name, layer) in enumerate(zip(saved, model_layers)):
        datasets = _layer_datasets(group, name)
        weights = _layer_weights(layer)
        if len(datasets) != len(weights):
            raise ValueError("Weight count mismatch for layer #%d (named %s in the current model, "
                             "%s in the save file). Layer expects %d weight(s). Received %d saved "
                             "weight(s)" % (k, layer.name, name, len(weights), len(datasets)))
        for w, d in zip(weights, datasets):
            if tuple(w.shape) != tuple(d.shape):
                raise ValueError("Shape mismatch in layer #%d (named %s in the current model, %s "
                                 "in the save file) for weight %s. Weight expects shape %s. "
                                 "Received saved weight with shape %s"
                                 % (k, layer.name, name, w.name, w.shape, tuple(d.shape)))
            pairs.append((w, d))
    if "top_level_model_weights" in group:
        datasets = _layer_datasets(group, "top_level_model_weights")
        own = list(top_level_weights or [])
        if len(datasets) != len(own):
            raise ValueError("Weight count mismatch for top-level weights when loading weights "
                             "from file. Model expects %d top-level weight(s). Received %d saved "
                             "top-level weight(s)" % (len(own), len(datasets)))
        pairs += list(zip(own, datasets))
    _assign([(w, read_dataset(d, w.shape)) for w, d in pairs])


def load_weights_from_group_by_name(group, layers, skip_mismatch=False):
    """Loads only layers whose names match a saved layer; others keep their weights."""
    by_name = {}
    for layer in layers:
        by_name.setdefault(layer.name, []).append(layer)
    assignments = []
    for k, name in enumerate(load_attributes(group, "layer_names")):
        if name not in by_name:
            continue
        datasets = _layer_datasets(group, name)
        for layer in by_name[name]:
            weights = _layer_weights(layer)
            if len(datasets) != len(weights):
                message = ("Weight count mismatch for layer #%d (named %s). Layer expects %d "
                           "weight(s). Received %d saved weight(s)"
                           % (k, layer.name, len(weights), len(datasets)))
                if skip_mismatch:
                    warnings.warn("Skipping loading of weights: " + message)
                    continue
                raise ValueError(message)
            for w, d in zip(weights, datasets):
                if tuple(w.shape) != tuple(d.shape):
                    message = ("Shape mismatch in layer #%d (named %s) for weight %s. Weight "
                               "expects shape %s. Received saved weight with shape %s"
                               % (k, layer.name, w.name, w.shape, tuple(d.shape)))
                    if skip_mismatch:
                        warnings.warn("Skipping loading of weights: " + message)
                        continue
                    raise ValueError(message)
                assignments.append((w, d))
    _assign([(w, read_dataset(d, w.shape)) for w, d in assignments])


def _assign(assignments):
    for w, v in assignments:
        w.assign(v)  # casts to the weight's dtype and moves to the device


# ---------------------------------------------------------------------- optimizer
def save_optimizer_weights_to_group(f, optimizer):
    """`optimizer_weights`: weight_names (iteration first) and one dataset each."""
    weights = list(optimizer.weights)
    if not weights:
        return
    group = f.create_group("optimizer_weights")
    save_attributes(group, "weight_names", [w.name for w in weights])
    for w in weights:
        _write_dataset(group, w.name, w.numpy())


def optimizer_datasets(f):
    """(names, datasets) of a file's `optimizer_weights` group (not yet read)."""
    group = f["optimizer_weights"]
    names = load_attributes(group, "weight_names")
    datasets = []
    for name in names:
        if name not in group or not hasattr(group[name], "shape"):
            raise ModelFileError("The optimizer state lists %r but the file has no such "
                                 "dataset." % (name,))
        datasets.append(group[name])
    return names, datasets


# ---------------------------------------------------------------------- files
@contextlib.contextmanager
def atomic_write(path):
    """Yields a temporary path in the target's directory; renames it over `path` on success."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError("Cannot save to %r: the directory %r does not exist."
                                % (path, directory))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp",
                               dir=directory)
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        # (or the mode of the file it replaces)
        if os.path.exists(path):
            mode = os.stat(path).st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _is_h5py_object(obj):
    h5py = _h5py()
    return isinstance(obj, (h5py.File, h5py.Group))


@contextlib.contextmanager
def open_for_reading(path):
    """Opens an HDF5 file read-only, turning h5py's errors into a clear message."""
    if _is_h5py_object(path):
        yield path
        return
    h5py = _h5py()
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError("No such file: %r" % (path,))
    if os.path.isdir(path):
        raise ModelFileError("%r is a directory (a TensorFlow SavedModel?); gkeras reads Keras "
                             "HDF5 (.h5) and .keras files." % (path,))
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ModelFileError("Cannot read %r as an HDF5 file (%s). Is it a Keras .h5 file, "
                             "and is it complete?" % (path, e)) from None
    try:
        yield f
    except (KeyError, OSError, RuntimeError) as e:
        raise ModelFileError("The HDF5 file %r is corrupt or not in Keras's layout: %s"
                             % (path, e)) from None
    finally:
        f.close()


def _is_v3_weights_path(path):
    return isinstance(path, (str, os.PathLike)) and os.fspath(path).endswith(".weights.h5")


def _is_keras_zip_path(path):
    return isinstance(path, (str, os.PathLike)) and os.fspath(path).endswith(".keras")


def save_weights(model, path, overwrite=True):
    """`model.save_weights(path)`: Keras's HDF5 layout, atomically.

    A path ending in '.weights.h5' gets the Keras 3 / tf-keras v3 weights layout
    (`layers/<layer>/vars/0`, ...), as tf-keras writes for that suffix.
    """
    h5py = _h5py()
    if _is_h5py_object(path):
        save_weights_to_group(path, model)
        return
    if not overwrite and os.path.exists(path):
        raise FileExistsError("%r exists and overwrite=False." % (os.fspath(path),))
    if _is_v3_weights_path(path):
        from . import keras_zip
        keras_zip.save_weights_only(model, path)
        return
    with atomic_write(path) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_group(f, model)


def load_weights(model, path, by_name=False, skip_mismatch=False):
    """`model.load_weights(path)`: also reads whole-model files (their model_weights group),
    `.keras` archives and `.weights.h5` files. A damaged file's error names the file."""
    try:
        _load_weights(model, path, by_name, skip_mismatch)
    except ModelFileError as e:
        name = os.fspath(path) if isinstance(path, (str, os.PathLike)) else repr(path)
        if name in str(e):
            raise
        raise ModelFileError("Error loading weights from %r: %s" % (name, e)) from e


def _load_weights(model, path, by_name, skip_mismatch):
    if skip_mismatch and not by_name and not (_is_v3_weights_path(path)
                                              or _is_keras_zip_path(path)):
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to "
                         "True when by_name is True.")
    if _is_keras_zip_path(path) or (_is_v3_weights_path(path) and not by_name
                                    and _is_v3_layout(path)):
        from . import keras_zip
        keras_zip.load_weights_only(model, path, skip_mismatch=skip_mismatch)
        return
    with open_for_reading(path) as f:
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
            if by_name and "layers" in group:
                raise ValueError("load_weights(by_name=True) needs Keras's HDF5 weights layout; "
                                 "%r holds the v3 layout (layers/<name>/vars), which loads by "
                                 "model structure: call load_weights without by_name."
                                 % (os.fspath(path),))
            raise ModelFileError("%r is an HDF5 file but holds no Keras weights (no "
                                 "`layer_names` attribute)." % (os.fspath(path),))
        if by_name:
            load_weights_from_group_by_name(group, model.layers, skip_mismatch)
        else:
            load_weights_from_group(group, model.layers,
                                    list(model._trainable_weights)
                                    + list(model._non_trainable_weights))


def _is_v3_layout(path):
    """Whether a '.weights.h5' file holds the v3 layout (no `layer_names` attribute)."""
    with open_for_reading(path) as f:
        return "layer_names" not in f.attrs and "layer_names0" not in f.attrs


# ---------------------------------------------------------------------- whole models
def _json_default(obj):
    """JSON for what configs may hold besides plain types (numpy values, tuples)."""
    if isinstance(obj, numpy.generic):
        return obj.item()
    if isinstance(obj, numpy.ndarray):
        return obj.tolist()
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError("Cannot serialise %r (%s) to JSON in a model config."
                    % (obj, type(obj).__name__))


def dumps(value):
    return json.dumps(value, default=_json_default)


def save_model_to_hdf5(model, filepath, overwrite=True, include_optimizer=True):
    """Writes the whole model in tf-keras's HDF5 layout, atomically."""
    h5py = _h5py()
    from . import saving_utils
    metadata = saving_utils.model_metadata(model, include_optimizer)
    if _is_h5py_object(filepath):
        _write_model(filepath, model, metadata, include_optimizer)
        return
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError("%r exists and overwrite=False." % (os.fspath(filepath),))
    with atomic_write(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            _write_model(f, model, metadata, include_optimizer)


def _write_model(f, model, metadata, include_optimizer):
    for key, value in metadata.items():
        if isinstance(value, (dict, list, tuple)):
            f.attrs[key] = dumps(value).encode("utf8")
        else:
            f.attrs[key] = value
    save_weights_to_group(f.create_group("model_weights"), model)
    if include_optimizer and getattr(model, "optimizer", None) is not None \
            and "training_config" in metadata:
        save_optimizer_weights_to_group(f, model.optimizer)
    f.flush()


def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds, fills and (optionally) compiles a model saved by `save_model_to_hdf5`
    or by Keras (tf-keras, Keras 2.x)."""
    from . import saving_utils, serialization
    from ..engine.base_layer import weight_budget
    name = getattr(filepath, "filename", filepath)
    with open_for_reading(filepath) as f:
        model_config = read_string_attribute(f, "model_config")
        if model_config is None:
            raise ModelFileError(
                "No model config found in the file at %r: it holds no `model_config` attribute "
                "(a weights-only file? load those with `model.load_weights`)." % (name,))
        model_config = serialization.decode_json(model_config, "model_config")
        if "model_weights" not in f:
            raise ModelFileError("The file %r has a model config but no `model_weights` group."
                                 % (name,))
        with weight_budget(weight_budget_of(f["model_weights"]), repr(name)):
            model = serialization.model_from_file_config(model_config, custom_objects,
                                                         safe_mode)
        load_weights_from_group(f["model_weights"], model.layers,
                                list(model._trainable_weights)
                                + list(model._non_trainable_weights))
        if not compile:
            return model
        training_config = read_string_attribute(f, "training_config")
        if training_config is None:
            warnings.warn("No training configuration found in the save file %r, so the model "
                          "was *not* compiled. Compile it manually." % (name,))
            return model
        training_config = serialization.decode_json(training_config, "training_config")
        saving_utils.compile_from_training_config(model, training_config, custom_objects)
        if "optimizer_weights" in f:
            names, datasets = optimizer_datasets(f)
            version = read_string_attribute(f, "keras_version") or ""
            saving_utils.restore_optimizer_state(model, names, datasets, version)
    return model
