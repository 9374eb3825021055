"""Keras's HDF5 weight layout, read and written (`save_weights` / `load_weights`).

Layout (as tf.keras writes it): attributes `layer_names`, `backend`,
`keras_version` on the group; one subgroup per layer (sorted by name) with a
`weight_names` attribute and one dataset per weight named like
'dense/kernel:0' (so the layer name appears twice in the path). Attributes
over HDF5's 64 KB header limit are split into `name0`, `name1`, ...
Files are written to a temporary file and renamed, so a failure never leaves a
half-written file in place of a good one.
"""
import contextlib
import os
import tempfile
import warnings

import numpy

HDF5_OBJECT_HEADER_LIMIT = 64512


def _h5py():
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a hard dependency
        raise ImportError("Saving and loading HDF5 files needs h5py: pip install h5py") from e
    return h5py


def save_attributes(group, name, data):
    """Stores a list of strings as an attribute, split into chunks when too large."""
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
        group.attrs[name] = array
    else:
        for i, chunk in enumerate(split):
            group.attrs["%s%d" % (name, i)] = chunk


def load_attributes(group, name):
    """Reads a list of strings stored by `save_attributes` (bytes or str, split or not)."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, i = [], 0
        while "%s%d" % (name, i) in group.attrs:
            values.extend(group.attrs["%s%d" % (name, i)])
            i += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def _layer_weights(layer):
    """Keras's legacy order for files: trainable weights, then non-trainable ones."""
    return layer.trainable_weights + layer.non_trainable_weights


def save_weights_to_group(group, layers):
    """Writes the weights of `layers` into an open HDF5 group, in Keras's layout."""
    from .. import __version__
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = b"gkeras"
    group.attrs["keras_version"] = __version__.encode("utf8")
    for layer in sorted(layers, key=lambda lyr: lyr.name):
        g = group.create_group(layer.name)
        weights = _layer_weights(layer)
        save_attributes(g, "weight_names", [w.name for w in weights])
        for w in weights:
            value = w.numpy()
            dset = g.create_dataset(w.name, value.shape, dtype=value.dtype)
            if value.shape:
                dset[:] = value
            else:
                dset[()] = value


def _read_layer(group, layer_name):
    if layer_name not in group:
        raise ValueError("The weights file lists layer %r in `layer_names` but has no group for "
                         "it: the file is corrupt or was not written by Keras." % (layer_name,))
    g = group[layer_name]
    values = []
    for weight_name in load_attributes(g, "weight_names"):
        if weight_name not in g:
            raise ValueError("The weights file is missing dataset %r of layer %r."
                             % (weight_name, layer_name))
        values.append(numpy.asarray(g[weight_name]))
    return values


def load_weights_from_group(group, layers):
    """Topological loading: the i-th layer with weights gets the i-th saved layer's weights.

    Raises:
        ValueError: on a layer-count, weight-count or shape mismatch, naming both sides.
    """
    model_layers = [layer for layer in layers if _layer_weights(layer)]
    saved = [name for name in load_attributes(group, "layer_names")
             if load_attributes(group[name], "weight_names")]
    if len(saved) != len(model_layers):
        raise ValueError("Layer count mismatch when loading weights from file. Model expected %d "
                         "layers, found %d saved layers." % (len(model_layers), len(saved)))
    assignments = []
    for k, (name, layer) in enumerate(zip(saved, model_layers)):
        values = _read_layer(group, name)
        weights = _layer_weights(layer)
        if len(values) != len(weights):
            raise ValueError("Weight count mismatch for layer #%d (named %s in the current model, "
                             "%s in the save file). Layer expects %d weight(s). Received %d saved "
                             "weight(s)" % (k, layer.name, name, len(weights), len(values)))
        for w, v in zip(weights, values):
            if w.shape != v.shape:
                raise ValueError("Shape mismatch in layer #%d (named %s in the current model, %s "
                                 "in the save file) for weight %s. Weight expects shape %s. "
                                 "Received saved weight with shape %s"
                                 % (k, layer.name, name, w.name, w.shape, v.shape))
            assignments.append((w, v))
    _assign(assignments)


def load_weights_from_group_by_name(group, layers, skip_mismatch=False):
    """Loads only layers whose names match a saved layer; others keep their weights."""
    by_name = {}
    for layer in layers:
        by_name.setdefault(layer.name, []).append(layer)
    assignments = []
    for k, name in enumerate(load_attributes(group, "layer_names")):
        if name not in by_name:
            continue
        values = _read_layer(group, name)
        for layer in by_name[name]:
            weights = _layer_weights(layer)
            if len(values) != len(weights):
                message = ("Weight count mismatch for layer #%d (named %s). Layer expects %d "
                           "weight(s). Received %d saved weight(s)"
                           % (k, layer.name, len(weights), len(values)))
                if skip_mismatch:
                    warnings.warn("Skipping loading of weights: " + message)
                    continue
                raise ValueError(message)
            for w, v in zip(weights, values):
                if w.shape != v.shape:
                    message = ("Shape mismatch in layer #%d (named %s) for weight %s. Weight "
                               "expects shape %s. Received saved weight with shape %s"
                               % (k, layer.name, w.name, w.shape, v.shape))
                    if skip_mismatch:
                        warnings.warn("Skipping loading of weights: " + message)
                        continue
                    raise ValueError(message)
                assignments.append((w, v))
    _assign(assignments)


def _assign(assignments):
    for w, v in assignments:
        w.assign(v.astype(w.dtype, copy=False))


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
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextlib.contextmanager
def open_for_reading(path):
    """Opens an HDF5 file read-only, turning h5py's errors into a clear message."""
    h5py = _h5py()
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError("No such file: %r" % (path,))
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError("Cannot read %r as an HDF5 file (%s). Is it a Keras .h5 file, and is "
                         "it complete?" % (path, e)) from None
    try:
        yield f
    except (KeyError, OSError) as e:
        raise ValueError("The HDF5 file %r is corrupt or not in Keras's layout: %s"
                         % (path, e)) from None
    finally:
        f.close()


def save_weights(model, path, overwrite=True):
    """`model.save_weights(path)` for .h5 paths (atomic)."""
    h5py = _h5py()
    if not overwrite and os.path.exists(path):
        raise FileExistsError("%r exists and overwrite=False." % (os.fspath(path),))
    with atomic_write(path) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_group(f, model.layers)


def load_weights(model, path, by_name=False, skip_mismatch=False):
    """`model.load_weights(path)`: also reads whole-model files (their model_weights group)."""
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to "
                         "True when by_name is True.")
    with open_for_reading(path) as f:
        group = f["model_weights"] if "model_weights" in f else f
        if by_name:
            load_weights_from_group_by_name(group, model.layers, skip_mismatch)
        else:
            load_weights_from_group(group, model.layers)
