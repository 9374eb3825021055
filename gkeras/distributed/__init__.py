"""Data parallelism: replicas of one model, batches split across them, gradients summed.

`communicator` holds the collectives (in-process numpy replicas, NCCL across the GPUs of
one process); `data_parallel` the model that trains with them. The public entry point is
`gkeras.utils.multi_gpu_model`.
"""
from .communicator import (Communicator, InProcessCommunicator,  # noqa: F401
                           NCCLCommunicator)
from .data_parallel import DataParallelModel, split_sizes  # noqa: F401
