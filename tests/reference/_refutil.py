"""Helpers shared by the tf-keras reference generators in this folder (no TF needed)."""
import io
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


def to_channels_last(a):
    """(N, C, *S) -> contiguous (N, *S, C)."""
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


def to_channels_first(a):
    """(N, *S, C) -> contiguous (N, C, *S)."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))
