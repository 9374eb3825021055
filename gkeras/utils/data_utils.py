"""Data feeding utilities: `Sequence`, Keras's safe batch-producing base class."""


class Sequence:
    """Base class for datasets fed batch by batch to `fit`/`evaluate`/`predict`.

    Implement `__getitem__(index)` returning a batch `(x, y)` or
    `(x, y, sample_weight)` (just `x` is enough for `predict`) and `__len__()`
    returning the number of batches. `on_epoch_end` runs once after every epoch
    (e.g. to reshuffle); `evaluate` and `predict` count as one epoch each.

    Every epoch of `fit` asks for each index once, in order, or in a fresh random
    order when `fit(shuffle=True)` (the default); validation data is never shuffled.
    gkeras reads batches in the training process itself (tf.keras's `workers=0`);
    `workers`, `use_multiprocessing` and `max_queue_size` are accepted and ignored.
    """

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def iter_sequence_infinite(seq):
    """Iterates over a Sequence forever, calling `on_epoch_end` after every pass."""
    while True:
        for i in range(len(seq)):
            yield seq[i]
        if hasattr(seq, "on_epoch_end"):
            seq.on_epoch_end()
