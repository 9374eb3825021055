"""The seed notes' convolution and pooling layers (seed/keras-notes-zh.txt, 卷积层 / 池化层).

The two signatures the notes print are executed verbatim (with `keras` -> `gkeras`),
their names bound to concrete values; the layers the notes only name (Conv2DTranspose,
Conv3D, Cropping2D, ZeroPadding2D, AveragePooling2D, GlobalMaxPooling2D) are called with
Keras 2's documented signatures at the notes' import paths. The notes' explanations of
the arguments are checked as statements about shapes and errors.
"""
import numpy
import pytest

import gkeras


def run_snippet(code, namespace):
    """Executes the seed's code with keras -> gkeras; returns the namespace."""
    exec(compile(code.replace("keras", "gkeras"), "<seed snippet>", "exec"), namespace)
    return namespace


# verbatim from the notes (Conv2D层 / MaxPooling2D层)
CONV2D = ("keras.layers.convolutional.Conv2D(filters, kernel_size, strides=(1, 1), "
          "padding='valid', data_format=None, dilation_rate=(1, 1), activation=None, "
          "use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
          "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
          "kernel_constraint=None, bias_constraint=None)")
MAXPOOL = ("keras.layers.pooling.MaxPooling2D(pool_size=(2, 2), strides=None, "
           "padding='valid', data_format=None)")

# Keras 2's documented signatures of the layers the notes name without one
CONV2D_TRANSPOSE = ("keras.layers.convolutional.Conv2DTranspose(filters, kernel_size, "
                    "strides=(1, 1), padding='valid', output_padding=None, data_format=None, "
                    "dilation_rate=(1, 1), activation=None, use_bias=True, "
                    "kernel_initializer='glorot_uniform', bias_initializer='zeros', "
                    "kernel_regularizer=None, bias_regularizer=None, "
                    "activity_regularizer=None, kernel_constraint=None, bias_constraint=None)")
CONV3D = ("keras.layers.convolutional.Conv3D(filters, kernel_size, strides=(1, 1, 1), "
          "padding='valid', data_format=None, dilation_rate=(1, 1, 1), activation=None, "
          "use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
          "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
          "kernel_constraint=None, bias_constraint=None)")
CROPPING2D = "keras.layers.convolutional.Cropping2D(cropping=((0, 0), (0, 0)), data_format=None)"
ZEROPADDING2D = "keras.layers.convolutional.ZeroPadding2D(padding=(1, 1), data_format=None)"
AVGPOOL = ("keras.layers.pooling.AveragePooling2D(pool_size=(2, 2), strides=None, "
           "padding='valid', data_format=None)")
GLOBALMAXPOOL = "keras.layers.pooling.GlobalMaxPooling2D(data_format=None)"


def make(expr, **names):
    """Evaluates one of the expressions above with `names` bound (filters=..., ...)."""
    ns = run_snippet("layer = " + expr + "\n", dict(names, gkeras=gkeras))
    return ns["layer"]


def test_conv2d_signature_verbatim(rng):
    """Conv2D层: the notes' full signature, filters=8, kernel_size=(3, 3)."""
    layer = make(CONV2D, filters=8, kernel_size=(3, 3))
    assert type(layer) is gkeras.layers.Conv2D
    x = rng.normal(size=(2, 10, 12, 3)).astype("float32")
    y = numpy.asarray(layer(x))
    assert y.shape == (2, 8, 10, 8)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 8) and bias.shape == (8,) and not bias.any()
    cfg = layer.get_config()
    assert (cfg["strides"], cfg["padding"], cfg["data_format"], cfg["dilation_rate"],
            cfg["activation"], cfg["use_bias"]) == ((1, 1), "valid", "channels_last", (1, 1),
                                                    "linear", True)
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"


def test_conv2d_filters_is_output_dimension(rng):
    """- filters：卷积核的数目（即输出的维度）."""
    for filters in (1, 5):
        layer = make(CONV2D, filters=filters, kernel_size=3)
        assert layer(rng.normal(size=(1, 6, 6, 2)).astype("float32")).shape[-1] == filters


def test_conv2d_strides_and_dilation_incompatible():
    """- strides / dilation_rate：任何不为1的strides均与任何不为1的dilation_rate均不兼容."""
    with pytest.raises(ValueError, match="Conv2D.*strides.*dilation_rate"):
        make(CONV2D.replace("strides=(1, 1)", "strides=(2, 2)").replace(
            "dilation_rate=(1, 1)", "dilation_rate=(2, 2)"), filters=4, kernel_size=3)
    make(CONV2D.replace("dilation_rate=(1, 1)", "dilation_rate=(2, 2)"), filters=4,
         kernel_size=3)  # dilation alone is fine


def test_conv2d_padding_valid_and_same(rng):
    """- padding：“valid” 只进行有效的卷积；“same” 保留边界处的卷积结果, 输出shape与输入相同."""
    x = rng.normal(size=(1, 9, 9, 2)).astype("float32")
    valid = make(CONV2D, filters=4, kernel_size=(3, 3))
    same = make(CONV2D.replace("padding='valid'", "padding='same'"), filters=4,
                kernel_size=(3, 3))
    assert valid(x).shape == (1, 7, 7, 4)
    assert same(x).shape == (1, 9, 9, 4)


def test_conv2d_data_format_128x128_rgb(rng):
    """- data_format: 以128x128的RGB图像为例，“channels_first” (3,128,128)，“channels_last”
    (128,128,3)；不指定时默认为channels_last."""
    last = make(CONV2D, filters=4, kernel_size=(3, 3))
    first = make(CONV2D.replace("data_format=None", "data_format='channels_first'"),
                 filters=4, kernel_size=(3, 3))
    assert last.data_format == "channels_last"
    assert gkeras.Sequential([gkeras.Input((128, 128, 3)), last]).output_shape == \
        (None, 126, 126, 4)
    assert gkeras.Sequential([gkeras.Input((3, 128, 128)), first]).output_shape == \
        (None, 4, 126, 126)
    # same numbers in both layouts
    first.set_weights(last.get_weights())
    x = rng.normal(size=(1, 16, 16, 3)).astype("float32")
    y_last = numpy.asarray(last(x))
    y_first = numpy.asarray(first(numpy.ascontiguousarray(x.transpose(0, 3, 1, 2))))
    numpy.testing.assert_allclose(y_first, y_last.transpose(0, 3, 1, 2), rtol=1e-5,
                                  atol=1e-6)


def test_conv2d_activation_and_use_bias(rng):
    """- activation：不指定时不使用激活函数（线性）; - use_bias：是否使用偏置项."""
    layer = make(CONV2D.replace("activation=None", "activation='relu'").replace(
        "use_bias=True", "use_bias=False"), filters=3, kernel_size=2)
    y = numpy.asarray(layer(rng.normal(size=(2, 5, 5, 2)).astype("float32")))
    assert (y >= 0).all() and len(layer.weights) == 1


def test_conv2d_transpose_conv3d_cropping_padding(rng):
    """Conv2DTranspose层 (反卷积), Conv3D层 (视频), Cropping2D层, ZeroPadding2D层."""
    convt = make(CONV2D_TRANSPOSE, filters=4, kernel_size=(3, 3))
    assert convt(rng.normal(size=(2, 5, 6, 3)).astype("float32")).shape == (2, 7, 8, 4)
    assert convt.get_weights()[0].shape == (3, 3, 4, 3)  # (kh, kw, out, in)
    up = make(CONV2D_TRANSPOSE.replace("strides=(1, 1)", "strides=(2, 2)").replace(
        "padding='valid'", "padding='same'"), filters=2, kernel_size=3)
    assert up(rng.normal(size=(1, 5, 6, 3)).astype("float32")).shape == (1, 10, 12, 2)
    conv3 = make(CONV3D, filters=4, kernel_size=(3, 3, 3))
    video = rng.normal(size=(1, 5, 8, 8, 3)).astype("float32")  # frames, rows, cols, rgb
    assert conv3(video).shape == (1, 3, 6, 6, 4)
    crop = make(CROPPING2D)
    x = rng.normal(size=(1, 6, 7, 2)).astype("float32")
    numpy.testing.assert_array_equal(numpy.asarray(crop(x)), x)
    crop = make(CROPPING2D.replace("((0, 0), (0, 0))", "((1, 2), (0, 3))"))
    numpy.testing.assert_array_equal(numpy.asarray(crop(x)), x[:, 1:4, :4])
    pad = make(ZEROPADDING2D)
    y = numpy.asarray(pad(x))
    assert y.shape == (1, 8, 9, 2)
    numpy.testing.assert_array_equal(y[:, 1:-1, 1:-1], x)
    assert not y[:, 0].any() and not y[:, :, -1].any()


def test_maxpooling2d_signature_verbatim(rng):
    """MaxPooling2D层: the notes' signature; pool_size (2,2) halves both dimensions."""
    layer = make(MAXPOOL)
    assert type(layer) is gkeras.layers.MaxPooling2D
    x = rng.normal(size=(2, 8, 6, 3)).astype("float32")
    y = numpy.asarray(layer(x))
    assert y.shape == (2, 4, 3, 3)
    numpy.testing.assert_array_equal(y, x.reshape(2, 4, 2, 3, 2, 3).max(axis=(2, 4)))
    # 为整数意为各个维度值相同且为该数字
    three = make(MAXPOOL.replace("pool_size=(2, 2)", "pool_size=3"))
    assert three.pool_size == (3, 3) and three.strides == (3, 3)
    assert three(numpy.zeros((1, 9, 9, 1), "float32")).shape == (1, 3, 3, 1)


def test_average_and_global_max_pooling(rng):
    """AveragePooling2D层 (平均值池化), GlobalMaxPooling2D层 (全局最大值池化)."""
    x = rng.normal(size=(2, 8, 6, 3)).astype("float32")
    avg = numpy.asarray(make(AVGPOOL)(x))
    numpy.testing.assert_allclose(avg, x.reshape(2, 4, 2, 3, 2, 3).mean(axis=(2, 4)),
                                  rtol=1e-6)
    gmp = numpy.asarray(make(GLOBALMAXPOOL)(x))
    numpy.testing.assert_array_equal(gmp, x.max(axis=(1, 2)))


def test_small_convnet_from_the_seed_layers(rng):
    """The seed's layers together in a Sequential model that trains."""
    model = gkeras.models.Sequential()
    model.add(gkeras.layers.convolutional.ZeroPadding2D(padding=(1, 1), input_shape=(8, 8, 1)))
    model.add(make(CONV2D.replace("activation=None", "activation='relu'"), filters=4,
                   kernel_size=(3, 3)))
    model.add(make(MAXPOOL))
    model.add(gkeras.layers.convolutional.Conv2DTranspose(2, (2, 2), strides=(2, 2)))
    model.add(gkeras.layers.convolutional.Cropping2D(cropping=((1, 1), (1, 1))))
    model.add(make(AVGPOOL))
    model.add(make(GLOBALMAXPOOL))
    model.add(gkeras.layers.Dense(2, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
    y = gkeras.utils.to_categorical((x.mean(axis=(1, 2, 3)) > 0).astype(int), 2)
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(hist.history["loss"]) == 2
    assert [lyr.output_shape for lyr in model.layers] == [
        (None, 10, 10, 1), (None, 8, 8, 4), (None, 4, 4, 4), (None, 8, 8, 2),
        (None, 6, 6, 2), (None, 3, 3, 2), (None, 2), (None, 2)]
