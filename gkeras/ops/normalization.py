"""Batch normalization with batch statistics, fused forward and backward."""
import contextlib
import threading

from ..autograd.function import Function
from ._util import as_tensor

_sync = threading.local()


def current_sync_group():
    """The sync group of the replica running on this thread (None: no data parallelism)."""
    return getattr(_sync, "group", None)


@contextlib.contextmanager
def sync_group_scope(group):
    """Makes `group` this thread's sync group (see `SyncBatchNormTrain`) while open."""
    previous = current_sync_group()
    _sync.group = group
    try:
        yield group
    finally:
        _sync.group = previous


class BatchNormTrain(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch's own statistics.

    `axes` are the reduced axes (all but the channel axis); `shape` is the
    broadcast shape of the per-channel parameters. After forward, `mean` and
    `var` (biased) hold the batch statistics for the moving-average update.
    """

    def __init__(self, axes, shape, epsilon):
        self.axes, self.shape, self.epsilon = axes, shape, epsilon

    def forward(self, xp, x, gamma, beta):
        self.mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - self.mean
        self.var = (centered * centered).mean(axis=self.axes, keepdims=True)
        self.inv = 1.0 / xp.sqrt(self.var + self.epsilon)
        self.xhat = centered * self.inv
        self.param_shape = gamma.shape
        self.gamma = gamma.reshape(self.shape)
        return self.xhat * self.gamma + beta.reshape(self.shape)

    def backward(self, xp, gy):
        need_x, need_gamma, need_beta = self.needs_input_grad
        shape = self.param_shape
        gbeta = gy.sum(axis=self.axes).reshape(shape) if need_beta else None
        ggamma = (gy * self.xhat).sum(axis=self.axes).reshape(shape) if need_gamma else None
        gx = None
        if need_x:
            dxhat = gy * self.gamma
            # gx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) over the reduced axes
            gx = self.inv * (dxhat - dxhat.mean(axis=self.axes, keepdims=True)
                             - self.xhat * (dxhat * self.xhat).mean(axis=self.axes,
                                                                    keepdims=True))
        return gx, ggamma, gbeta


def batch_norm_train(x, gamma, beta, axes, epsilon):
    """Normalises `x` with its batch statistics, keeping the channel `axes`.

    Args:
        axes: the (non-negative) axes that index channels; all others are reduced.

    Returns:
        (y, mean, var): the output Tensor and the batch mean and biased variance
        as raw arrays in the parameters' shape.
    """
    x, gamma = as_tensor(x), as_tensor(gamma)
    reduced = tuple(i for i in range(x.ndim) if i not in axes)
    shape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
    fn = BatchNormTrain(reduced, shape, epsilon)
    y = fn.apply(x, gamma, as_tensor(beta))
    return y, fn.mean.reshape(gamma.shape), fn.var.reshape(gamma.shape)


class SyncBatchNormTrain(Function):
    """BatchNormTrain with statistics over the batches of every replica of a sync group.

    `group` (None: this replica alone) offers `allreduce(array)`, the element-wise sum of
    one float64 array over the replicas, called by every replica in the same order.
    Forward sums (sum x, count), then sum (x - mean)^2: two collectives, the same two-pass
    variance as BatchNormTrain. Backward sums (sum dxhat, sum dxhat * xhat), the two
    reductions of the input gradient, so each replica's input gradient is its slice of
    the whole batch's; gamma and beta gradients stay local (the model sums them).
    After forward, `mean`, `var` (biased) and `count` hold the global statistics.
    """

    def __init__(self, axes, shape, epsilon, group=None):
        self.axes, self.shape, self.epsilon, self.group = axes, shape, epsilon, group

    def _allreduce(self, xp, parts):
        flat = xp.concatenate([xp.ravel(p).astype("float64") for p in parts])
        if self.group is not None:
            flat = self.group.allreduce(flat)
        out, offset = [], 0
        for p in parts:
            size = int(p.size)
            out.append(flat[offset:offset + size].reshape(p.shape))
            offset += size
        return out

    def forward(self, xp, x, gamma, beta):
        local = 1
        for a in self.axes:
            local *= x.shape[a]
        total, count = self._allreduce(xp, [x.sum(axis=self.axes, keepdims=True),
                                            xp.full((1,), float(local))])
        self.count = int(round(float(count[0])))
        n = max(self.count, 1)
        self.mean = (total / n).astype(x.dtype)
        centered = x - self.mean
        sq, = self._allreduce(xp, [(centered * centered).sum(axis=self.axes, keepdims=True)])
        self.var = (sq / n).astype(x.dtype)
        self.inv = 1.0 / xp.sqrt(self.var + self.epsilon)
        self.xhat = centered * self.inv
        self.param_shape = gamma.shape
        self.gamma = gamma.reshape(self.shape)
        return self.xhat * self.gamma + beta.reshape(self.shape)

    def backward(self, xp, gy):
        need_x, need_gamma, need_beta = self.needs_input_grad
        shape = self.param_shape
        gbeta = gy.sum(axis=self.axes).reshape(shape) if need_beta else None
        ggamma = (gy * self.xhat).sum(axis=self.axes).reshape(shape) if need_gamma else None
        gx = None
        if need_x:
            dxhat = gy * self.gamma
            s1, s2 = self._allreduce(xp, [dxhat.sum(axis=self.axes, keepdims=True),
                                          (dxhat * self.xhat).sum(axis=self.axes,
                                                                  keepdims=True)])
            n = max(self.count, 1)
            gx = self.inv * (dxhat - (s1 / n).astype(gy.dtype)
                             - self.xhat * (s2 / n).astype(gy.dtype))
        return gx, ggamma, gbeta


def sync_batch_norm_train(x, gamma, beta, axes, epsilon, group=None):
    """`batch_norm_train` with statistics summed over the replicas of `group`.

    Returns:
        (y, mean, var, count): as `batch_norm_train`, plus the global sample count per
        channel (for the moving variance's unbiased correction).
    """
    x, gamma = as_tensor(x), as_tensor(gamma)
    reduced = tuple(i for i in range(x.ndim) if i not in axes)
    shape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
    fn = SyncBatchNormTrain(reduced, shape, epsilon, group)
    y = fn.apply(x, gamma, as_tensor(beta))
    return y, fn.mean.reshape(gamma.shape), fn.var.reshape(gamma.shape), fn.count
