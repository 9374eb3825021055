"""Conv2D, Conv2DTranspose, Conv3D, Cropping2D, ZeroPadding2D: signatures, import paths,
weight layouts, shapes (both data formats), numbers against naive loops, gradients,
regularizers/constraints, argument errors, and a small CNN that learns.

Numeric parity with tf-keras itself is in test_conv_parity.py.
"""
import inspect
import json

import numpy
import pytest

import gkeras
from gkeras import layers
from gkeras.autograd.gradient_check import check_gradients
from gkeras.layers import convolutional

from .layer_test_utils import layer_test

# ------------------------------------------------------------------ signatures
# tf-keras 2.21's __init__ signatures (inspect.signature), **kwargs left out
KERAS_SIGNATURES = {
    "Conv2D": "filters, kernel_size, strides=(1, 1), padding='valid', data_format=None, "
              "dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, "
              "kernel_initializer='glorot_uniform', bias_initializer='zeros', "
              "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
              "kernel_constraint=None, bias_constraint=None",
    "Conv2DTranspose": "filters, kernel_size, strides=(1, 1), padding='valid', "
                       "output_padding=None, data_format=None, dilation_rate=(1, 1), "
                       "activation=None, use_bias=True, kernel_initializer='glorot_uniform', "
                       "bias_initializer='zeros', kernel_regularizer=None, "
                       "bias_regularizer=None, activity_regularizer=None, "
                       "kernel_constraint=None, bias_constraint=None",
    "Conv3D": "filters, kernel_size, strides=(1, 1, 1), padding='valid', data_format=None, "
              "dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True, "
              "kernel_initializer='glorot_uniform', bias_initializer='zeros', "
              "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
              "kernel_constraint=None, bias_constraint=None",
    "Cropping2D": "cropping=((0, 0), (0, 0)), data_format=None",
    "ZeroPadding2D": "padding=(1, 1), data_format=None",
}


def _signature(cls):
    params = [p for name, p in inspect.signature(cls.__init__).parameters.items()
              if name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    return ", ".join(str(p) for p in params)


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_is_keras(name):
    assert _signature(getattr(layers, name)) == KERAS_SIGNATURES[name]


def test_import_paths_and_aliases():
    for name in ("Conv2D", "Conv2DTranspose", "Conv3D", "Cropping2D", "ZeroPadding2D"):
        assert getattr(convolutional, name) is getattr(layers, name)
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Convolution3D is layers.Conv3D
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.Deconvolution2D is layers.Conv2DTranspose is layers.Deconv2D
    # Keras 2.x's convolutional module also exposed the pooling layers
    from gkeras.layers import pooling
    assert convolutional.MaxPooling2D is pooling.MaxPooling2D is layers.MaxPooling2D
    assert convolutional.AveragePooling2D is layers.AveragePooling2D
    from gkeras.layers.convolutional import Conv2D, MaxPooling2D  # noqa: F401
    with pytest.raises(AttributeError):
        convolutional.NoSuchLayer  # noqa: B018


@pytest.mark.parametrize("class_name", ["Conv2D", "Convolution2D", "Conv2DTranspose",
                                        "Conv3D", "Cropping2D", "ZeroPadding2D"])
def test_deserialize_by_class_name(class_name):
    cfg = {"filters": 2, "kernel_size": 3} if "onv" in class_name else {}
    layer = layers.deserialize({"class_name": class_name, "config": cfg})
    assert isinstance(layer, getattr(layers, class_name))


# ------------------------------------------------------------------ weights
def test_weight_layouts_and_names():
    x = numpy.zeros((1, 6, 6, 2), "float32")
    conv = layers.Conv2D(4, (3, 2))
    conv(x)
    assert [w.shape for w in conv.weights] == [(3, 2, 2, 4), (4,)]
    assert [w.name for w in conv.weights] == ["conv2d/kernel:0", "conv2d/bias:0"]
    convt = layers.Conv2DTranspose(4, (3, 2))
    convt(x)
    assert [w.shape for w in convt.weights] == [(3, 2, 4, 2), (4,)]  # (kh, kw, out, in)
    conv3 = layers.Conv3D(5, 2, use_bias=False)
    conv3(numpy.zeros((1, 3, 3, 3, 2), "float32"))
    assert [w.shape for w in conv3.weights] == [(2, 2, 2, 2, 5)]
    cf = layers.Conv2D(4, 3, data_format="channels_first")
    cf(numpy.zeros((1, 2, 6, 6), "float32"))
    assert cf.kernel.shape == (3, 3, 2, 4)  # same layout in both data formats
    for layer in (layers.Cropping2D(1), layers.ZeroPadding2D()):
        layer(x)
        assert layer.weights == []


def test_default_initializers():
    conv = layers.Conv2D(8, 3)
    conv.build((None, 10, 10, 4))
    kernel, bias = conv.get_weights()
    limit = numpy.sqrt(6.0 / (3 * 3 * 4 + 3 * 3 * 8))  # glorot_uniform: fans include the field
    assert numpy.abs(kernel).max() <= limit and numpy.abs(kernel).max() > 0.8 * limit
    assert not bias.any()


def test_count_params_mnist_cnn():
    """Keras's mnist_cnn example: the parameter counts Keras prints."""
    model = gkeras.Sequential([
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    assert [lyr.count_params() for lyr in model.layers] == [320, 18496, 0, 0, 1179776, 1290]
    assert [lyr.output_shape for lyr in model.layers] == [
        (None, 26, 26, 32), (None, 24, 24, 64), (None, 12, 12, 64), (None, 9216),
        (None, 128), (None, 10)]


# ------------------------------------------------------------------ naive references
def naive_conv2d(x, k, strides, padding, dilation):
    """channels_last, TF 'same' padding, float64 loops."""
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    sy, sx = strides
    dy, dx = dilation
    eh, ew = (kh - 1) * dy + 1, (kw - 1) * dx + 1
    if padding == "same":
        oh, ow = -(-h // sy), -(-w // sx)
        ph = max((oh - 1) * sy + eh - h, 0)
        pw = max((ow - 1) * sx + ew - w, 0)
        x = numpy.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - eh) // sy + 1, (w - ew) // sx + 1
    out = numpy.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sy:i * sy + eh:dy, j * sx:j * sx + ew:dx, :]
            out[:, i, j, :] = numpy.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


def naive_conv2d_transpose(x, k, strides, out_hw, padding):
    """Scatter form: every input pixel adds kernel * value to the output (no dilation)."""
    n, h, w, c = x.shape
    kh, kw, f, _ = k.shape
    sy, sx = strides
    oh, ow = out_hw
    if padding == "same":
        ph = max((h - 1) * sy + kh - oh, 0) // 2
        pw = max((w - 1) * sx + kw - ow, 0) // 2
    else:
        ph = pw = 0
    full = numpy.zeros((n, (h - 1) * sy + kh + oh, (w - 1) * sx + kw + ow, f))
    for i in range(h):
        for j in range(w):
            full[:, i * sy:i * sy + kh, j * sx:j * sx + kw, :] += numpy.einsum(
                "nc,abfc->nabf", x[:, i, j, :], k)
    return full[:, ph:ph + oh, pw:pw + ow, :]


CONV2D_GRID = [
    dict(kernel_size=(3, 3), strides=(1, 1), padding="valid", dilation_rate=(1, 1)),
    dict(kernel_size=(3, 2), strides=(2, 3), padding="valid", dilation_rate=(1, 1)),
    dict(kernel_size=(4, 3), strides=(2, 2), padding="same", dilation_rate=(1, 1)),
    dict(kernel_size=(2, 2), strides=(1, 1), padding="same", dilation_rate=(1, 1)),
    dict(kernel_size=(3, 3), strides=(1, 1), padding="same", dilation_rate=(2, 3)),
    dict(kernel_size=(2, 3), strides=(1, 1), padding="valid", dilation_rate=(3, 1)),
    dict(kernel_size=(5, 1), strides=(3, 1), padding="same", dilation_rate=(1, 1)),
]


@pytest.mark.parametrize("kw", CONV2D_GRID, ids=lambda kw: "-".join(
    "%s%s" % (k[0], "".join(map(str, v)) if isinstance(v, tuple) else v) for k, v in kw.items()))
@pytest.mark.parametrize("size", [(9, 8), (10, 7)])
def test_conv2d_matches_naive_both_formats(kw, size, rng):
    x = rng.normal(size=(2,) + size + (3,)).astype("float32")
    layer = layers.Conv2D(4, activation=None, **kw)
    y = numpy.asarray(layer(x))
    kernel, bias = layer.get_weights()
    bias = rng.normal(size=bias.shape).astype("float32")
    layer.set_weights([kernel, bias])
    y = numpy.asarray(layer(x))
    expected = naive_conv2d(x.astype("float64"), kernel.astype("float64"), kw["strides"],
                            kw["padding"], kw["dilation_rate"]) + bias
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    numpy.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    # channels_first: same weights, transposed input -> transposed output
    cf = layers.Conv2D(4, data_format="channels_first", **kw)
    x_cf = numpy.ascontiguousarray(x.transpose(0, 3, 1, 2))
    cf.build(x_cf.shape)
    cf.set_weights([kernel, bias])
    y_cf = numpy.asarray(cf(x_cf))
    assert y_cf.shape == cf.compute_output_shape(x_cf.shape)
    numpy.testing.assert_allclose(y_cf, y.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("strides,padding,output_padding", [
    ((1, 1), "valid", None), ((2, 2), "valid", None), ((2, 3), "same", None),
    ((3, 2), "valid", (1, 1)), ((2, 2), "same", (1, 1)), ((1, 1), "same", None),
])
def test_conv2d_transpose_matches_naive(strides, padding, output_padding, rng):
    x = rng.normal(size=(2, 4, 3, 3)).astype("float32")
    layer = layers.Conv2DTranspose(2, (3, 2), strides=strides, padding=padding,
                                   output_padding=output_padding, use_bias=False)
    y = numpy.asarray(layer(x))
    assert y.shape == layer.compute_output_shape(x.shape)
    expected = naive_conv2d_transpose(x.astype("float64"), layer.get_weights()[0], strides,
                                      y.shape[1:3], padding)
    numpy.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_conv2d_transpose_is_the_adjoint_of_conv2d(rng):
    """<conv2d(x), y> == <x, conv2d_transpose(y)> with the same kernel array."""
    for strides, padding, hw in [((2, 2), "same", (8, 6)), ((2, 1), "valid", (7, 5)),
                                 ((3, 3), "same", (9, 9))]:
        x = rng.normal(size=(2,) + hw + (3,))
        conv = layers.Conv2D(4, 3, strides=strides, padding=padding, use_bias=False,
                             dtype="float64")
        y_shape = conv.compute_output_shape(x.shape)
        y = rng.normal(size=y_shape)
        conv.build(x.shape)
        kernel = rng.normal(size=(3, 3, 3, 4))
        conv.set_weights([kernel])
        # Conv2DTranspose(filters=3) on 4-channel input: kernel (3, 3, out=3, in=4)
        convt = layers.Conv2DTranspose(3, 3, strides=strides, padding=padding, use_bias=False,
                                       dtype="float64")
        convt.build(y.shape)
        convt.set_weights([kernel])
        xt = numpy.asarray(convt(y))
        if xt.shape != x.shape:  # the transpose infers its size; crop/pad to x's
            assert padding == "valid"
            xt = xt[:, :hw[0], :hw[1]]
        lhs = numpy.sum(numpy.asarray(conv(x)) * y)
        rhs = numpy.sum(x * xt)
        assert lhs == pytest.approx(rhs, rel=1e-10)


def test_conv3d_matches_per_slice_conv2d(rng):
    """A Conv3D with kernel depth 1 is a Conv2D applied to each depth slice."""
    x = rng.normal(size=(2, 3, 6, 5, 2)).astype("float32")
    conv3 = layers.Conv3D(3, (1, 3, 2), strides=(1, 2, 1), padding="same")
    y3 = numpy.asarray(conv3(x))
    k, b = conv3.get_weights()
    conv2 = layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same")
    conv2.build((None, 6, 5, 2))
    conv2.set_weights([k[0], b])
    for d in range(3):
        numpy.testing.assert_allclose(y3[:, d], numpy.asarray(conv2(x[:, d])), rtol=1e-5,
                                      atol=1e-6)
    cf = layers.Conv3D(3, (1, 3, 2), strides=(1, 2, 1), padding="same",
                       data_format="channels_first")
    x_cf = numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1))
    cf.build(x_cf.shape)
    cf.set_weights([k, b])
    numpy.testing.assert_allclose(numpy.asarray(cf(x_cf)), numpy.moveaxis(y3, -1, 1),
                                  rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("layer,in_shape,out_shape", [
    (layers.Conv2D(8, 3), (None, None, None, 3), (None, None, None, 8)),
    (layers.Conv2D(8, 3, strides=2), (None, 9, None, 3), (None, 4, None, 8)),
    (layers.Conv2D(8, 3, padding="same", strides=2), (5, 9, 10, 3), (5, 5, 5, 8)),
    (layers.Conv2D(8, 3, data_format="channels_first"), (None, 3, 6, None),
     (None, 8, 4, None)),
    (layers.Conv2D(8, 3, dilation_rate=2), (None, 7, 5, 1), (None, 3, 1, 8)),
    (layers.Conv2DTranspose(8, 3, strides=2), (None, 4, None, 3), (None, 9, None, 8)),
    (layers.Conv2DTranspose(8, 3, strides=2, padding="same"), (None, 4, 5, 3),
     (None, 8, 10, 8)),
    (layers.Conv2DTranspose(8, 3, strides=2, padding="same", output_padding=0),
     (None, 4, 5, 3), (None, 7, 9, 8)),
    (layers.Conv2DTranspose(8, 4, strides=2, data_format="channels_first"),
     (None, 3, 4, 5), (None, 8, 10, 12)),
    (layers.Conv3D(4, 3), (None, 5, None, 6, 2), (None, 3, None, 4, 4)),
    (layers.Conv3D(4, 2, strides=2, padding="same", data_format="channels_first"),
     (None, 2, 5, 4, 3), (None, 4, 3, 2, 2)),
    (layers.Cropping2D(((1, 2), (0, 1))), (None, 5, None, 3), (None, 2, None, 3)),
    (layers.Cropping2D(1, data_format="channels_first"), (None, 3, 4, 5), (None, 3, 2, 3)),
    (layers.ZeroPadding2D(((1, 2), (3, 4))), (None, None, 2, 3), (None, None, 9, 3)),
    (layers.ZeroPadding2D(2, data_format="channels_first"), (None, 3, 4, 5), (None, 3, 8, 9)),
])
def test_compute_output_shape(layer, in_shape, out_shape):
    assert layer.compute_output_shape(in_shape) == out_shape
    assert layer.compute_output_shape(list(in_shape)) == out_shape


def test_symbolic_none_spatial_dims_then_concrete_inputs(rng):
    inp = gkeras.Input(shape=(None, None, 3))
    h = layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    h = layers.ZeroPadding2D(1)(h)
    h = layers.Conv2D(2, 3, strides=2)(h)
    h = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(h)
    out = layers.Cropping2D(1)(h)
    assert out.shape == (None, None, None, 2)
    model = gkeras.Model(inp, out)
    # 9x7 -> 'same' 9x7 -> padded 11x9 -> valid s2 5x4 -> transposed 10x8 -> cropped 8x6
    for hw, expected in [((8, 8), (6, 6)), ((9, 7), (8, 6))]:
        y = model.predict(rng.normal(size=(2,) + hw + (3,)).astype("float32"), verbose=0)
        assert y.shape == (2,) + expected + (2,)


def test_input_spec_after_build():
    conv = layers.Conv2D(2, 3, data_format="channels_first")
    assert conv.input_spec.ndim == 4 and not conv.input_spec.axes
    conv.build((None, 5, 8, 8))
    assert conv.input_spec.ndim == 4 and conv.input_spec.axes == {-3: 5}
    conv3 = layers.Conv3D(2, 1)
    conv3.build((None, 2, 2, 2, 7))
    assert conv3.input_spec.ndim == 5 and conv3.input_spec.axes == {-1: 7}


# ------------------------------------------------------------------ cropping / padding
def test_cropping_and_padding_numbers(rng):
    x = rng.normal(size=(2, 6, 7, 3)).astype("float32")
    y = numpy.asarray(layers.Cropping2D(((1, 2), (3, 0)))(x))
    numpy.testing.assert_array_equal(y, x[:, 1:4, 3:, :])
    y = numpy.asarray(layers.Cropping2D((2, 1), data_format="channels_first")(x))
    numpy.testing.assert_array_equal(y, x[:, :, 2:5, 1:2])
    y = numpy.asarray(layers.ZeroPadding2D(((1, 0), (2, 3)))(x))
    numpy.testing.assert_array_equal(y, numpy.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0))))
    y = numpy.asarray(layers.ZeroPadding2D(data_format="channels_first")(x))
    numpy.testing.assert_array_equal(y, numpy.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))))
    assert y.dtype == numpy.float32


def test_cropping_and_padding_configs():
    assert layers.Cropping2D(2).cropping == ((2, 2), (2, 2))
    assert layers.Cropping2D((1, 3)).cropping == ((1, 1), (3, 3))
    assert layers.Cropping2D([[1, 0], [0, 2]]).cropping == ((1, 0), (0, 2))
    assert layers.ZeroPadding2D(3).padding == ((3, 3), (3, 3))
    cfg = layers.ZeroPadding2D((1, 2)).get_config()
    assert cfg["padding"] == ((1, 1), (2, 2)) and cfg["data_format"] == "channels_last"
    clone = layers.ZeroPadding2D.from_config(json.loads(json.dumps(cfg)))
    assert clone.padding == ((1, 1), (2, 2))


# ------------------------------------------------------------------ gradients
def _with_kernel(layer, fn_kernel_names):
    """fn(x, *weights) evaluating `layer.call` with the given weight Tensors."""
    def fn(x, *weights):
        saved = [getattr(layer, n) for n in fn_kernel_names]
        for n, w in zip(fn_kernel_names, weights):
            setattr(layer, n, w)
        try:
            return layer.call(x)
        finally:
            for n, w in zip(fn_kernel_names, saved):
                setattr(layer, n, w)
    return fn


@pytest.mark.parametrize("layer,shape", [
    (layers.Conv2D(2, 3, strides=2, padding="same", activation="tanh", dtype="float64"),
     (2, 5, 4, 2)),
    (layers.Conv2D(2, 2, dilation_rate=2, data_format="channels_first", dtype="float64"),
     (1, 2, 5, 5)),
    (layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1,
                            dtype="float64"), (1, 3, 2, 2)),
    (layers.Conv2DTranspose(3, 2, strides=(1, 2), data_format="channels_first",
                            dtype="float64"), (1, 2, 3, 2)),
    (layers.Conv3D(2, 2, strides=(1, 2, 1), padding="same", dtype="float64"), (1, 3, 3, 2, 2)),
])
def test_conv_layer_gradients(layer, shape, rng):
    x = rng.normal(size=shape)
    layer.build(shape)
    weights = [rng.normal(size=w.shape) for w in layer.get_weights()]
    check_gradients(_with_kernel(layer, ["kernel", "bias"]), [x] + weights)


@pytest.mark.parametrize("layer", [
    layers.Cropping2D(((1, 0), (0, 2)), dtype="float64"),
    layers.Cropping2D(1, data_format="channels_first", dtype="float64"),
    layers.ZeroPadding2D(((0, 1), (2, 1)), dtype="float64"),
    layers.ZeroPadding2D(1, data_format="channels_first", dtype="float64"),
])
def test_crop_pad_gradients(layer, rng):
    check_gradients(layer.call, [rng.normal(size=(2, 3, 4, 3))])


# ------------------------------------------------------------------ regularizers etc.
def test_regularizers_constraints_and_activity(rng):
    x = rng.normal(size=(4, 5, 5, 2)).astype("float32")
    model = gkeras.Sequential([
        layers.Conv2D(3, 3, kernel_regularizer=gkeras.regularizers.l2(0.1),
                      bias_regularizer="l1", activity_regularizer=gkeras.regularizers.l1(0.5),
                      kernel_constraint="non_neg", bias_initializer="ones",
                      input_shape=(5, 5, 2)),
        layers.Flatten(),
    ])
    conv = model.layers[0]
    kernel, bias = conv.get_weights()
    penalties = [float(numpy.asarray(p)) for p in conv.regularization_losses()]
    assert penalties == pytest.approx([0.1 * numpy.sum(kernel.astype("float64") ** 2),
                                       0.01 * numpy.sum(numpy.abs(bias))], rel=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, numpy.zeros((4, 27), "float32"), epochs=1, batch_size=4, verbose=0)
    assert (conv.get_weights()[0] >= 0).all()  # NonNeg applied after the update
    assert conv.get_config()["kernel_constraint"]["class_name"] == "NonNeg"
    assert conv.get_config()["activity_regularizer"] == {"class_name": "L1",
                                                         "config": {"l1": 0.5}}


def test_activation_and_use_bias(rng):
    x = rng.normal(size=(2, 4, 4, 2)).astype("float32")
    relu = layers.Conv2D(3, 2, activation="relu", bias_initializer="ones")
    linear = layers.Conv2D(3, 2, bias_initializer="ones")
    linear.build(x.shape)
    relu.build(x.shape)
    linear.set_weights(relu.get_weights())
    numpy.testing.assert_allclose(numpy.asarray(relu(x)),
                                  numpy.maximum(numpy.asarray(linear(x)), 0), rtol=1e-6)
    nobias = layers.Conv2D(3, 2, use_bias=False)
    nobias(x)
    assert nobias.bias is None and len(nobias.weights) == 1
    assert nobias.get_config()["use_bias"] is False


def test_float64_layers(rng):
    x = rng.normal(size=(1, 5, 5, 2))
    for layer in (layers.Conv2D(2, 3, dtype="float64"),
                  layers.Conv2DTranspose(2, 3, strides=2, dtype="float64"),
                  layers.ZeroPadding2D(dtype="float64"), layers.Cropping2D(1, dtype="float64")):
        y = numpy.asarray(layer(x))
        assert y.dtype == numpy.float64
        assert all(w.dtype == numpy.float64 for w in layer.get_weights())


# ------------------------------------------------------------------ layer_test
@pytest.mark.parametrize("cls,kwargs,shape", [
    (layers.Conv2D, dict(filters=3, kernel_size=(2, 3), strides=(2, 1), padding="same",
                         activation="relu"), (2, 5, 6, 2)),
    (layers.Conv2D, dict(filters=2, kernel_size=2, dilation_rate=(2, 1),
                         data_format="channels_first", use_bias=False), (2, 3, 6, 5)),
    (layers.Conv2DTranspose, dict(filters=2, kernel_size=3, strides=2, padding="same",
                                  output_padding=1), (2, 3, 4, 2)),
    (layers.Conv2DTranspose, dict(filters=2, kernel_size=2, data_format="channels_first"),
     (2, 3, 3, 4)),
    (layers.Conv3D, dict(filters=2, kernel_size=(2, 2, 1), padding="same"), (2, 3, 4, 3, 2)),
    (layers.Conv3D, dict(filters=2, kernel_size=2, data_format="channels_first"),
     (2, 2, 3, 3, 3)),
    (layers.Cropping2D, dict(cropping=((1, 0), (1, 2))), (2, 4, 5, 2)),
    (layers.ZeroPadding2D, dict(padding=(2, 1), data_format="channels_first"), (2, 2, 3, 3)),
])
def test_layer_test(cls, kwargs, shape):
    layer_test(cls, kwargs, input_shape=shape, rtol=1e-5, atol=1e-5)


def test_model_config_json_and_weights_round_trip(tmp_path, rng):
    model = gkeras.Sequential([
        layers.ZeroPadding2D(1, input_shape=(6, 6, 2)),
        layers.Conv2D(3, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(2, 2, strides=2),
        layers.Cropping2D(((1, 0), (0, 1))),
        layers.Conv2D(2, 2, data_format="channels_first"),  # sees (C=7, H=7, W=2)
        layers.Flatten(),
    ])
    x = rng.normal(size=(3, 6, 6, 2)).astype("float32")
    y = model.predict(x, verbose=0)
    clone = gkeras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    numpy.testing.assert_allclose(clone.predict(x, verbose=0), y, rtol=1e-6)
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    again = gkeras.Sequential.from_config(model.get_config())
    again.load_weights(path)
    numpy.testing.assert_allclose(again.predict(x, verbose=0), y, rtol=1e-6)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make,fragments", [
    (lambda: layers.Conv2D(2, 3, groups=2), ["Conv2D", "groups=2", "not supported"]),
    (lambda: layers.Conv2D(2, 3, groups=0), ["Conv2D", "groups"]),
    (lambda: layers.Conv2D(2.5, 3), ["Conv2D", "filters=2.5"]),
    (lambda: layers.Conv2D(None, 3), ["Conv2D", "filters=None"]),
    (lambda: layers.Conv2D("8", 3), ["Conv2D", "filters"]),
    (lambda: layers.Conv2D(2, (3, 0)), ["Conv2D", "kernel_size", "(3, 0)"]),
    (lambda: layers.Conv2D(2, 3, strides=(1, 0)), ["Conv2D", "strides"]),
    (lambda: layers.Conv2D(2, 3, strides=-2), ["Conv2D", "strides"]),
    (lambda: layers.Conv2D(2, 3, dilation_rate=-1), ["Conv2D", "dilation_rate"]),
    (lambda: layers.Conv2D(2, 3, strides=(1, 2), dilation_rate=(2, 1)),
     ["Conv2D", "strides", "dilation_rate"]),
    (lambda: layers.Conv3D(2, 3, strides=2, dilation_rate=(1, 1, 2)),
     ["Conv3D", "strides", "dilation_rate"]),
    (lambda: layers.Conv3D(2, (3, 3)), ["Conv3D", "kernel_size", "3"]),
    (lambda: layers.Conv2D(2, 3, padding="SAMEISH"), ["Conv2D", "padding", "SAMEISH"]),
    (lambda: layers.Conv2D(2, 3, data_format="NHWC"), ["Conv2D", "data_format"]),
    (lambda: layers.Conv2DTranspose(2, 3, output_padding=1), ["Conv2DTranspose", "output"]),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=-1),
     ["Conv2DTranspose", "output_padding"]),
    (lambda: layers.Conv2DTranspose(2, 3, groups=2), ["Conv2DTranspose", "groups"]),
    (lambda: layers.Cropping2D(((1, 2, 3), (0, 0))), ["Cropping2D", "cropping"]),
    (lambda: layers.Cropping2D("1"), ["Cropping2D", "cropping"]),
    (lambda: layers.Cropping2D(data_format="channels_middle"), ["Cropping2D", "data_format"]),
    (lambda: layers.ZeroPadding2D(-1), ["ZeroPadding2D", "padding"]),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), ["ZeroPadding2D", "two elements"]),
])
def test_bad_constructor_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="Conv2D.*kernel_sise"):
        layers.Conv2D(2, kernel_size=3, kernel_sise=3)
    with pytest.raises(TypeError, match="border_mode"):
        layers.Conv2D(2, 3, border_mode="same")  # Keras 1's name


def test_kernel_larger_than_valid_input():
    # at build (symbolic)
    with pytest.raises(ValueError, match=r"Conv2D layer 'c'.*kernel_size=\(3, 5\).*\(4, 4\)"):
        layers.Conv2D(2, (3, 5), name="c")(gkeras.Input((4, 4, 1)))
    # dilation makes the kernel span more cells
    with pytest.raises(ValueError, match=r"dilation_rate=\(1, 3\).*spans \(3, 7\)"):
        layers.Conv2D(2, 3, dilation_rate=(1, 3))(numpy.zeros((1, 6, 6, 1), "float32"))
    # a built layer called eagerly on a smaller input
    conv = layers.Conv2D(2, 3, name="built")
    conv(numpy.zeros((1, 6, 6, 1), "float32"))
    with pytest.raises(ValueError, match=r"Conv2D layer 'built'.*\(2, 6\)"):
        conv(numpy.zeros((1, 2, 6, 1), "float32"))
    # 'same' always fits
    assert layers.Conv2D(2, 5, padding="same")(
        numpy.zeros((1, 2, 2, 1), "float32")).shape == (1, 2, 2, 2)
    with pytest.raises(ValueError, match=r"Conv3D.*\(2, 5, 5\)"):
        layers.Conv3D(2, 3)(numpy.zeros((1, 2, 5, 5, 1), "float32"))
    with pytest.raises(ValueError, match="Conv2D.*channels_first|Conv2D.*\\(1, 3\\)"):
        layers.Conv2D(2, 3, data_format="channels_first")(numpy.zeros((1, 5, 1, 3), "float32"))


def test_conv2d_transpose_inconsistent_output_padding():
    """tf-keras fails inside TensorFlow for these; gkeras names the argument."""
    layer = layers.Conv2DTranspose(2, (3, 2), strides=2, padding="same", output_padding=(1, 0))
    assert layer.compute_output_shape((None, 4, None, 3)) == (None, 8, None, 2)
    with pytest.raises(ValueError, match=r"Conv2DTranspose.*output_padding=\(1, 0\).*"
                                         r"\(4, 3\).*\(8, 4\).*\(4, 2\)"):
        layer(numpy.zeros((2, 4, 3, 3), "float32"))
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv2DTranspose(2, 2, strides=2, padding="same", output_padding=0)(
            gkeras.Input((3, 3, 2)))


def test_wrong_rank_and_channels():
    with pytest.raises(ValueError, match='layer "conv2d".*expected ndim=4, found ndim=5'):
        layers.Conv2D(2, 3)(numpy.zeros((1, 5, 5, 5, 1), "float32"))
    with pytest.raises(ValueError, match='layer "conv2d_transpose".*expected ndim=4'):
        layers.Conv2DTranspose(2, 3)(gkeras.Input((5, 5)))
    with pytest.raises(ValueError, match='layer "cropping2d".*expected ndim=4'):
        layers.Cropping2D()(gkeras.Input((5,)))
    with pytest.raises(ValueError, match='layer "zero_padding2d".*expected ndim=4'):
        layers.ZeroPadding2D()(gkeras.Input((5, 5, 5, 5)))
    conv = layers.Conv2D(2, 3, data_format="channels_first")
    conv(numpy.zeros((1, 3, 5, 5), "float32"))
    with pytest.raises(ValueError, match="expected axis -3 of input shape to have value 3"):
        conv(numpy.zeros((1, 5, 5, 3), "float32"))  # a channels_last image by mistake
    with pytest.raises(ValueError, match="Conv2D.*channel dimension.*None"):
        layers.Conv2D(2, 3, data_format="channels_first")(gkeras.Input((None, 5, 5)))
    with pytest.raises(ValueError, match="compute_output_shape|Conv2D.*rank 4"):
        layers.Conv2D(2, 3).compute_output_shape((None, 5, 5))


def test_cropping_more_than_the_input():
    with pytest.raises(ValueError, match=r"Cropping2D.*removes 5 of the input's 5 width"):
        layers.Cropping2D(((0, 0), (2, 3)))(numpy.zeros((1, 4, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r"Cropping2D.*removes 6 of the input's 4 height"):
        layers.Cropping2D(3, data_format="channels_first")(gkeras.Input((1, 4, 8)))
    crop = layers.Cropping2D(1)
    crop(gkeras.Input((None, None, 1)))  # unknown sizes: checked on data
    with pytest.raises(ValueError, match="Cropping2D"):
        crop(numpy.zeros((1, 2, 9, 1), "float32"))


# ------------------------------------------------------------------ learning
def _quadrant_data(rng, n):
    """8x8 grey images with one bright 4x4 quadrant; the label is the quadrant."""
    x = rng.uniform(0.0, 0.5, size=(n, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 4, size=n)
    for i, q in enumerate(labels):
        r, c = divmod(int(q), 2)
        x[i, 4 * r:4 * r + 4, 4 * c:4 * c + 4, 0] += 0.5
    return x, gkeras.utils.to_categorical(labels, 4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_small_cnn_learns_bright_quadrant(data_format, rng):
    gkeras.utils.set_random_seed(1)
    x, y = _quadrant_data(rng, 256)
    shape = (8, 8, 1)
    if data_format == "channels_first":
        x = numpy.ascontiguousarray(x.transpose(0, 3, 1, 2))
        shape = (1, 8, 8)
    model = gkeras.Sequential([
        layers.Conv2D(4, (3, 3), padding="same", activation="relu", input_shape=shape,
                      data_format=data_format),
        layers.MaxPooling2D(data_format=data_format),
        layers.Conv2D(8, (3, 3), activation="relu", data_format=data_format),
        layers.GlobalAveragePooling2D(data_format=data_format),
        layers.Dense(4, activation="softmax"),
    ])
    model.compile(optimizer=gkeras.optimizers.Adam(0.02), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x[:192], y[:192], batch_size=32, epochs=15, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    _, acc = model.evaluate(x[192:], y[192:], verbose=0)
    assert acc >= 0.9
