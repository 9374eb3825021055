"""Optimizers with tf.keras 2's update rules (the Keras 2.11+ generation).

Each update follows tf-keras's `update_step` operation by operation, with the
scalar coefficients (beta powers, bias corrections, the Nadam schedule)
computed in the variable's dtype as TensorFlow computes them, so float32
results agree with tf-keras to a few units in the last place.

Keras 2.2 compatibility:

* `lr=` is the learning rate (tf-keras's new optimizers accept and ignore it).
* `decay=` divides the learning rate by (1 + decay * iterations), iterations
  counted before the step, as Keras 2.2 and tf-keras's legacy optimizers do
  (tf-keras's new optimizers reject `decay`). Nadam has no learning-rate decay
  in any Keras version; its Keras 2.2 `schedule_decay` is the momentum schedule.
* `epsilon=None` means 1e-7 (`K.epsilon()`).

Updates run in place on raw arrays (numpy or CuPy), outside any tape, with the
learning rate and step count read from host-side caches so a step does not wait
on the device.
"""
import numbers
import warnings

import numpy

from .autograd.tensor import Tensor
from .autograd.variable import Variable
from .backend import xp as _xp
from .utils.generic_utils import deserialize_keras_object

_DEFAULT_EPSILON = 1e-7


class _CallableList(list):
    """A list that can also be called, as tf.keras's `optimizer.variables()`."""

    def __call__(self):
        return list(self)


def _check_range(cls_name, arg, value, low=0.0, high=1.0):
    """Raises a clear ValueError unless `low <= value <= high`."""
    _check_number(cls_name, arg, value)
    if not low <= value <= high:
        raise ValueError("%s: `%s` must be in [%g, %g], got %r" % (cls_name, arg, low, high, value))
    return float(value)


def _check_number(cls_name, arg, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s: `%s` must be a number, got %r" % (cls_name, arg, value))
    return value


def _epsilon(cls_name, value):
    """`epsilon=None` is Keras 2.2's spelling of the default K.epsilon() (1e-7)."""
    if value is None:
        return _DEFAULT_EPSILON
    _check_number(cls_name, "epsilon", value)
    if value < 0:
        raise ValueError("%s: `epsilon` must be >= 0, got %r" % (cls_name, value))
    return float(value)


class Optimizer:
    """Base class: subclasses define `_slot_groups`, `_coefficients` and `_update`.

    `_slot_groups` lists groups of slot names. State is ordered as tf.keras
    orders `optimizer.variables()`: `iterations` first, then group by group,
    each group interleaved over the variables (Adam: m, v of the first
    weight, m, v of the second, ..., then AMSGrad's vhat of every weight).

    Args (shared by every optimizer, as tf-keras's):
        learning_rate: a number (`lr` is Keras 2.2's alias).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
            Only one clipping rule applies: clipnorm, else global_clipnorm, else
            clipvalue (tf-keras's order).
        weight_decay: decoupled weight decay, w -= w * weight_decay * lr before
            each update (tf-keras).
        decay: Keras 2.2's learning-rate decay, lr / (1 + decay * iterations).
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: accepted
            for tf-keras compatibility; `use_ema=True` is not supported.
    """

    _slot_groups = ()
    _default_learning_rate = 0.001

    def __init__(self, learning_rate=0.001, name=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, weight_decay=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, decay=0.0, lr=None, **kwargs):
        cls_name = type(self).__name__
        if kwargs:
            raise TypeError("%s got unexpected keyword arguments: %s"
                            % (cls_name, ", ".join(sorted(kwargs))))
        if lr is not None:
            if (learning_rate != self._default_learning_rate
                    and _as_float(cls_name, learning_rate) != _as_float(cls_name, lr)):
                raise ValueError("%s: got both `lr=%r` and `learning_rate=%r`; pass only one "
                                 "(`lr` is Keras 2.2's name for `learning_rate`)."
                                 % (cls_name, lr, learning_rate))
            learning_rate = lr
        learning_rate = _as_float(cls_name, learning_rate)
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm),
                           ("weight_decay", weight_decay)):
            if value is not None and _check_number(cls_name, arg, value) < 0:
                raise ValueError("%s: `%s` must be >= 0 (or None), got %r"
                                 % (cls_name, arg, value))
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("%s: cannot accept both `clipnorm` and `global_clipnorm` "
                             "(received clipnorm=%r, global_clipnorm=%r)."
                             % (cls_name, clipnorm, global_clipnorm))
        if _check_number(cls_name, "decay", decay) < 0:
            raise ValueError("%s: `decay` must be >= 0, got %r" % (cls_name, decay))
        if use_ema:
            raise NotImplementedError(
                "%s: `use_ema=True` (exponential moving average of the weights) is not "
                "supported by gkeras." % cls_name)
        self.name = name or cls_name
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.weight_decay = weight_decay
        self.use_ema, self.ema_momentum = False, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.jit_compile = False  # tf-keras records False where XLA is not used
        self.decay = float(decay)
        self._learning_rate = Variable(numpy.float32(learning_rate),
                                       name="%s/learning_rate:0" % self.name, trainable=False)
        self.iterations = Variable(numpy.int64(0), name="iteration:0", trainable=False)
        self._lr_cache = (None, 0.0)  # (the array read, its value as a Python float)
        self._step_cache = (None, 0)  # (the array read, its value as a Python int)
        self._slots = {}  # id(variable) -> {slot name: Variable}
        self._var_list = []  # variables in the order their slots were created

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The learning-rate Variable (read with K.get_value, set with K.set_value or `=`)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate.assign(numpy.float32(_as_float(type(self).__name__, value)))

    lr = learning_rate

    def _host_value(self, variable, cache, convert):
        """`convert(variable's value)`, read from the device only when its array changed.

        On a GPU, reading a value waits for the device: it is read again only after
        assign() / K.set_value / an update, which replace the array. `cache` names the
        (array read, value) attribute.
        """
        data = variable.data
        if isinstance(data, (numpy.ndarray, numpy.generic)):
            return convert(data)
        if data is not getattr(self, cache)[0]:
            setattr(self, cache, (data, convert(_xp.asnumpy(data))))
        return getattr(self, cache)[1]

    def _host_lr(self):
        return self._host_value(self._learning_rate, "_lr_cache", float)

    def _host_step(self):
        return self._host_value(self.iterations, "_step_cache", int)

    def _decayed_lr(self, f, step):
        """The step's learning rate in dtype `f`: Keras 2.2 / legacy tf-keras decay."""
        lr = f(self._host_lr())
        if self.decay:
            lr = lr / (f(1.0) + f(self.decay) * f(step))
        return lr

    # ------------------------------------------------------------ updates
    def apply_gradients(self, grads_and_vars):
        """Applies one update step to each (gradient, variable) pair; returns `iterations`.

        Pairs whose gradient is None are skipped (their slots are still created,
        so the state layout matches tf.keras's).
        """
        pairs = [(g.data if isinstance(g, Tensor) else g, v) for g, v in grads_and_vars]
        if not pairs:
            return self.iterations
        self.build([v for _, v in pairs])
        missing = [v.name for g, v in pairs if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError("%s: no gradients provided for any variable: %s."
                             % (self.name, missing))
        if missing:  # tf-keras's warning, word for word
            warnings.warn("Gradients do not exist for variables %s when minimizing the loss. "
                          "If you're using `model.compile()`, did you forget to provide a "
                          "`loss` argument?" % (missing,), UserWarning, stacklevel=2)
        grads = self._clip([g for g, _ in pairs])
        step = self._host_step()
        xp = _xp.xp()
        names = self._slot_names()
        coefficients = {}  # per dtype, as TF casts hyperparameters to the variable's dtype
        for g, (_, var) in zip(grads, pairs):
            w = var.data
            f = w.dtype.type
            if f not in coefficients:
                lr = self._decayed_lr(f, step)
                coefficients[f] = (lr, self._coefficients(f, lr, step + 1))
            lr, c = coefficients[f]
            if g.dtype != w.dtype:
                g = g.astype(w.dtype)
            if self.weight_decay:  # tf-keras: w -= w * weight_decay * lr
                decayed = w * f(self.weight_decay)
                decayed *= lr
                w -= decayed
            slots = [self._slots[id(var)][n].data for n in names]
            if (xp is numpy and w.size and w.ndim and g.shape == w.shape
                    and type(self)._update in _ELEMENTWISE_UPDATES):
                new = _update_in_blocks(self, w, g, slots, c)
            else:
                new = self._update(xp, w, g, slots, c)
            if new is not None:
                var.data = new
            if var.constraint is not None:
                var.data = var.constraint(var.data)
        new_step = xp.asarray(self.iterations.data + 1)  # a new array: fetched values stay
        self.iterations.data = new_step
        self._step_cache = (new_step, step + 1)
        return self.iterations

    def _clip(self, grads):
        """tf.keras's clipping: ONE rule, clipnorm before global_clipnorm before clipvalue."""
        xp = _xp.xp()
        if self.clipnorm and self.clipnorm > 0:
            out = []
            for g in grads:  # tf.clip_by_norm: g * c / max(||g||, c)
                c = g.dtype.type(self.clipnorm)
                norm = xp.sqrt(xp.vdot(g, g)) if g.ndim else xp.abs(g)
                clipped = g * c
                clipped /= xp.maximum(norm, c)
                out.append(clipped)
            return out
        if self.global_clipnorm and self.global_clipnorm > 0 and grads:
            # tf.clip_by_global_norm: scale = c * min(1 / norm, 1 / c), NaN for a non-finite norm
            norm = xp.sqrt(sum(xp.vdot(g, g) if g.ndim else g * g for g in grads))
            c = norm.dtype.type(self.global_clipnorm)
            with numpy.errstate(divide="ignore", invalid="ignore"):
                scale = c * xp.minimum(1.0 / norm, 1.0 / c) + (norm - norm)
            return [g * scale.astype(g.dtype) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _slot_names(self):
        return [name for group in self._slot_groups for name in group]

    def build(self, var_list):
        """Creates the slots of any new variables in `var_list`, in tf.keras's order.

        Call it with the model's trainable weights before `set_weights` when
        restoring saved state into a fresh optimizer.
        """
        new, seen = [], set()
        for v in var_list:
            if id(v) not in self._slots and id(v) not in seen:
                seen.add(id(v))
                new.append(v)
        if not new:
            return
        xp = _xp.xp()
        for var in new:
            self._slots[id(var)] = {
                name: Variable(xp.full(var.shape, self._slot_init(name), dtype=var.dtype),
                               name="%s/%s/%s:0" % (self.name, name, var.name.split(":")[0]),
                               trainable=False)
                for name in self._slot_names()}
            self._var_list.append(var)

    def _slot_init(self, name):
        return 0.0

    def _coefficients(self, f, lr, t):
        """Scalars shared by every variable of dtype `f` at step `t` (1-based)."""
        return lr

    def _update(self, xp, w, g, slots, c):
        """Updates `w` and `slots` in place (or returns the new `w`)."""
        raise NotImplementedError

    # ------------------------------------------------------------ state
    @property
    def weights(self):
        """iterations first, then the slots group by group, interleaved over variables."""
        out = _CallableList([self.iterations])
        for group in self._slot_groups:
            for var in self._var_list:
                out += [self._slots[id(var)][name] for name in group]
        return out

    variables = weights

    def get_weights(self):
        """The state as numpy arrays: iterations (int64) first, then the slots."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Restores state saved by `get_weights` (call `build(var_list)` first)."""
        params = self.weights
        if len(params) != len(weights):
            hint = ("; the optimizer has no slots yet: call `optimizer.build("
                    "model.trainable_weights)` first" if not self._var_list else "")
            raise ValueError("Optimizer %s has %d state variables but %d values were given%s."
                             % (self.name, len(params), len(weights), hint))
        for var, value in zip(params, weights):
            if tuple(numpy.shape(value)) != var.shape:
                raise ValueError("Optimizer state %r has shape %s, got %s"
                                 % (var.name, var.shape, numpy.shape(value)))
        for var, value in zip(params, weights):
            var.assign(_xp.asarray(numpy.asarray(_xp.asnumpy(value)).astype(var.dtype)))

    # ------------------------------------------------------------ config
    def get_config(self):
        """tf-keras's config keys (plus `decay` when set, as Keras 2.2 wrote it)."""
        cfg = {"name": self.name, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
               "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
               "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
               "ema_overwrite_frequency": self.ema_overwrite_frequency,
               "jit_compile": self.jit_compile, "is_legacy_optimizer": False,
               "learning_rate": self._host_lr()}
        if self.decay:
            cfg["decay"] = self.decay
        cfg.update(self._hyper_config())
        return cfg

    def _hyper_config(self):
        return {}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Builds the optimizer from a tf-keras (new or legacy) or Keras 2.2 config."""
        config = dict(config)
        config.pop("is_legacy_optimizer", None)
        config.pop("jit_compile", None)
        if config.get("use_ema"):
            warnings.warn("%s: the config asks for use_ema=True, which gkeras does not "
                          "support; training continues without the moving average."
                          % cls.__name__)
            config.pop("use_ema")
        lr = config.get("learning_rate", config.get("lr"))
        if isinstance(lr, dict):
            raise ValueError("Learning-rate schedules in optimizer configs are not supported "
                             "yet: %r" % (lr,))
        return cls(**config)

    def __repr__(self):
        return "<gkeras.optimizers.%s learning_rate=%g>" % (type(self).__name__, self._host_lr())


def _as_float(cls_name, value):
    """A learning rate as a Python float (numbers, numpy scalars, 0-d arrays, Variables)."""
    if isinstance(value, Tensor):
        value = value.data
    if hasattr(value, "shape") and not isinstance(value, (bool, str)):
        value = numpy.asarray(_xp.asnumpy(value))
        if value.ndim == 0 and value.dtype.kind in "iuf":
            return float(value)
    elif callable(value):
        raise TypeError("%s: learning-rate schedules and callables are not supported yet; "
                        "got %r (use the LearningRateScheduler callback)." % (cls_name, value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise TypeError("%s: `learning_rate` must be a number, got %r" % (cls_name, value))


class SGD(Optimizer):
    """Gradient descent with optional momentum and Nesterov momentum.

    As in tf.keras, SGD keeps a momentum slot `m` per weight even when momentum
    is 0, and it then holds the last step, -lr * g.
    """

    _slot_groups = (("m",),)
    _default_learning_rate = 0.01

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.momentum = _check_range("SGD", "momentum", momentum)
        self.nesterov = bool(nesterov)

    def _coefficients(self, f, lr, t):
        return lr, f(self.momentum)

    def _update(self, xp, w, g, slots, c):
        lr, mu = c
        m, = slots
        if not self.momentum:  # m = -g * lr (+ m * 0), w += m
            xp.multiply(g, -lr, out=m)
            w += m
            return None
        step = g * lr  # m = -g * lr + m * mu
        m *= mu
        m -= step
        if self.nesterov:  # w += -g * lr + m * mu
            step *= -1
            step += m * mu
            w += step
        else:
            w += m
        return None

    def _hyper_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides by a moving root mean square of gradients (epsilon inside the root)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="RMSprop", ema_overwrite_frequency=100, **kwargs):
        super().__init__(learning_rate, name=name,
                         ema_overwrite_frequency=ema_overwrite_frequency, **kwargs)
        self.rho = _check_range("RMSprop", "rho", rho)
        self.momentum = _check_range("RMSprop", "momentum", momentum)
        self.epsilon = _epsilon("RMSprop", epsilon)
        self.centered = bool(centered)
        groups = [("velocity",)]
        if self.momentum > 0:
            groups.append(("momentum",))
        if self.centered:
            groups.append(("average_gradient",))
        self._slot_groups = tuple(groups)

    def _coefficients(self, f, lr, t):
        return lr, f(self.rho), f(1 - self.rho), f(self.epsilon), f(self.momentum)

    def _update(self, xp, w, g, slots, c):
        lr, rho, one_minus_rho, eps, mu = c
        v = slots[0]
        v *= rho  # v = rho * v + (1 - rho) * g^2
        denominator = xp.square(g)
        denominator *= one_minus_rho
        v += denominator
        if self.centered:  # denominator = v - avg^2 + eps, avg = rho * avg + (1 - rho) * g
            avg = slots[-1]
            avg *= rho
            xp.multiply(g, one_minus_rho, out=denominator)
            avg += denominator
            xp.square(avg, out=denominator)
            xp.subtract(v, denominator, out=denominator)
            denominator += eps
        else:
            xp.add(v, eps, out=denominator)
        xp.sqrt(denominator, out=denominator)  # tf: lr * g * rsqrt(d); as close, one pass less
        increment = g * lr
        increment /= denominator
        if self.momentum > 0:
            m = slots[1]
            m *= mu
            m += increment
            w -= m
        else:
            w -= increment
        return None

    def _hyper_config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


def _powers(f, beta, t):
    """beta ** t computed as TF does, in the variable's dtype."""
    return f(beta) ** f(t)


class Adam(Optimizer):
    """Adam (epsilon added to sqrt(v) without bias correction, as tf.keras)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = _check_range("Adam", "beta_1", beta_1)
        self.beta_2 = _check_range("Adam", "beta_2", beta_2)
        self.epsilon = _epsilon("Adam", epsilon)
        self.amsgrad = bool(amsgrad)
        self._slot_groups = (("m", "v"), ("vhat",)) if self.amsgrad else (("m", "v"),)

    def _coefficients(self, f, lr, t):
        one = f(1.0)
        correction_2 = numpy.sqrt(one - _powers(f, self.beta_2, t))
        alpha = lr * correction_2 / (one - _powers(f, self.beta_1, t))
        return alpha, f(1 - self.beta_1), f(1 - self.beta_2), f(self.epsilon)

    def _update(self, xp, w, g, slots, c):
        alpha, one_minus_b1, one_minus_b2, eps = c
        m, v = slots[0], slots[1]
        tmp = g - m  # m += (g - m) * (1 - beta_1)
        tmp *= one_minus_b1
        m += tmp
        xp.square(g, out=tmp)  # v += (g^2 - v) * (1 - beta_2)
        tmp -= v
        tmp *= one_minus_b2
        v += tmp
        if self.amsgrad:
            vhat = slots[2]
            xp.maximum(vhat, v, out=vhat)
            v = vhat
        xp.sqrt(v, out=tmp)  # w -= (m * alpha) / (sqrt(v) + eps)
        tmp += eps
        step = m * alpha
        step /= tmp
        w -= step
        return None

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class Adagrad(Optimizer):
    """Per-coordinate rates from accumulated squared gradients (accumulators start at 0.1)."""

    _slot_groups = (("accumulator",),)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        _check_number("Adagrad", "initial_accumulator_value", initial_accumulator_value)
        if initial_accumulator_value < 0:
            raise ValueError("Adagrad: `initial_accumulator_value` must be >= 0, got %r"
                             % (initial_accumulator_value,))
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = _epsilon("Adagrad", epsilon)

    def _slot_init(self, name):
        return self.initial_accumulator_value

    def _coefficients(self, f, lr, t):
        return lr, f(self.epsilon)

    def _update(self, xp, w, g, slots, c):
        lr, eps = c
        acc, = slots
        tmp = xp.square(g)  # acc += g * g
        acc += tmp
        xp.add(acc, eps, out=tmp)  # w -= lr * g / sqrt(acc + eps)
        xp.sqrt(tmp, out=tmp)
        step = g * lr
        step /= tmp
        w -= step
        return None

    def _hyper_config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Steps scaled by the ratio of RMS(previous updates) to RMS(gradients).

    tf-keras's default learning rate is 0.001 (Keras 2.2 used 1.0).
    """

    _slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="Adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = _check_range("Adadelta", "rho", rho)
        self.epsilon = _epsilon("Adadelta", epsilon)

    def _coefficients(self, f, lr, t):
        return lr, f(self.rho), f(1 - self.rho), f(self.epsilon)

    def _update(self, xp, w, g, slots, c):
        lr, rho, one_minus_rho, eps = c
        acc_grad, acc_delta = slots
        acc_grad *= rho  # acc_grad = rho * acc_grad + (1 - rho) * g * g
        tmp = g * one_minus_rho
        tmp *= g
        acc_grad += tmp
        # neg_delta = sqrt(acc_delta + eps) * g / sqrt(acc_grad + eps)  (= -delta)
        neg_delta = acc_delta + eps
        xp.sqrt(neg_delta, out=neg_delta)
        neg_delta *= g
        xp.add(acc_grad, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        neg_delta /= tmp
        acc_delta *= rho  # acc_delta = rho * acc_delta + (1 - rho) * delta * delta
        xp.multiply(neg_delta, one_minus_rho, out=tmp)
        tmp *= neg_delta
        acc_delta += tmp
        neg_delta *= lr  # w += lr * delta
        w -= neg_delta
        return None

    def _hyper_config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adam with the infinity norm: u = max(beta_2 * u, |g|)."""

    _slot_groups = (("m", "u"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Adamax", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = _check_range("Adamax", "beta_1", beta_1)
        self.beta_2 = _check_range("Adamax", "beta_2", beta_2)
        self.epsilon = _epsilon("Adamax", epsilon)

    def _coefficients(self, f, lr, t):
        return (lr, f(1 - self.beta_1), f(self.beta_2), f(self.epsilon),
                f(1.0) - _powers(f, self.beta_1, t))

    def _update(self, xp, w, g, slots, c):
        lr, one_minus_b1, b2, eps, correction = c
        m, u = slots
        tmp = g - m  # m += (g - m) * (1 - beta_1)
        tmp *= one_minus_b1
        m += tmp
        u *= b2  # u = max(beta_2 * u, |g|)
        xp.abs(g, out=tmp)
        xp.maximum(u, tmp, out=u)
        xp.add(u, eps, out=tmp)  # w -= (lr * m) / ((1 - beta_1^t) * (u + eps))
        tmp *= correction
        step = m * lr
        step /= tmp
        w -= step
        return None

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum and tf.keras's momentum schedule.

    The schedule is u_t = beta_1 * (1 - 0.5 * 0.96 ** t) (tf-keras 2.11+). With
    Keras 2.2's `schedule_decay` (e.g. 0.004, also read from legacy configs'
    `decay`), it is u_t = beta_1 * (1 - 0.5 * 0.96 ** (schedule_decay * t)), the
    Keras 2.2 / tf-keras legacy algorithm.

    The running product of u_t is recomputed from `iterations`, so it is right
    after `set_weights` too; this is the algorithm tf-keras runs eagerly (its
    compiled graph multiplies the product once per variable, a known bug).
    """

    _slot_groups = (("m", "v"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Nadam", schedule_decay=None, **kwargs):
        if kwargs.get("decay"):
            raise ValueError(
                "Nadam has no learning-rate decay (`decay=`) in any Keras version; Keras "
                "2.2's `schedule_decay` sets its momentum schedule instead.")
        kwargs.pop("decay", None)
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = _check_range("Nadam", "beta_1", beta_1)
        self.beta_2 = _check_range("Nadam", "beta_2", beta_2)
        self.epsilon = _epsilon("Nadam", epsilon)
        if schedule_decay is not None:
            _check_number("Nadam", "schedule_decay", schedule_decay)
            schedule_decay = float(schedule_decay)
        self.schedule_decay = schedule_decay
        self._u_product = {}  # dtype -> (step, product of the schedule up to it)

    def _schedule(self, f, t):
        exponent = f(t) if self.schedule_decay is None else f(self.schedule_decay) * f(t)
        return f(self.beta_1) * (f(1.0) - f(0.5) * f(0.96) ** exponent)

    def _product(self, f, t):
        step, product = self._u_product.get(f, (0, f(1.0)))
        if step > t:  # state was restored to an earlier step: recompute from scratch
            step, product = 0, f(1.0)
        while step < t:
            step += 1
            previous, product = product, product * self._schedule(f, step)
            if product == previous:
                # underflowed to 0 or to a subnormal that u_t (rising to beta_1) rounds back
                # to itself (~1000 steps in float32): the product no longer changes
                step = t
        self._u_product[f] = (step, product)
        return product

    def _coefficients(self, f, lr, t):
        one = f(1.0)
        u_t, u_next = self._schedule(f, t), self._schedule(f, t + 1)
        product = self._product(f, t)
        beta_1, beta_2 = f(self.beta_1), f(self.beta_2)
        return (lr, one - beta_1, one - beta_2, u_next, one - product * u_next, one - u_t,
                one - product, one - beta_2 ** f(t), f(self.epsilon))

    def _update(self, xp, w, g, slots, c):
        lr, one_minus_b1, one_minus_b2, u_next, denom_next, one_minus_u, denom, v_corr, eps = c
        m, v = slots
        tmp = g - m  # m += (g - m) * (1 - beta_1)
        tmp *= one_minus_b1
        m += tmp
        xp.square(g, out=tmp)  # v += (g^2 - v) * (1 - beta_2)
        tmp -= v
        tmp *= one_minus_b2
        v += tmp
        # m_hat = u_{t+1} * m / (1 - P_{t+1}) + (1 - u_t) * g / (1 - P_t)
        m_hat = m * u_next
        m_hat /= denom_next
        xp.multiply(g, one_minus_u, out=tmp)
        tmp /= denom
        m_hat += tmp
        # w -= (m_hat * lr) / (sqrt(v / (1 - beta_2^t)) + eps)
        m_hat *= lr
        xp.divide(v, v_corr, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += eps
        m_hat /= tmp
        w -= m_hat
        return None

    def _hyper_config(self):
        cfg = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        if self.schedule_decay is not None:
            cfg["schedule_decay"] = self.schedule_decay
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        # tf-keras's legacy Nadam stores Keras 2.2's schedule_decay under `decay`
        if "decay" in config and "schedule_decay" not in config:
            config["schedule_decay"] = config.pop("decay")
        return super().from_config(config, custom_objects)


class _CaseInsensitive(dict):
    """Class lookup ignoring case, as Keras's `optimizers.get('ADAM')`."""

    def get(self, key, default=None):
        found = super().get(key)
        if found is None and isinstance(key, str):
            found = super().get(key.lower())
        return default if found is None else found


_CLASSES = (SGD, RMSprop, Adam, Adagrad, Adadelta, Adamax, Nadam)
_REGISTRY = _CaseInsensitive({cls.__name__: cls for cls in _CLASSES})
_REGISTRY.update({cls.__name__.lower(): cls for cls in _CLASSES})

# The built-in updates are elementwise and in place: each element of w and of the slots
# depends only on the same element of g, so they may run on slices of the arrays.
_ELEMENTWISE_UPDATES = frozenset(cls._update for cls in _CLASSES)


def _update_in_blocks(optimizer, w, g, slots, c):
    """`optimizer._update` on row blocks of w, g and the slots, on every CPU core.

    The same elementwise numpy calls on disjoint slices: the very same bits as one call.
    """
    from .ops import _cpu_parallel

    def block(lo, hi):
        optimizer._update(numpy, w[lo:hi], g[lo:hi], [s[lo:hi] for s in slots], c)

    # w, g, the slots and about two temporaries per row
    _cpu_parallel.run(block, w.shape[0], (w.nbytes // w.shape[0]) * (len(slots) + 4))
    return None


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer (or class, for a name) from a config dict or name.

    Reads tf-keras's `Custom>Adam` class names and any capitalisation of the
    built-in names.
    """
    if isinstance(config, dict) and str(config.get("class_name", "")).startswith("Custom>"):
        config = dict(config, class_name=config["class_name"][len("Custom>"):])
    return deserialize_keras_object(config, module_objects=_REGISTRY,
                                    custom_objects=custom_objects,
                                    printable_module_name="optimizer")


def get(identifier):
    """An Optimizer from a name ('adam', 'Adam', 'ADAM'), a config dict or an instance.

    Raises:
        ValueError: for unknown names, listing the known ones.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    raise ValueError("Could not interpret optimizer identifier: %r (expected a name such as "
                     "'rmsprop' or an Optimizer instance)" % (identifier,))
