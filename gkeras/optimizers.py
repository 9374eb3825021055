"""Optimizers with tf.keras 2's update rules (the Keras 2.11+ generation).

Keras 2.2's `lr=` and `decay=` arguments are honoured: `lr` is the learning
rate, and `decay` divides it by (1 + decay * iterations) as Keras 2.2 did.
Updates work in place on raw arrays, outside any tape.
"""
import numpy

from .autograd.variable import Variable
from .backend import xp as _xp
from .utils.generic_utils import deserialize_keras_object


class Optimizer:
    """Base class: subclasses define `_slot_groups` and `_update(xp, w, g, slots, lr, t)`.

    `_slot_groups` lists groups of slot names. State is ordered as tf.keras
    orders `optimizer.variables()`: `iterations` first, then group by group,
    each group interleaved over the variables (Adam: m, v of the first
    weight, m, v of the second, ..., then AMSGrad's vhat of every weight).
    """

    _slot_groups = ()

    def __init__(self, learning_rate=0.001, name=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, decay=0.0, lr=None, **kwargs):
        if kwargs:
            raise TypeError("%s got unexpected keyword arguments: %s"
                            % (type(self).__name__, ", ".join(sorted(kwargs))))
        if lr is not None:
            learning_rate = lr
        if sum(c is not None for c in (clipnorm, global_clipnorm)) > 1:
            raise ValueError("Cannot accept both `clipnorm` and `global_clipnorm`.")
        self.name = name or type(self).__name__
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.decay = float(decay)
        self._learning_rate = Variable(numpy.float32(learning_rate),
                                       name="%s/learning_rate:0" % self.name, trainable=False)
        self.iterations = Variable(numpy.int64(0), name="iteration:0", trainable=False)
        self._slots = {}  # id(variable) -> {slot name: Variable}
        self._var_list = []  # variables in the order their slots were created

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate.assign(numpy.float32(_scalar(value)))

    lr = learning_rate

    def _current_lr(self, step):
        lr = float(self._learning_rate.data)
        if self.decay:
            lr = lr / (1.0 + self.decay * step)
        return lr

    # ------------------------------------------------------------ updates
    def apply_gradients(self, grads_and_vars):
        """Applies one update step to each (gradient, variable) pair."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        self.build([v for _, v in pairs])
        grads = self._clip([g for g, _ in pairs])
        step = int(self.iterations.data)
        lr = self._current_lr(step)
        self._prepare_step(step + 1)
        xp = _xp.xp()
        names = self._slot_names()
        for g, (_, var) in zip(grads, pairs):
            slots = self._slots[id(var)]
            new = self._update(xp, var.data, g.astype(var.dtype, copy=False),
                               [slots[n].data for n in names], lr, step + 1)
            if new is not None:
                var.data = new
            if var.constraint is not None:
                var.data = var.constraint(var.data)
        self.iterations.data = self.iterations.data + 1

    def _prepare_step(self, t):
        """Hook for per-step values shared by all variables (Nadam's momentum cache)."""

    def _clip(self, grads):
        """tf.keras's clipping: ONE rule, clipnorm before global_clipnorm before clipvalue."""
        xp = _xp.xp()
        if self.clipnorm:
            out = []
            for g in grads:
                norm = xp.sqrt((g * g).sum())
                out.append(g * (self.clipnorm / xp.maximum(norm, self.clipnorm)))
            return out
        if self.global_clipnorm and grads:
            norm = xp.sqrt(sum((g * g).sum() for g in grads))
            scale = self.global_clipnorm / xp.maximum(norm, self.global_clipnorm)
            return [g * scale for g in grads]
        if self.clipvalue:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _slot_names(self):
        return [name for group in self._slot_groups for name in group]

    def build(self, var_list):
        """Creates the slots of any new variables in `var_list`, in tf.keras's order."""
        new = [v for v in var_list if id(v) not in self._slots]
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

    def _update(self, xp, w, g, slots, lr, t):
        """Updates `w` and `slots` in place (or returns the new `w`)."""
        raise NotImplementedError

    # ------------------------------------------------------------ state
    @property
    def weights(self):
        """iterations first, then the slots group by group, interleaved over variables."""
        out = [self.iterations]
        for group in self._slot_groups:
            for var in self._var_list:
                out += [self._slots[id(var)][name] for name in group]
        return out

    variables = weights

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Restores state saved by `get_weights` (call `build(var_list)` first)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError("Optimizer %s has %d state variables but %d values were given."
                             % (self.name, len(params), len(weights)))
        for var, value in zip(params, weights):
            if tuple(numpy.shape(value)) != var.shape:
                raise ValueError("Optimizer state %r has shape %s, got %s"
                                 % (var.name, var.shape, numpy.shape(value)))
            var.assign(_xp.asarray(numpy.asarray(value).astype(var.dtype)))

    def get_config(self):
        cfg = {"name": self.name, "learning_rate": float(self._learning_rate.data),
               "decay": self.decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
               "global_clipnorm": self.global_clipnorm}
        cfg.update(self._hyper_config())
        return cfg

    def _hyper_config(self):
        return {}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("is_legacy_optimizer", "jit_compile", "use_ema", "ema_momentum",
                    "ema_overwrite_frequency", "weight_decay"):
            config.pop(key, None)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            raise ValueError("Learning-rate schedules in optimizer configs are not supported "
                             "yet: %r" % (lr,))
        return cls(**config)


def _scalar(value):
    if isinstance(value, Variable):
        value = value.data
    return float(_xp.asnumpy(value))


class SGD(Optimizer):
    """Gradient descent with optional momentum and Nesterov momentum.

    Like tf.keras, SGD keeps a momentum slot per weight even when momentum is 0.
    """

    _slot_groups = (("m",),)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError("SGD: `momentum` must be in [0, 1], got %r" % (momentum,))
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _update(self, xp, w, g, slots, lr, t):
        if not self.momentum:
            w -= lr * g
            return None
        m, = slots
        m *= self.momentum
        m -= lr * g
        if self.nesterov:
            w += self.momentum * m - lr * g
        else:
            w += m
        return None

    def _hyper_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides by a moving root mean square of gradients (epsilon inside the root)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="RMSprop", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        groups = [("velocity",)]
        if momentum:
            groups.append(("momentum",))
        if centered:
            groups.append(("average_gradient",))
        self._slot_groups = tuple(groups)

    def _update(self, xp, w, g, slots, lr, t):
        v = slots[0]
        v *= self.rho
        v += (1 - self.rho) * (g * g)
        denominator = v
        if self.centered:
            avg = slots[-1]
            avg *= self.rho
            avg += (1 - self.rho) * g
            denominator = v - avg * avg
        increment = lr * g
        increment /= xp.sqrt(denominator + self.epsilon)
        if self.momentum:
            m = slots[1]
            m *= self.momentum
            m += increment
            w -= m
        else:
            w -= increment
        return None

    def _hyper_config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adam(Optimizer):
    """Adam (epsilon added to sqrt(v) without bias correction, as tf.keras)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self._slot_groups = (("m", "v"), ("vhat",)) if amsgrad else (("m", "v"),)

    def _update(self, xp, w, g, slots, lr, t):
        m, v = slots[0], slots[1]
        alpha = lr * (1 - self.beta_2 ** t) ** 0.5 / (1 - self.beta_1 ** t)
        m += (g - m) * (1 - self.beta_1)
        v += (g * g - v) * (1 - self.beta_2)
        if self.amsgrad:
            vhat = slots[2]
            xp.maximum(vhat, v, out=vhat)
            v = vhat
        w -= (m * alpha) / (xp.sqrt(v) + self.epsilon)
        return None

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class Adagrad(Optimizer):
    """Per-coordinate rates from accumulated squared gradients."""

    _slot_groups = (("accumulator",),)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slot_init(self, name):
        return self.initial_accumulator_value

    def _update(self, xp, w, g, slots, lr, t):
        acc, = slots
        acc += g * g
        w -= lr * g / xp.sqrt(acc + self.epsilon)
        return None

    def _hyper_config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Steps scaled by the ratio of RMS(previous updates) to RMS(gradients)."""

    _slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="Adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _update(self, xp, w, g, slots, lr, t):
        acc_grad, acc_delta = slots
        acc_grad *= self.rho
        acc_grad += (1 - self.rho) * (g * g)
        delta = -xp.sqrt(acc_delta + self.epsilon) * g / xp.sqrt(acc_grad + self.epsilon)
        acc_delta *= self.rho
        acc_delta += (1 - self.rho) * (delta * delta)
        w += lr * delta
        return None

    def _hyper_config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adam with the infinity norm: u = max(beta_2 * u, |g|)."""

    _slot_groups = (("m", "u"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Adamax", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update(self, xp, w, g, slots, lr, t):
        m, u = slots
        m += (g - m) * (1 - self.beta_1)
        xp.maximum(self.beta_2 * u, xp.abs(g), out=u)
        w -= (lr * m) / ((1 - self.beta_1 ** t) * (u + self.epsilon))
        return None

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum and tf.keras's momentum schedule (0.96 decay)."""

    _slot_groups = (("m", "v"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Nadam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = (0, 1.0)  # (step, product of the momentum schedule up to it)

    def _schedule(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _prepare_step(self, t):
        step, product = self._u_product
        if step > t:  # state was restored to an earlier step: recompute from scratch
            step, product = 0, 1.0
        while step < t:
            step += 1
            product *= self._schedule(step)
        self._u_product = (step, product)

    def _update(self, xp, w, g, slots, lr, t):
        m, v = slots
        u_t, u_next = self._schedule(t), self._schedule(t + 1)
        product = self._u_product[1]
        m += (g - m) * (1 - self.beta_1)
        v += (g * g - v) * (1 - self.beta_2)
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        v_hat = v / (1 - self.beta_2 ** t)
        w -= (m_hat * lr) / (xp.sqrt(v_hat) + self.epsilon)
        return None

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


_REGISTRY = {cls.__name__: cls for cls in (SGD, RMSprop, Adam, Adagrad, Adadelta, Adamax, Nadam)}
_REGISTRY.update({name.lower(): cls for name, cls in list(_REGISTRY.items())})


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    if isinstance(config, dict) and config.get("class_name", "").startswith("Custom>"):
        config = dict(config, class_name=config["class_name"][len("Custom>"):])
    return deserialize_keras_object(config, module_objects=_REGISTRY,
                                    custom_objects=custom_objects,
                                    printable_module_name="optimizer")


def get(identifier):
    """An Optimizer from a name ('adam'), a config dict or an Optimizer instance.

    Raises:
        ValueError: for unknown names, listing the known ones.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = deserialize(identifier)
        return cls()
    raise ValueError("Could not interpret optimizer identifier: %r (expected a name such as "
                     "'rmsprop' or an Optimizer instance)" % (identifier,))
