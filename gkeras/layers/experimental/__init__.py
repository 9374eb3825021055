"""`keras.layers.experimental`: where tf.keras 2.x keeps SyncBatchNormalization.

The same class as `gkeras.layers.SyncBatchNormalization`, so code written for
`tf.keras.layers.experimental.SyncBatchNormalization` runs unchanged.
"""
from ..normalization import SyncBatchNormalization  # noqa: F401
