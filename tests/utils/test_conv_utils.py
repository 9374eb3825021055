"""gkeras.utils.conv_utils: Keras's shape helpers and TensorFlow's 'same' padding."""
import numpy as np
import pytest

from gkeras.utils import conv_utils as cu


def test_normalize_tuple():
    assert cu.normalize_tuple(3, 2, "kernel_size") == (3, 3)
    assert cu.normalize_tuple((1, 2), 2, "strides") == (1, 2)
    assert cu.normalize_tuple([4, 5, 6], 3, "pool_size") == (4, 5, 6)
    out = cu.normalize_tuple((np.int64(2), np.int32(3)), 2, "strides")
    assert out == (2, 3) and all(type(v) is int for v in out)
    assert cu.normalize_tuple(0, 2, "padding", allow_zero=True) == (0, 0)


@pytest.mark.parametrize("value,match", [
    (0, r"`strides`.*positive.*0 not allowed"),
    ((1, -2), r"`strides`.*-2 not allowed"),
    ((1, 2, 3), r"`strides` argument must be an integer or a tuple of 2"),
    ("ab", r"`strides`"),
    ((1.5, 2), r"`strides`"),
    (None, r"`strides`"),
    (True, r"`strides`"),
])
def test_normalize_tuple_errors_name_the_argument(value, match):
    with pytest.raises(ValueError, match=match):
        cu.normalize_tuple(value, 2, "strides")


def test_normalize_tuple_allow_zero_still_rejects_negatives():
    with pytest.raises(ValueError, match=r"`padding`.*>= 0.*-1 not allowed"):
        cu.normalize_tuple((0, -1), 2, "padding", allow_zero=True)


def test_normalize_padding():
    assert cu.normalize_padding("SAME") == "same"
    assert cu.normalize_padding("Causal") == "causal"
    assert cu.normalize_padding("valid", ("valid", "same")) == "valid"
    with pytest.raises(ValueError, match="'valid', 'same', got 'causal'"):
        cu.normalize_padding("causal", ("valid", "same"))
    with pytest.raises(ValueError, match="`padding`.*'full'"):
        cu.normalize_padding("full")
    with pytest.raises(ValueError, match="`padding`"):
        cu.normalize_padding(3)


@pytest.mark.parametrize("args,expected", [
    ((None, 3, "valid", 1), None),
    ((5, 3, "valid", 1), 3),
    ((5, 3, "valid", 2), 2),
    ((6, 3, "valid", 2), 2),
    ((5, 3, "same", 2), 3),
    ((6, 3, "same", 2), 3),
    ((7, 3, "causal", 3), 3),
    ((5, 3, "full", 1), 7),
    ((9, 3, "valid", 1, 2), 5),  # dilated kernel spans 5
    ((9, 3, "valid", 2, 3), 2),  # spans 7: 3 positions, stride 2
    ((2, 3, "valid", 1), 0),
])
def test_conv_output_length(args, expected):
    assert cu.conv_output_length(*args) == expected


@pytest.mark.parametrize("args,expected", [
    ((None, 3, "valid", 1), None),
    ((3, 3, "valid", 1), 5),
    ((3, 3, "same", 2), 5),
    ((7, 3, "full", 1), 5),
    ((2, 4, "valid", 2), 6),
])
def test_conv_input_length(args, expected):
    assert cu.conv_input_length(*args) == expected


@pytest.mark.parametrize("args,expected", [
    ((None, 3, "valid"), None),
    ((3, 3, "valid", None, 2), 7),
    ((3, 2, "valid", None, 2), 6),
    ((3, 1, "valid", None, 2), 6),  # max(k - s, 0)
    ((3, 3, "same", None, 2), 6),
    ((4, 3, "full", None, 1), 2),
    ((3, 3, "valid", 1, 2), 8),
    ((3, 3, "same", 1, 2), 6),  # (3-1)*2 + 3 - 2*1 + 1
    ((3, 3, "valid", None, 1, 2), 7),  # dilated kernel spans 5
    ((4, 3, "same", 0, 2, 2), 7),  # (4-1)*2 + 5 - 2*2 + 0
])
def test_deconv_output_length(args, expected):
    assert cu.deconv_output_length(*args) == expected


def test_deconv_length_is_keras_2_2s_argument_order():
    assert cu.deconv_length(3, 2, 3, "valid", None) == 7
    assert cu.deconv_length(4, 2, 3, "same", 0, dilation=2) == 7


def test_shape_helpers_reject_unknown_paddings():
    with pytest.raises(ValueError, match="padding"):
        cu.conv_output_length(5, 3, "bogus", 1)
    with pytest.raises(ValueError, match="padding"):
        cu.conv_input_length(5, 3, "causal", 1)
    with pytest.raises(ValueError, match="padding"):
        cu.deconv_output_length(5, 3, "causal")


@pytest.mark.parametrize("args,expected", [
    ((5, 3, 1), (1, 1)),
    ((4, 4, 1), (1, 2)),  # the odd cell at the end
    ((6, 3, 2), (0, 1)),  # TensorFlow pads only after on even sizes with stride 2
    ((5, 3, 2), (1, 1)),
    ((7, 2, 3), (0, 1)),
    ((4, 1, 3), (0, 0)),
    ((5, 3, 1, 2), (2, 2)),  # dilated kernel spans 5
    ((2, 5, 1), (2, 2)),  # kernel larger than the input
])
def test_same_padding(args, expected):
    assert cu.same_padding(*args) == expected


def test_same_padding_gives_ceil_outputs():
    for n in range(1, 12):
        for k in range(1, 6):
            for s in range(1, 4):
                for d in (1, 2):
                    before, after = cu.same_padding(n, k, s, d)
                    span = (k - 1) * d + 1
                    out = (n + before + after - span) // s + 1
                    assert out == cu.conv_output_length(n, k, "same", s, d) == -(-n // s)
                    assert 0 <= after - before <= 1


def test_convert_kernel_flips_spatial_axes_only():
    k = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(cu.convert_kernel(k), k[::-1, ::-1])
    with pytest.raises(ValueError, match="kernel shape"):
        cu.convert_kernel(np.zeros((2, 2)))


def test_normalize_data_format_is_exported():
    assert cu.normalize_data_format("Channels_First") == "channels_first"
