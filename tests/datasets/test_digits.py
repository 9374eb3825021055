"""Tests of gkeras.datasets.digits, the bundled UCI handwritten digits."""

import numpy as np
import pytest

from gkeras.datasets import digits

# Samples per class 0..9 in the UCI test set (1,797 samples in all).
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _rows(x, y):
    """Returns the samples as sorted rows of 64 pixels plus the label, for set comparisons."""
    table = np.concatenate([x.reshape(len(x), 64), y[:, None]], axis=1)  # (N, 65)
    return table[np.lexsort(table.T[::-1])]


def test_shapes_and_dtypes():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8)
    assert y_train.shape == (1437,)
    assert x_test.shape == (360, 8, 8)
    assert y_test.shape == (360,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8


def test_value_ranges():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x = np.concatenate([x_train, x_test])
    y = np.concatenate([y_train, y_test])
    assert x.min() == 0 and x.max() == 16
    assert set(np.unique(y)) == set(range(10))


def test_label_counts():
    (_, y_train), (_, y_test) = digits.load_data()
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert counts.tolist() == CLASS_COUNTS
    assert counts.sum() == 1797


def test_same_seed_gives_same_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data(seed=7)
    (x_train2, y_train2), (x_test2, y_test2) = digits.load_data(seed=7)
    np.testing.assert_array_equal(x_train, x_train2)
    np.testing.assert_array_equal(y_train, y_train2)
    np.testing.assert_array_equal(x_test, x_test2)
    np.testing.assert_array_equal(y_test, y_test2)


def test_different_seeds_shuffle_the_same_samples_differently():
    (x_a, y_a), (xt_a, yt_a) = digits.load_data(seed=113)
    (x_b, y_b), (xt_b, yt_b) = digits.load_data(seed=114)
    assert not np.array_equal(y_a, y_b)
    np.testing.assert_array_equal(
        _rows(np.concatenate([x_a, xt_a]), np.concatenate([y_a, yt_a])),
        _rows(np.concatenate([x_b, xt_b]), np.concatenate([y_b, yt_b])),
    )


@pytest.mark.parametrize("test_split, n_test", [(0.0, 0), (0.5, 899), (0.9, 1618)])
def test_test_split_sets_the_test_size(test_split, n_test):
    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=test_split)
    assert len(x_test) == len(y_test) == n_test
    assert len(x_train) == len(y_train) == 1797 - n_test
    assert x_test.shape[1:] == (8, 8)


@pytest.mark.parametrize("test_split", [-0.1, 1, 1.5, float("nan")])
def test_bad_test_split_raises(test_split):
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\), received"):
        digits.load_data(test_split=test_split)
