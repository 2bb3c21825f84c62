"""Data-parallel training over MPI: the communicator, and what ``fit`` needs from it.

Every rank holds the whole data set and the same seeded RNG, so every rank
draws the same shuffle (and the same augmented copies). Each global batch
``start:stop`` is cut into ``size`` contiguous shards, one per rank (sizes
differ by at most one row; the last short batch may leave a rank with none).
Every step each rank backpropagates its shard, scales its gradients by its
share of the batch (``rows / batch``), and one all-reduce of one flat buffer
sums them: the gradient of the whole batch, the same as one process computes.
BatchNorm and Dropout see the global batch through the step's ``training`` flag, a
:class:`~nnscratch.distributed.sync.ShardContext`: BatchNorm normalises with the
statistics of the global batch (synchronised, as PyTorch's ``SyncBatchNorm``) and
Dropout keys its masks by the row's index in the global batch.

Launched outside MPI, or with one process, none of this runs and mpi4py is
never imported (:func:`from_environment` reads the launcher's variables first).

A communicator needs: ``rank``, ``size``, ``local_rank``, ``sum_gradients(flat,
backend, weight)`` (the hot path: device buffer in, summed device buffer out),
``bcast(obj)``, ``allgather(obj)`` and ``abort(code)``. :class:`MPIComm` moves the
buffer through host memory (one device -> host and one host -> device copy
per step), or with ``cuda_aware=True`` hands the device buffer to MPI itself;
an NCCL communicator would override ``sum_gradients`` only.
"""

from .comm import SIZE_VARIABLES, MPIComm, from_environment, launched_size, report_error
from .devices import command_line_rank, local_device
from .notice import tells_on_failure  # fit's (the errors it leads to: notice.RankFailedError, notice.OutOfStepError)
from .parallel import CollectiveError, DataParallel, from_root, setup
from .sharding import ShardedData, shard

__all__ = ["SIZE_VARIABLES", "CollectiveError", "DataParallel", "MPIComm", "ShardedData", "command_line_rank",
           "from_environment", "from_root", "launched_size", "local_device", "report_error", "setup", "shard"]
