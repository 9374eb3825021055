"""model.summary() / print_summary laid out as tf-keras 2.21 prints it (docs section 2)."""
import os

import pytest

import gkeras
from gkeras import layers
from gkeras.utils import layer_utils

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "docs", "keras_reference.md")


def keras_block(heading):
    with open(DOCS) as f:
        text = f.read()
    start = text.index("### (%s)" % heading)
    return text[start:].split("```\n", 2)[1].rstrip("\n").split("\n")


def lines_of(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    return out


@pytest.mark.parametrize("heading,build", [
    ("i", lambda: gkeras.Sequential([layers.Dense(32, input_shape=(784,)), layers.Dropout(0.2),
                                     layers.Dense(10)])),
    ("vi", lambda: gkeras.Sequential([layers.Dense(1000, input_shape=(1000,)),
                                      layers.Dense(1000)])),
])
def test_sequential_tables(heading, build):
    assert lines_of(build()) == keras_block(heading)


def test_functional_table_with_connections():
    ia = gkeras.Input(shape=(3,))
    ib = gkeras.Input(shape=(2,))
    c = layers.Concatenate()([layers.Dense(4)(ia), ib])
    model = gkeras.Model([ia, ib], [layers.Dense(1)(c), layers.Dense(2, activation="softmax")(c)])
    got = lines_of(model)
    assert got == keras_block("ii")
    assert sorted({len(line) for line in got}) == [14, 30, 34, 35, 98]


def test_frozen_layer_counts():
    model = gkeras.Sequential([layers.Dense(8, input_shape=(4,)), layers.Dense(3)])
    model.layers[0].trainable = False
    got = lines_of(model)
    assert got == keras_block("iii")
    assert got[-4:-1] == ["Total params: 67 (268.00 Byte)", "Trainable params: 27 (108.00 Byte)",
                          "Non-trainable params: 40 (160.00 Byte)"]


def test_unbuilt_model_error():
    with pytest.raises(ValueError) as e:
        gkeras.Sequential([layers.Dense(3), layers.Dense(2)]).summary()
    assert str(e.value) == ("This model has not yet been built. Build the model first by "
                            "calling `build()` or by calling the model on a batch of data.")


def test_shared_layer_connections_list_every_node():
    a, b = gkeras.Input((3,), name="a"), gkeras.Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    model = gkeras.Model([a, b], layers.add([shared(a), shared(b)], name="sum"))
    got = [line.rstrip() for line in lines_of(model)]
    row = got.index(" shared (Dense)              multiple                     8         "
                    "['a[0][0]',")
    assert got[row + 1] == " " * 69 + "'b[0][0]']"
    row = got.index(" sum (Add)                   (None, 2)                    0         "
                    "['shared[0][0]',")
    assert got[row + 1] == " " * 69 + "'shared[1][0]']"


def test_long_names_wrap_and_custom_line_length():
    model = gkeras.Sequential([layers.Dense(2, input_shape=(3,),
                                            name="a_really_long_dense_layer_name")])
    got = lines_of(model)
    assert got[4].startswith(" a_really_long_dense_layer_  (None, 2)")
    assert got[5].startswith(" name (Dense)   ") and len(got[5]) == 65
    wide = lines_of(model, line_length=100)
    assert len(wide[1]) == 100 and wide[4].startswith(" a_really_long_dense_layer_name (Dense)")


def test_readable_size_and_count_params():
    assert layer_utils._readable_size(0) == "0.00 Byte"
    assert layer_utils._readable_size(37) == "148.00 Byte"
    assert layer_utils._readable_size(25450) == "99.41 KB"
    assert layer_utils._readable_size(2002000) == "7.64 MB"
    model = gkeras.Sequential([layers.Dense(3, input_shape=(4,))])
    assert layer_utils.count_params(model.weights) == model.count_params() == 15
