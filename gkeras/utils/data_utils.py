"""Data feeding utilities: `Sequence`, Keras's safe batch-producing base class."""


class Sequence:
    """Base class for datasets fed batch by batch to `fit`/`evaluate`/`predict`.

    Implement `__getitem__(index)` returning a batch `(x, y)` or
    `(x, y, sample_weight)` and `__len__()` returning the number of batches.
    `on_epoch_end` runs after every epoch (e.g. to reshuffle).
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
