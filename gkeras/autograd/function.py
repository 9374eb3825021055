"""Function: one differentiable op, forward and backward on plain arrays."""
from ..backend import xp as _xp
from . import tape as _tape
from .tensor import Tensor


class Function:
    """Base class of differentiable ops.

    Subclasses implement `forward(xp, *arrays)` returning an array (or a tuple
    of arrays) and `backward(xp, *output_grads)` returning one gradient per
    input (None where an input needs none). `self.needs_input_grad` tells
    backward which gradients are wanted, so it can skip the rest.
    Arguments that are not differentiable are passed to `__init__`.
    """

    needs_input_grad = ()

    def forward(self, xp, *xs):
        raise NotImplementedError

    def backward(self, xp, *gys):
        raise NotImplementedError

    def __call__(self, *inputs):
        return self.apply(*inputs)

    def apply(self, *inputs):
        """Runs forward on Tensors and records the op on every open tape."""
        xp = _xp.xp()
        tensors = [x if isinstance(x, Tensor) else Tensor(xp.asarray(x)) for x in inputs]
        ys = self.forward(xp, *[t.data for t in tensors])
        multi = isinstance(ys, tuple)
        outputs = tuple(Tensor(y) for y in (ys if multi else (ys,)))
        tapes = _tape.active_tapes()
        for t in tapes:
            t.record(self, tuple(tensors), outputs)
        return outputs if multi else outputs[0]
