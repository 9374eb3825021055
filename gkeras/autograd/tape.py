"""Tape: records ops while open; `gradient` walks the record backwards.

Only `Model._train_step` opens a tape, so prediction, evaluation and
`K.function` record nothing and keep no intermediate arrays alive.
"""
import threading

from ..backend import xp as _xp
from .tensor import Tensor

# one stack per thread: data-parallel replicas with synchronised BatchNormalization run
# on their own threads (in turn, see gkeras.distributed.data_parallel), each with its tape
_local = threading.local()


def active_tapes():
    """The tapes currently open on this thread (innermost last)."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class Tape:
    """Context manager recording (function, inputs, outputs) triples.

    Example:
        with Tape() as tape:
            y = ops.sum(w * x)
        gw, = tape.gradient(y, [w])
    """

    def __init__(self):
        self.records = []

    def __enter__(self):
        active_tapes().append(self)
        return self

    def __exit__(self, *exc):
        active_tapes().remove(self)
        return False

    def record(self, function, inputs, outputs):
        """Appends one op; called by `Function.apply`."""
        self.records.append((function, inputs, outputs))

    def gradient(self, target, sources, output_gradient=None, unconnected_gradients="none"):
        """Gradients of `target` with respect to each of `sources`.

        Args:
            target: a Tensor produced while this tape was open.
            sources: list of Tensors (usually Variables).
            output_gradient: seed gradient; defaults to ones like `target`.
            unconnected_gradients: what a source that does not influence the target
                gets, as in TensorFlow's GradientTape: "none" (None, the default: Keras's
                optimizers then skip the variable) or "zero" (zeros of its shape).

        Returns:
            A list aligned with `sources`: arrays, and None (or zeros) for sources the
            target does not depend on.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("unconnected_gradients must be 'none' or 'zero', got %r"
                             % (unconnected_gradients,))
        xp = _xp.xp()

        def unconnected(s):
            return None if unconnected_gradients == "none" else xp.zeros_like(s.data)

        needed = self._tensors_depending_on(sources)
        if id(target) not in needed:
            return [unconnected(s) for s in sources]
        seed = output_gradient if output_gradient is not None else xp.ones_like(target.data)
        grads = {id(target): seed}
        keep = {id(s) for s in sources}
        for function, inputs, outputs in reversed(self.records):
            gys = [grads.get(id(o)) if id(o) in keep else grads.pop(id(o), None)
                   for o in outputs]
            if all(g is None for g in gys):
                continue
            function.needs_input_grad = tuple(id(i) in needed for i in inputs)
            if not any(function.needs_input_grad):
                continue
            gys = [xp.zeros_like(o.data) if g is None else g for o, g in zip(outputs, gys)]
            gxs = function.backward(xp, *gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx, need in zip(inputs, gxs, function.needs_input_grad):
                if gx is None or not need:
                    continue
                key = id(x)
                grads[key] = gx if key not in grads else grads[key] + gx
        return [grads[id(s)] if id(s) in grads else unconnected(s) for s in sources]

    def _tensors_depending_on(self, sources):
        """ids of tensors whose value depends on any of `sources`."""
        needed = {id(s) for s in sources}
        for _, inputs, outputs in self.records:
            if any(id(i) in needed for i in inputs):
                needed.update(id(o) for o in outputs)
        return needed


def is_recording():
    """True when at least one tape is open."""
    return bool(active_tapes())


def stop_gradient(x):
    """A Tensor with the value of `x` that no tape can differentiate through."""
    return Tensor(x.data if isinstance(x, Tensor) else x)
