"""Fused, numerically stable cross-entropy ops on logits."""
from ..autograd.function import Function
from ._util import as_tensor


class SoftmaxCrossEntropy(Function):
    """-sum(target * log_softmax(logits)) along `axis`; gradient softmax - target."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, xp, logits, target):
        z = logits - logits.max(axis=self.axis, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=self.axis, keepdims=True)
        logp = z - xp.log(s)
        self.p, self.target, self.logp = e / s, target, logp
        return -(target * logp).sum(axis=self.axis)

    def backward(self, xp, gy):
        gy = xp.expand_dims(gy, self.axis)
        t_sum = self.target.sum(axis=self.axis, keepdims=True)
        g_logits = gy * (self.p * t_sum - self.target)
        g_target = -gy * self.logp if self.needs_input_grad[1] else None
        return g_logits, g_target


class SparseSoftmaxCrossEntropy(Function):
    """-log_softmax(logits)[label] over the last axis, labels as integers."""

    def forward(self, xp, logits, labels):
        z = logits - logits.max(axis=-1, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=-1, keepdims=True)
        self.p = e / s
        self.labels = labels.astype(xp.int64).reshape(logits.shape[:-1])
        picked = xp.take_along_axis(z, self.labels[..., None], axis=-1)[..., 0]
        return xp.log(s[..., 0]) - picked

    def backward(self, xp, gy):
        g = self.p.copy()
        flat = g.reshape(-1, g.shape[-1])
        flat[xp.arange(flat.shape[0]), self.labels.ravel()] -= 1
        return gy[..., None] * g, None


class SigmoidCrossEntropy(Function):
    """Elementwise max(x, 0) - x * t + log(1 + exp(-|x|)) (TensorFlow's formula)."""

    def forward(self, xp, x, t):
        self.x, self.t = x, t
        return xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, xp, gy):
        e = xp.exp(-xp.abs(self.x))
        sig = xp.where(self.x >= 0, 1 / (1 + e), e / (1 + e))
        g_x = gy * (sig - self.t)
        g_t = -gy * self.x if self.needs_input_grad[1] else None
        return g_x, g_t


def softmax_cross_entropy(logits, target, axis=-1):
    """Categorical cross-entropy from logits, per sample."""
    return SoftmaxCrossEntropy(axis).apply(as_tensor(logits), as_tensor(target))


def sparse_softmax_cross_entropy(logits, labels):
    """Sparse categorical cross-entropy from logits, per sample."""
    labels = as_tensor(labels)
    n_classes = logits.shape[-1]
    lab = labels.data
    if lab.size and (int(lab.min()) < 0 or int(lab.max()) >= n_classes):
        raise ValueError(
            "sparse_categorical_crossentropy: labels must lie in [0, %d) for %d "
            "classes, got values in [%d, %d]" % (n_classes, n_classes, int(lab.min()),
                                                 int(lab.max())))
    return SparseSoftmaxCrossEntropy().apply(as_tensor(logits), labels)


def sigmoid_cross_entropy(logits, target):
    """Binary cross-entropy from logits, elementwise."""
    return SigmoidCrossEntropy().apply(as_tensor(logits), as_tensor(target))
