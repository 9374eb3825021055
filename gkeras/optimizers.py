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
    """Base class: subclasses define `_slot_names` and `_update(w, g, slots, lr, t)`."""

    _slot_names = ()

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
        self.iterations = Variable(numpy.int64(0), name="%s/iter:0" % self.name,
                                   trainable=False)
        self._slots = {}  # id(variable) -> list of slot Variables
        self._slot_order = []  # variables in the order their slots were created

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
        grads = self._clip([g for g, _ in pairs])
        step = int(self.iterations.data)
        lr = self._current_lr(step)
        xp = _xp.xp()
        for g, var in zip(grads, (v for _, v in pairs)):
            slots = self._get_slots(var)
            new = self._update(xp, var.data, g.astype(var.dtype, copy=False),
                               [s.data for s in slots], lr, step + 1)
            if new is not None:
                var.data = new
            if var.constraint is not None:
                var.data = var.constraint(var.data)
        self.iterations.data = self.iterations.data + 1

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

    def _get_slots(self, var):
        slots = self._slots.get(id(var))
        if slots is None:
            xp = _xp.xp()
            slots = [Variable(xp.full(var.shape, self._slot_init(name), dtype=var.dtype),
                              name="%s/%s/%s:0" % (self.name, var.name.split(":")[0], name),
                              trainable=False)
                     for name in self._slot_names]
            self._slots[id(var)] = slots
            self._slot_order.append(var)
        return slots

    def _slot_init(self, name):
        return 0.0

    def _update(self, xp, w, g, slots, lr, t):
        """Updates `w` and `slots` in place (or returns the new `w`)."""
        raise NotImplementedError

    # ------------------------------------------------------------ state
    @property
    def weights(self):
        """iterations first, then every variable's slots in creation order."""
        out = [self.iterations]
        for var in self._slot_order:
            out += self._slots[id(var)]
        return out

    variables = weights

    def build(self, var_list):
        """Creates the slots for `var_list` (so state can be set before training)."""
        for var in var_list:
            self._get_slots(var)

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Restores state saved by `get_weights` (slots must already exist: `build`)."""
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
    """Gradient descent with optional momentum and Nesterov momentum."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError("SGD: `momentum` must be in [0, 1], got %r" % (momentum,))
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slot_names = ("momentum",) if self.momentum else ()

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
        names = ["velocity"]
        if momentum:
            names.append("momentum")
        if centered:
            names.append("average_gradient")
        self._slot_names = tuple(names)

    def _update(self, xp, w, g, slots, lr, t):
        v = slots[0]
        v *= self.rho
        v += (1 - self.rho) * g * g
        denominator = v
        if self.centered:
            avg = slots[-1]
            avg *= self.rho
            avg += (1 - self.rho) * g
            denominator = v - avg * avg
        increment = lr * g / xp.sqrt(denominator + self.epsilon)
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
        self._slot_names = ("m", "v", "vhat") if amsgrad else ("m", "v")

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

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        self._slot_names = ("accumulator",)

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


sgd = SGD
rmsprop = RMSprop
adam = Adam
adagrad = Adagrad

_REGISTRY = {"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam, "Adagrad": Adagrad,
             "sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad}


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
