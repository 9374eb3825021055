"""The UCI handwritten digits dataset (8x8 images), bundled with gkeras.

The data is the test set of the UCI "Optical Recognition of Handwritten Digits" dataset by
E. Alpaydin and C. Kaynak (UCI Machine Learning Repository, DOI 10.24432/C50P49), licensed
under CC BY 4.0, as distributed with scikit-learn. See ``data/DIGITS_LICENSE.txt``.
"""

import gzip
import os

import numpy as np

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


def load_data(test_split=0.2, seed=113):
    """Loads the bundled digits dataset: 1,797 grey 8x8 images of the digits 0-9.

    Each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap, so values run from
    0 to 16. The samples are shuffled with ``np.random.RandomState(seed)`` and the last
    ``test_split`` fraction becomes the test set; the same seed always gives the same split.

    Data: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI
    Machine Learning Repository, DOI 10.24432/C50P49, licensed under CC BY 4.0 (copy taken
    from scikit-learn's distribution).

    Args:
        test_split: Fraction of the samples to put in the test set, in ``[0, 1)``.
        seed: Seed of the shuffle done before splitting.

    Returns:
        Tuple of numpy arrays ``(x_train, y_train), (x_test, y_test)``: ``x`` of shape
        ``(num_samples, 8, 8)`` and dtype ``uint8`` with values 0..16, ``y`` of shape
        ``(num_samples,)`` and dtype ``uint8`` with labels 0..9.

    Raises:
        ValueError: If ``test_split`` is not in ``[0, 1)``.
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"digits.load_data: test_split must be in [0, 1), received {test_split!r}."
        )
    with gzip.open(_PATH, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)  # (1797, 65)
    table = table[np.random.RandomState(seed).permutation(len(table))]
    x = table[:, :-1].reshape(-1, 8, 8)
    y = table[:, -1]
    n_train = int(len(table) * (1 - test_split))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
