"""Optimizers: one update against the tf.keras 2.11+ formulas written out in numpy."""
import numpy
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers, optimizers
from gkeras.autograd.variable import Variable
from gkeras.backend import xp as _xp

W0 = numpy.array([[0.5, -1.0], [2.0, 0.25]], "float32")
G1 = numpy.array([[0.1, -0.2], [0.3, 0.05]], "float32")
G2 = numpy.array([[-0.4, 0.1], [0.2, 0.0]], "float32")


def run(opt, grads=(G1, G2)):
    """Applies each gradient in turn to a variable starting at W0; returns its values."""
    var = Variable(_xp.asarray(W0), name="w:0")
    out = []
    for g in grads:
        opt.apply_gradients([(_xp.asarray(g), var)])
        out.append(var.numpy())
    return out


def close(a, b):
    numpy.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_sgd():
    w1, w2 = run(optimizers.SGD(learning_rate=0.1))
    close(w1, W0 - 0.1 * G1)
    close(w2, W0 - 0.1 * G1 - 0.1 * G2)


def test_sgd_momentum_and_nesterov():
    lr, mu = 0.1, 0.9
    w1, w2 = run(optimizers.SGD(learning_rate=lr, momentum=mu))
    m1 = -lr * G1
    m2 = mu * m1 - lr * G2
    close(w1, W0 + m1)
    close(w2, W0 + m1 + m2)
    w1, w2 = run(optimizers.SGD(learning_rate=lr, momentum=mu, nesterov=True))
    n1 = W0 + mu * m1 - lr * G1
    close(w1, n1)
    close(w2, n1 + mu * m2 - lr * G2)


def test_rmsprop():
    lr, rho, eps = 0.01, 0.9, 1e-7
    w1, w2 = run(optimizers.RMSprop(learning_rate=lr))
    v1 = (1 - rho) * G1 ** 2
    v2 = rho * v1 + (1 - rho) * G2 ** 2
    e1 = W0 - lr * G1 / numpy.sqrt(v1 + eps)  # epsilon inside the root (tf.keras 2.11+)
    close(w1, e1)
    close(w2, e1 - lr * G2 / numpy.sqrt(v2 + eps))


def test_rmsprop_centered_momentum():
    lr, rho, mu, eps = 0.01, 0.9, 0.5, 1e-7
    (w1,) = run(optimizers.RMSprop(learning_rate=lr, momentum=mu, centered=True), [G1])
    v = (1 - rho) * G1 ** 2
    a = (1 - rho) * G1
    close(w1, W0 - lr * G1 / numpy.sqrt(v - a * a + eps))


def test_adam():
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-7
    w1, w2 = run(optimizers.Adam(learning_rate=lr))
    m = (1 - b1) * G1
    v = (1 - b2) * G1 ** 2
    alpha = lr * numpy.sqrt(1 - b2) / (1 - b1)
    e1 = W0 - alpha * m / (numpy.sqrt(v) + eps)  # epsilon not bias-corrected
    close(w1, e1)
    m = b1 * m + (1 - b1) * G2
    v = b2 * v + (1 - b2) * G2 ** 2
    alpha = lr * numpy.sqrt(1 - b2 ** 2) / (1 - b1 ** 2)
    close(w2, e1 - alpha * m / (numpy.sqrt(v) + eps))


def test_adam_amsgrad():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w1, w2 = run(optimizers.Adam(learning_rate=lr, amsgrad=True), [G1, G1 * 0.1])
    m1, v1 = (1 - b1) * G1, (1 - b2) * G1 ** 2
    e1 = W0 - lr * numpy.sqrt(1 - b2) / (1 - b1) * m1 / (numpy.sqrt(v1) + eps)
    m2 = b1 * m1 + (1 - b1) * 0.1 * G1
    v2 = b2 * v1 + (1 - b2) * (0.1 * G1) ** 2
    vhat = numpy.maximum(v1, v2)
    close(w2, e1 - lr * numpy.sqrt(1 - b2 ** 2) / (1 - b1 ** 2) * m2 / (numpy.sqrt(vhat) + eps))


def test_adagrad():
    lr, eps = 0.1, 1e-7
    w1, w2 = run(optimizers.Adagrad(learning_rate=lr))
    acc1 = 0.1 + G1 ** 2  # initial_accumulator_value=0.1
    e1 = W0 - lr * G1 / numpy.sqrt(acc1 + eps)
    close(w1, e1)
    close(w2, e1 - lr * G2 / numpy.sqrt(acc1 + G2 ** 2 + eps))


def test_defaults():
    assert float(K.get_value(optimizers.SGD().learning_rate)) == pytest.approx(0.01)
    for cls in (optimizers.RMSprop, optimizers.Adam, optimizers.Adagrad):
        assert float(K.get_value(cls().learning_rate)) == pytest.approx(0.001)
    assert optimizers.RMSprop().rho == 0.9 and optimizers.Adam().epsilon == 1e-7


def test_lr_alias_and_get_value_on_model():
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,), use_bias=False,
                                            kernel_initializer="zeros")])
    model.compile(optimizers.SGD(lr=0.5), "mse")
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.5)
    assert model.optimizer.lr is model.optimizer.learning_rate
    K.set_value(model.optimizer.lr, 0.25)
    assert float(K.get_value(model.optimizer.learning_rate)) == pytest.approx(0.25)
    x = numpy.array([[1.0, 2.0]], "float32")
    model.train_on_batch(x, numpy.array([[1.0]], "float32"))
    # grad of (x.w - 1)^2 at w=0 is -2x; the step uses the new rate 0.25
    close(model.get_weights()[0], 0.25 * 2 * x.T)
    model.optimizer.lr = 0.1
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.1)


def test_decay_divides_learning_rate():
    w1, w2 = run(optimizers.SGD(learning_rate=0.1, decay=0.5))
    close(w1, W0 - 0.1 * G1)
    close(w2, W0 - 0.1 * G1 - 0.1 / (1 + 0.5) * G2)


def test_clipnorm_and_clipvalue():
    big = numpy.array([[3.0, 4.0], [0.0, 0.0]], "float32")  # norm 5
    (w,) = run(optimizers.SGD(learning_rate=1.0, clipnorm=1.0), [big])
    close(w, W0 - big / 5.0)
    (w,) = run(optimizers.SGD(learning_rate=1.0, clipnorm=10.0), [big])
    close(w, W0 - big)
    (w,) = run(optimizers.SGD(learning_rate=1.0, clipvalue=0.5), [big - 1.0])
    close(w, W0 - numpy.clip(big - 1.0, -0.5, 0.5))
    # tf.keras applies ONE rule: clipnorm wins over clipvalue
    (w,) = run(optimizers.SGD(learning_rate=1.0, clipnorm=1.0, clipvalue=0.1), [big])
    close(w, W0 - big / 5.0)


def test_global_clipnorm():
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    a = Variable(_xp.asarray(numpy.zeros(2, "float32")))
    b = Variable(_xp.asarray(numpy.zeros(1, "float32")))
    opt.apply_gradients([(_xp.asarray(numpy.array([3.0, 0.0], "float32")), a),
                         (_xp.asarray(numpy.array([4.0], "float32")), b)])
    close(a.numpy(), [-0.6, 0.0])
    close(b.numpy(), [-0.8])
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_iterations_and_state_weights_round_trip():
    opt = optimizers.Adam(learning_rate=0.01)
    a = Variable(_xp.asarray(W0), name="a:0")
    b = Variable(_xp.asarray(numpy.ones(3, "float32")), name="b:0")
    g_b = _xp.asarray(numpy.array([0.1, 0.2, 0.3], "float32"))
    opt.apply_gradients([(_xp.asarray(G1), a), (g_b, b)])
    state = opt.get_weights()
    assert [s.shape for s in state] == [(), (2, 2), (2, 2), (3,), (3,)]  # iterations, m, v, ...
    assert int(state[0]) == 1
    # m and v interleaved by variable, as tf.keras orders them
    numpy.testing.assert_allclose(state[1], 0.1 * G1, rtol=1e-6)
    numpy.testing.assert_allclose(state[2], 0.001 * G1 ** 2, rtol=1e-5)
    numpy.testing.assert_allclose(state[3], 0.1 * numpy.array([0.1, 0.2, 0.3]), rtol=1e-6)
    # a second optimizer given that state continues exactly like the first
    twin = optimizers.Adam(learning_rate=0.01)
    a2 = Variable(a, name="a:0")
    b2 = Variable(b, name="b:0")
    twin.build([a2, b2])
    twin.set_weights(state)
    opt.apply_gradients([(_xp.asarray(G2), a), (g_b, b)])
    twin.apply_gradients([(_xp.asarray(G2), a2), (g_b, b2)])
    numpy.testing.assert_array_equal(a.numpy(), a2.numpy())
    numpy.testing.assert_array_equal(b.numpy(), b2.numpy())
    assert int(opt.iterations.numpy()) == 2
    with pytest.raises(ValueError, match="has 5 state variables but 1 values"):
        twin.set_weights(state[:1])
    with pytest.raises(ValueError, match="shape"):
        twin.set_weights([state[0], numpy.zeros((3, 3))] + state[2:])


def test_model_optimizer_weights_after_fit(rng):
    model = gkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile("rmsprop", "mse")
    model.fit(rng.normal(size=(8, 3)).astype("float32"), numpy.zeros((8, 2), "float32"),
              batch_size=4, verbose=0)
    state = model.optimizer.get_weights()
    assert int(state[0]) == 2
    assert [s.shape for s in state[1:]] == [(3, 2), (2,)]


def test_get_by_name_instance_and_config():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("SGD"), optimizers.SGD)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("adagrad"), optimizers.Adagrad)
    opt = optimizers.Adam(learning_rate=0.02, beta_1=0.8)
    assert optimizers.get(opt) is opt
    clone = optimizers.get(optimizers.serialize(opt))
    assert isinstance(clone, optimizers.Adam)
    assert clone.get_config() == opt.get_config()
    assert clone.get_config()["learning_rate"] == pytest.approx(0.02)
    tf_keras_style = {"class_name": "Custom>Adam", "config": dict(
        opt.get_config(), is_legacy_optimizer=False, jit_compile=False, use_ema=False)}
    assert isinstance(optimizers.deserialize(tf_keras_style), optimizers.Adam)


def test_unknown_optimizer_and_arguments():
    with pytest.raises(ValueError, match="Unknown optimizer: 'foo'"):
        optimizers.get("foo")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    with pytest.raises(TypeError, match="unexpected keyword arguments: bogus"):
        optimizers.SGD(bogus=1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=2.0)
