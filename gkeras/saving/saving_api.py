"""`save_model` / `load_model`: one entry point for Keras's HDF5 files and `.keras` archives.

Saving picks the format from the path: a name ending in '.keras' gets a `.keras` archive
(tf-keras's v3 zip layout), any other name Keras's HDF5 file (`.h5`, `.hdf5`, ...), unless
`save_format` says otherwise. Loading looks at the file's first bytes, not at its name.
Loading never runs code from the file: it rebuilds layers only from gkeras's classes and
`custom_objects`, and refuses a Lambda layer stored as bytecode unless
`safe_mode=False`.
"""
import os

from .hdf5_format import ModelFileError

_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _save_format(filepath, save_format):
    if save_format in (None, ""):
        if isinstance(filepath, (str, os.PathLike)) and os.fspath(filepath).endswith(".keras"):
            return "keras"
        return "h5"
    fmt = str(save_format).lower()
    if fmt in ("h5", "hdf5", "keras_h5"):
        return "h5"
    if fmt in ("keras", "keras_v3"):
        return "keras"
    raise ValueError("Unknown save_format %r: gkeras writes Keras's HDF5 format "
                     "(save_format='h5') and the .keras archive (save_format='keras'); "
                     "TensorFlow SavedModel directories ('tf') do not exist here."
                     % (save_format,))


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None,
               **kwargs):
    """Saves architecture, weights, training configuration and optimizer state in one file.

    Args:
        filepath: a path (or an open `h5py.File` for HDF5).
        overwrite: when False, an existing file raises FileExistsError.
        include_optimizer: also store the training configuration and optimizer state.
        save_format: 'h5' (the default, except for '.keras' paths) or 'keras'.
    """
    unknown = set(kwargs) - {"signatures", "options", "save_traces"}
    if unknown:
        raise TypeError("save_model got unexpected arguments: %s" % sorted(unknown))
    if getattr(model, "_is_graph_network", None) is False:
        raise NotImplementedError(
            "Saving a model requires a built graph: a Sequential model needs an input shape "
            "(give the first layer `input_shape=`, or call `build`/`fit` first), and a "
            "subclassed Model has no config to save (use `save_weights`).")
    fmt = _save_format(filepath, save_format)
    if fmt == "keras":
        from . import keras_zip
        keras_zip.save_model(model, filepath, overwrite=overwrite,
                             include_optimizer=include_optimizer)
    else:
        from . import hdf5_format
        hdf5_format.save_model_to_hdf5(model, filepath, overwrite=overwrite,
                                       include_optimizer=include_optimizer)


def _sniff(filepath):
    with open(filepath, "rb") as f:
        head = f.read(8)
    if head.startswith(_ZIP_MAGIC):
        return "keras"
    return "h5"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """Loads a model saved by `model.save` (gkeras, tf-keras or Keras 2.x).

    Args:
        custom_objects: dict of name -> class or function for your own layers, losses,
            metrics, activations or Lambda functions named in the file.
        compile: compile the model with the saved loss/metrics/optimizer and restore
            the optimizer state (so training resumes where it stopped).
        safe_mode: refuse Lambda layers stored as Python bytecode (loading them runs
            code from the file). Only pass False for files you trust.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is damaged, not a Keras model, or names classes or
            functions gkeras does not know (the message names the file).
    """
    unknown = set(kwargs) - {"options"}
    if unknown:
        raise TypeError("load_model got unexpected arguments: %s" % sorted(unknown))
    from . import hdf5_format, keras_zip
    if hdf5_format._is_h5py_object(filepath):
        return _wrap(filepath.filename, hdf5_format.load_model_from_hdf5, filepath,
                     custom_objects, compile, safe_mode)
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError("No file or directory found at %s" % (filepath,))
    if os.path.isdir(filepath):
        raise ModelFileError(
            "%r is a directory: TensorFlow SavedModel directories cannot be loaded by gkeras. "
            "Save the model from Keras as an HDF5 file (model.save('model.h5')) or a .keras "
            "archive." % (filepath,))
    loader = keras_zip.load_model if _sniff(filepath) == "keras" \
        else hdf5_format.load_model_from_hdf5
    return _wrap(filepath, loader, filepath, custom_objects, compile, safe_mode)


def _wrap(name, loader, *args):
    """Runs a loader; any failure becomes a ModelFileError naming the file."""
    try:
        return loader(*args)
    except (FileNotFoundError, ImportError, KeyboardInterrupt):
        raise
    except ModelFileError as e:
        if str(name) in str(e):
            raise
        raise ModelFileError("Error loading %r: %s" % (name, e)) from e
    except RecursionError:
        raise ModelFileError("Error loading %r: the model config nests too deeply." % (name,)
                             ) from None
    except MemoryError:
        raise ModelFileError("Error loading %r: the file describes arrays too large to "
                             "allocate." % (name,)) from None
    except Exception as e:  # a damaged or hostile file: say which, keep the cause chained
        raise ModelFileError("Error loading %r: %s: %s" % (name, type(e).__name__, e)) from e
