"""Helpers shared by the tf-keras reference generators in this folder (no TF needed),
and `load_reference`, with which the tests read what the generators wrote."""
import functools
import io
import json
import os
import zipfile

import numpy as np


def write_npz(path, arrays):
    """np.savez_compressed equivalent with fixed timestamps (reproducible bytes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arrays[key], order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


@functools.lru_cache(maxsize=None)
def load_reference(name):
    """(npz arrays dict, json dict) of reference `name` (e.g. 'core_reference'), read once."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with np.load(path + ".npz") as z:
        arrays = {k: z[k] for k in z.files}
    with open(path + ".json") as f:
        return arrays, json.load(f)


def to_channels_last(a):
    """(N, C, *S) -> contiguous (N, *S, C)."""
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


def to_channels_first(a):
    """(N, *S, C) -> contiguous (N, C, *S)."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def configure_tf(tf, keras):
    """Single-threaded, deterministic, quiet TensorFlow; the seed is irrelevant (every
    weight is set explicitly) but keeps TF's own random state fixed."""
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")  # silence tf.function retracing warnings
    keras.utils.set_random_seed(0)


def to_py(v):
    """numpy / tf scalars, shapes, tuples and dicts -> plain JSON-able Python."""
    if isinstance(v, dict):
        return {str(k): to_py(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_py(x) for x in v]
    if hasattr(v, "as_list"):  # a tf.TensorShape
        return [to_py(d) for d in v.as_list()]
    if hasattr(v, "numpy"):
        v = v.numpy()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def dyadic(rng, shape, lo=-8, hi=8, denom=8.0):
    """Random multiples of 1/denom in [lo/denom, hi/denom] (exact in float32)."""
    return (rng.integers(lo, hi + 1, size=shape) / denom).astype(np.float32)


def distinct(rng, shape):
    """A random permutation of k/16: no ties inside any pooling window."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) / 16.0).astype(np.float32).reshape(shape)


def make_batch(spec, step):
    """(xs, ys) of training step `step` of a saving case (make_reference_h5's data spec):
    the inputs are not stored, so the generator and the tests draw them alike."""
    rng = np.random.RandomState(spec["seed"] + step)
    n = spec["n"]
    xs, ys = [], []
    for shape in spec["x"]:
        if shape[0] == "int":
            xs.append(rng.randint(0, 10, size=(n,) + tuple(shape[1:])).astype("float32"))
        else:
            xs.append(rng.normal(size=(n,) + tuple(shape)).astype("float32"))
    for kind, dim in spec["y"]:
        if kind == "onehot":
            ys.append(np.eye(dim, dtype="float32")[rng.randint(0, dim, size=n)])
        else:
            ys.append(rng.normal(size=(n, dim)).astype("float32"))
    return xs, ys
