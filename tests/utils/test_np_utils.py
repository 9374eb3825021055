"""gkeras.utils.to_categorical and normalize (Keras's np_utils)."""
import numpy
import pytest

from gkeras.utils import normalize, np_utils, to_categorical


def test_to_categorical_basic():
    y = to_categorical([0, 2, 1, 2])
    assert y.dtype == numpy.float32
    numpy.testing.assert_array_equal(y, numpy.eye(3)[[0, 2, 1, 2]])


def test_to_categorical_num_classes_and_shapes():
    assert to_categorical([1, 0], num_classes=5).shape == (2, 5)
    assert to_categorical(numpy.array([[1], [0], [2]])).shape == (3, 3)  # trailing 1 dropped
    out = to_categorical(numpy.array([[0, 1], [2, 1]]), num_classes=3)
    assert out.shape == (2, 2, 3) and out[1, 0, 2] == 1
    assert to_categorical([1.0, 0.0]).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert to_categorical([0, 1], dtype="int32").dtype == numpy.int32


def test_to_categorical_errors():
    with pytest.raises(ValueError, match="out of range for num_classes=2"):
        to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        to_categorical([-1, 0])
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])


def test_normalize():
    x = numpy.array([[3.0, 4.0], [0.0, 0.0]])
    numpy.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    numpy.testing.assert_allclose(normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


def test_keras2_import_path():
    assert np_utils.to_categorical is to_categorical
