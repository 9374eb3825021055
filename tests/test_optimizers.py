"""Optimizers: update rules written out in numpy, configs and names, state save/restore,
learning-rate access, misuse errors and in-place updates.

Parity with real tf-keras runs is in test_optimizer_parity.py.
"""
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


# ---------------------------------------------------------------------------- more rules


def test_adadelta_adamax_nadam_one_step():
    lr, rho, eps = 1.0, 0.95, 1e-7
    (w,) = run(optimizers.Adadelta(learning_rate=lr), [G1])
    acc = (1 - rho) * G1 ** 2
    delta = numpy.sqrt(eps) * G1 / numpy.sqrt(acc + eps)
    close(w, W0 - lr * delta)
    lr, b1 = 0.01, 0.9
    (w,) = run(optimizers.Adamax(learning_rate=lr), [G1])
    close(w, W0 - lr * (1 - b1) * G1 / ((1 - b1) * (numpy.abs(G1) + eps)))
    (w,) = run(optimizers.Nadam(learning_rate=lr), [G1])
    u1, u2 = b1 * (1 - 0.5 * 0.96), b1 * (1 - 0.5 * 0.96 ** 2)
    m_hat = u2 * (1 - b1) * G1 / (1 - u1 * u2) + (1 - u1) * G1 / (1 - u1)
    v_hat = 0.001 * G1 ** 2 / 0.001
    close(w, W0 - lr * m_hat / (numpy.sqrt(v_hat) + eps))


def test_sgd_keeps_the_last_step_in_m_without_momentum():
    """tf-keras's SGD updates its `m` slot even with momentum 0: m = -lr * g."""
    opt = optimizers.SGD(learning_rate=0.1)
    run(opt)
    numpy.testing.assert_allclose(opt.get_weights()[1], -0.1 * G2, rtol=1e-6)


def test_scalar_coefficients_are_float32_like_tensorflow():
    """tf-keras computes Adam's alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) in
    float32 from float32-cast betas: 1 - float32(0.999) is 0.00099998713, so the
    first step is 6.4e-6 (relative) shorter than the float64 formula says."""
    opt = optimizers.Adam(learning_rate=0.01)
    var = Variable(_xp.asarray(numpy.zeros_like(W0)), name="w:0")
    opt.apply_gradients([(_xp.asarray(G1), var)])
    w = var.numpy()
    f = numpy.float32
    alpha = f(0.01) * numpy.sqrt(f(1) - f(0.999) ** f(1)) / (f(1) - f(0.9) ** f(1))
    m = G1 * f(1 - 0.9)
    v = G1 * G1 * f(1 - 0.999)
    numpy.testing.assert_array_equal(w, -(m * alpha) / (numpy.sqrt(v) + f(1e-7)))
    float64_step = 0.01 * numpy.sqrt(0.001) / 0.1 * 0.1 * G1 / (numpy.sqrt(0.001 * G1 ** 2) + 1e-7)
    numpy.testing.assert_allclose(-w / float64_step, 1 - 6.4e-6, atol=5e-7)


def test_float64_variables_use_float64_coefficients():
    opt = optimizers.Adam(learning_rate=0.01)
    var = Variable(_xp.asarray(W0.astype("float64")), name="w:0")
    opt.apply_gradients([(_xp.asarray(G1.astype("float64")), var)])
    assert var.dtype == numpy.float64
    g = G1.astype("float64")
    lr = float(numpy.float32(0.01))  # the learning-rate variable is float32, as in tf-keras
    alpha = lr * numpy.sqrt(1 - 0.999) / (1 - 0.9)
    expected = W0 - alpha * 0.1 * g / (numpy.sqrt(0.001 * g * g) + 1e-7)
    numpy.testing.assert_allclose(var.numpy(), expected, rtol=1e-13)


def test_weight_decay():
    """tf-keras's decoupled weight decay: w -= w * weight_decay * lr before the update."""
    (w,) = run(optimizers.SGD(learning_rate=0.1, weight_decay=0.5), [G1])
    close(w, W0 - W0 * 0.5 * 0.1 - 0.1 * G1)
    assert optimizers.SGD(weight_decay=0.5).get_config()["weight_decay"] == 0.5


def test_epsilon_none_is_keras22_default():
    for cls in (optimizers.RMSprop, optimizers.Adam, optimizers.Adagrad, optimizers.Adadelta,
                optimizers.Adamax, optimizers.Nadam):
        assert cls(epsilon=None).epsilon == 1e-7


def test_updates_are_in_place():
    """Weights and slots keep their arrays across steps (no reallocation per step)."""
    for opt in (optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                optimizers.RMSprop(momentum=0.5, centered=True), optimizers.Adam(amsgrad=True),
                optimizers.Adagrad(), optimizers.Adadelta(), optimizers.Adamax(),
                optimizers.Nadam()):
        var = Variable(_xp.asarray(W0), name="w:0")
        opt.apply_gradients([(_xp.asarray(G1), var)])
        arrays = [var.data] + [s.data for s in opt.weights[1:]]
        opt.apply_gradients([(_xp.asarray(G2), var)])
        assert all(a is b for a, b in zip(arrays, [var.data] + [s.data for s in opt.weights[1:]]))


def test_none_and_empty_gradients():
    opt = optimizers.Adam()
    a = Variable(_xp.asarray(W0), name="a:0")
    b = Variable(_xp.asarray(numpy.ones(3, "float32")), name="b:0")
    assert opt.apply_gradients([]) is opt.iterations
    assert int(opt.iterations.numpy()) == 0
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b:0'\]"):
        opt.apply_gradients([(_xp.asarray(G1), a), (None, b)])
    numpy.testing.assert_array_equal(b.numpy(), numpy.ones(3))
    # b's slots exist anyway (tf-keras builds on every variable), in the model's order
    assert [v.name for v in opt.weights] == ["iteration:0", "Adam/m/a:0", "Adam/v/a:0",
                                             "Adam/m/b:0", "Adam/v/b:0"]
    with pytest.raises(ValueError, match="no gradients"):
        opt.apply_gradients([(None, a), (None, b)])
    assert callable(opt.variables) and len(opt.variables()) == 5


# ---------------------------------------------------------------------------- configs


NON_DEFAULT = [
    optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True, clipnorm=2.0),
    optimizers.RMSprop(learning_rate=0.002, rho=0.8, momentum=0.3, epsilon=1e-6, centered=True,
                       clipvalue=0.5),
    optimizers.Adam(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-5, amsgrad=True,
                    global_clipnorm=1.0),
    optimizers.Adagrad(learning_rate=0.03, initial_accumulator_value=0.2, epsilon=1e-6,
                       decay=0.01),
    optimizers.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-6, weight_decay=0.1),
    optimizers.Adamax(learning_rate=0.004, beta_1=0.85, beta_2=0.95, epsilon=1e-6),
    optimizers.Nadam(learning_rate=0.003, beta_1=0.8, beta_2=0.98, epsilon=1e-6),
    optimizers.Nadam(learning_rate=0.002, schedule_decay=0.004, name="legacy_nadam"),
]


@pytest.mark.parametrize("opt", NON_DEFAULT, ids=[o.name for o in NON_DEFAULT])
def test_config_round_trip_all_optimizers(opt):
    config = opt.get_config()
    again = type(opt).from_config(config)
    assert again.get_config() == config
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is type(opt) and clone.get_config() == config
    file_style = optimizers.get({"class_name": "Custom>" + type(opt).__name__, "config": config})
    assert file_style.get_config() == config
    # the rebuilt optimizer updates identically
    assert_array_list_equal(run(type(opt).from_config(config)), run(again))
    assert_array_list_equal(run(again.from_config(config)), run(opt.from_config(config)))


def assert_array_list_equal(a, b):
    for x, y in zip(a, b):
        numpy.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name,cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("Sgd", optimizers.SGD),
    ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop),
    ("RMSPROP", optimizers.RMSprop), ("adam", optimizers.Adam), ("Adam", optimizers.Adam),
    ("ADAM", optimizers.Adam), ("adagrad", optimizers.Adagrad), ("Adagrad", optimizers.Adagrad),
    ("adadelta", optimizers.Adadelta), ("Adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("Adamax", optimizers.Adamax), ("nadam", optimizers.Nadam),
    ("Nadam", optimizers.Nadam), ("NADAM", optimizers.Nadam)])
def test_get_by_name_any_case(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert optimizers.get(name) is not opt  # a fresh instance each time
    assert type(optimizers.get({"class_name": name, "config": {}})) is cls
    assert type(optimizers.deserialize({"class_name": "Custom>" + name, "config": {}})) is cls


def test_custom_optimizer_class_from_a_file_config():
    class MyAdam(optimizers.Adam):
        pass

    config = {"class_name": "Custom>MyAdam", "config": optimizers.Adam(0.1).get_config()}
    opt = optimizers.deserialize(config, custom_objects={"MyAdam": MyAdam})
    assert type(opt) is MyAdam and opt.get_config()["learning_rate"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="Unknown optimizer: 'MyAdam'"):
        optimizers.deserialize(config)


def test_keras22_configs():
    """Keras 2.2 wrote `lr`, `decay` and, for Nadam, `schedule_decay`."""
    sgd = optimizers.get({"class_name": "SGD", "config": {
        "lr": 0.05, "momentum": 0.9, "decay": 0.01, "nesterov": True}})
    assert float(K.get_value(sgd.lr)) == pytest.approx(0.05) and sgd.decay == 0.01
    nadam = optimizers.get({"class_name": "Nadam", "config": {
        "lr": 0.002, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "schedule_decay": 0.004}})
    assert nadam.schedule_decay == 0.004
    assert type(optimizers.deserialize({"class_name": "Adagrad", "config": {
        "lr": 0.01, "epsilon": 1e-7, "decay": 0.0}})) is optimizers.Adagrad


def test_use_ema_in_a_config_warns():
    config = dict(optimizers.Adam().get_config(), use_ema=True)
    with pytest.warns(UserWarning, match="use_ema"):
        opt = optimizers.Adam.from_config(config)
    assert opt.get_config()["use_ema"] is False


def test_decay_only_in_config_when_set():
    assert "decay" not in optimizers.SGD().get_config()  # tf-keras's new configs have none
    assert optimizers.SGD(decay=0.1).get_config()["decay"] == 0.1


# ---------------------------------------------------------------------------- state


def _trained(opt_factory, steps):
    """A small model with fixed weights after `steps` updates on a fixed batch."""
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 3)).astype("float32")
    model = gkeras.Sequential([layers.Dense(5, activation="tanh", input_shape=(4,)),
                               layers.Dense(3)])
    model.compile(opt_factory(), "mse")
    model.set_weights([numpy.full(w.shape, 0.1 * (i + 1), "float32") + 0.01 * numpy.arange(
        w.size, dtype="float32").reshape(w.shape) for i, w in enumerate(model.get_weights())])
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model, x, y


FACTORIES = [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, decay=0.05),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Adam(0.01, amsgrad=True),
    lambda: optimizers.Adagrad(0.1),
    lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.Adamax(0.01),
    lambda: optimizers.Nadam(0.01),
    lambda: optimizers.Nadam(0.01, schedule_decay=0.004),
]


@pytest.mark.parametrize("factory", FACTORIES,
                         ids=["sgd", "rmsprop", "adam", "adagrad", "adadelta", "adamax",
                              "nadam", "nadam_keras22"])
def test_set_weights_resumes_training_exactly(factory):
    """Saving model + optimizer state after 3 steps and restoring both into a fresh
    model and optimizer continues exactly like uninterrupted training."""
    reference, x, y = _trained(factory, 3)
    weights = reference.get_weights()
    state = reference.optimizer.get_weights()
    assert int(state[0]) == 3

    resumed = gkeras.Sequential([layers.Dense(5, activation="tanh", input_shape=(4,)),
                                 layers.Dense(3)])
    resumed.compile(factory(), "mse")
    resumed.set_weights(weights)
    with pytest.raises(ValueError, match="optimizer.build"):
        resumed.optimizer.set_weights(state)  # not built yet: a clear hint
    resumed.optimizer.build(resumed.trainable_weights)
    resumed.optimizer.set_weights(state)
    assert_array_list_equal(resumed.optimizer.get_weights(), state)
    for _ in range(3):
        reference.train_on_batch(x, y)
        resumed.train_on_batch(x, y)
    assert_array_list_equal(resumed.get_weights(), reference.get_weights())
    assert_array_list_equal(resumed.optimizer.get_weights(), reference.optimizer.get_weights())


def test_set_weights_can_rewind_nadam():
    """Nadam's schedule product is recomputed from `iterations`, also backwards."""
    model, x, y = _trained(lambda: optimizers.Nadam(0.01), 2)
    weights, state = model.get_weights(), model.optimizer.get_weights()
    model.train_on_batch(x, y)
    after_once = model.get_weights()
    for _ in range(3):
        model.train_on_batch(x, y)
    model.set_weights(weights)
    model.optimizer.set_weights(state)
    model.train_on_batch(x, y)
    assert_array_list_equal(model.get_weights(), after_once)


# ---------------------------------------------------------------------------- learning rate


def test_learning_rate_setters_take_effect():
    model = gkeras.Sequential([layers.Dense(1, input_shape=(2,), use_bias=False,
                                            kernel_initializer="zeros")])
    model.compile(optimizers.SGD(), "mse")
    x = numpy.array([[1.0, 2.0]], "float32")
    y = numpy.array([[1.0]], "float32")
    K.set_value(model.optimizer.lr, 0.5)
    assert float(K.get_value(model.optimizer.learning_rate)) == 0.5
    model.train_on_batch(x, y)
    close(model.get_weights()[0], 0.5 * 2 * x.T)  # grad of (x.w - 1)^2 at w=0 is -2x
    model.set_weights([numpy.zeros((2, 1), "float32")])
    model.optimizer.learning_rate = 0.1
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.1)
    model.train_on_batch(x, y)
    close(model.get_weights()[0], 0.1 * 2 * x.T)
    model.set_weights([numpy.zeros((2, 1), "float32")])
    model.optimizer.lr = numpy.float64(0.25)
    model.train_on_batch(x, y)
    close(model.get_weights()[0], 0.25 * 2 * x.T)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.25)
    assert K.get_value(model.optimizer.lr).dtype == numpy.float32


def test_lr_alias_in_constructors():
    for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.Adagrad,
                optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam):
        assert float(K.get_value(cls(lr=0.123).lr)) == pytest.approx(0.123)
    assert float(K.get_value(optimizers.Adam(learning_rate=0.5, lr=0.5).lr)) == 0.5
    with pytest.raises(ValueError, match="both `lr=0.2` and `learning_rate=0.1`"):
        optimizers.SGD(0.1, lr=0.2)


# ---------------------------------------------------------------------------- misuse


@pytest.mark.parametrize("make,error,match", [
    (lambda: optimizers.SGD(momentum=-0.1), ValueError, r"momentum.*\[0, 1\]"),
    (lambda: optimizers.SGD(momentum=1.5), ValueError, r"momentum.*\[0, 1\]"),
    (lambda: optimizers.RMSprop(momentum=2.0), ValueError, "momentum"),
    (lambda: optimizers.RMSprop(rho=-0.5), ValueError, "rho"),
    (lambda: optimizers.Adadelta(rho=1.5), ValueError, "rho"),
    (lambda: optimizers.Adam(beta_1=1.1), ValueError, "beta_1"),
    (lambda: optimizers.Adamax(beta_2=-1.0), ValueError, "beta_2"),
    (lambda: optimizers.Nadam(beta_1=2.0), ValueError, "beta_1"),
    (lambda: optimizers.Adam(epsilon=-1e-7), ValueError, "epsilon"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-0.1), ValueError,
     "initial_accumulator_value"),
    (lambda: optimizers.SGD(clipnorm=-1.0), ValueError, "clipnorm"),
    (lambda: optimizers.SGD(clipvalue=-1.0), ValueError, "clipvalue"),
    (lambda: optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0), ValueError, "global_clipnorm"),
    (lambda: optimizers.SGD(decay=-0.1), ValueError, "decay"),
    (lambda: optimizers.Nadam(decay=0.1), ValueError, "schedule_decay"),
    (lambda: optimizers.SGD(learning_rate="fast"), TypeError, "must be a number"),
    (lambda: optimizers.SGD(learning_rate=[0.1]), TypeError, "must be a number"),
    (lambda: optimizers.SGD(learning_rate=lambda step: 0.1), TypeError, "schedules"),
    (lambda: optimizers.Adam(momentum=0.9), TypeError, "unexpected keyword arguments: momentum"),
    (lambda: optimizers.Adam(bogus=1, other=2), TypeError, "bogus, other"),
    (lambda: optimizers.Adam(use_ema=True), NotImplementedError, "use_ema"),
    (lambda: optimizers.SGD(momentum="0.9"), TypeError, "momentum"),
])
def test_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_negative_learning_rate_is_accepted_like_keras():
    """Keras does not validate the sign of the learning rate (gradient ascent works)."""
    (w,) = run(optimizers.SGD(learning_rate=-0.1), [G1])
    close(w, W0 + 0.1 * G1)
    opt = optimizers.SGD()
    with pytest.raises(TypeError, match="must be a number"):
        opt.learning_rate = "slow"


@pytest.mark.skipif(_xp.xp() is not numpy, reason="tracemalloc sees numpy allocations only")
@pytest.mark.parametrize("opt,most", [
    (optimizers.SGD(), 0), (optimizers.SGD(momentum=0.9), 1),
    (optimizers.SGD(momentum=0.9, nesterov=True), 2), (optimizers.RMSprop(), 2),
    (optimizers.RMSprop(momentum=0.9, centered=True), 2), (optimizers.Adam(), 2),
    (optimizers.Adam(amsgrad=True), 2), (optimizers.Adagrad(), 2), (optimizers.Adadelta(), 2),
    (optimizers.Adamax(), 2), (optimizers.Nadam(), 2), (optimizers.SGD(clipnorm=1.0), 1)],
    ids=lambda o: o.name if isinstance(o, optimizers.Optimizer) else str(o))
def test_update_temporaries_are_bounded(opt, most):
    """A step allocates at most `most` weight-sized temporaries (updates work in place)."""
    import tracemalloc
    size = 1 << 18
    var = Variable(_xp.asarray(numpy.ones(size, "float32")), name="w:0")
    grad = _xp.asarray(numpy.full(size, 0.01, "float32"))
    opt.apply_gradients([(grad, var)])
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        opt.apply_gradients([(grad, var)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= (most + 0.05) * 4 * size


def test_nadam_restored_at_a_late_step_is_fast_and_finite():
    """The schedule product is recomputed from `iterations` after set_weights; it stops
    changing after ~1000 steps (float32 underflow), so a late step costs no long loop."""
    import time
    opt = optimizers.Nadam(learning_rate=0.01)
    var = Variable(_xp.asarray(W0), name="w:0")
    opt.build([var])
    state = opt.get_weights()
    state[0] = numpy.int64(10 ** 7)
    state[1], state[2] = 0.1 * G1, 0.001 * G1 ** 2
    opt.set_weights(state)
    start = time.perf_counter()
    opt.apply_gradients([(_xp.asarray(G1), var)])
    assert time.perf_counter() - start < 1.0
    assert numpy.all(numpy.isfinite(var.numpy())) and not numpy.array_equal(var.numpy(), W0)
    assert int(opt.iterations.numpy()) == 10 ** 7 + 1
