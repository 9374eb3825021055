"""Batch normalization with batch statistics, fused forward and backward."""
from ..autograd.function import Function
from ._util import as_tensor


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
