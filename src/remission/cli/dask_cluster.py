"""A Dask client for ``--engine dask``: a scheduler's address, or a local cluster sized to the machine.

Imported only when a command runs on Dask, so ``remission --help`` never loads ``distributed``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from remission.errors import FieldProblem, InputError

if TYPE_CHECKING:
    from distributed import Client

#: How long to wait for a named scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10


@contextmanager
def dask_client(scheduler: str | None, *, option: str = "--scheduler") -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://HOST:PORT``), or of a new local cluster.

    The local cluster has one single-threaded worker process per core (the screener and the
    estimators are NumPy code holding the GIL), no dashboard, and is closed on exit. An
    unreachable or malformed address raises :class:`InputError` naming ``option``.
    """
    from distributed import Client, LocalCluster

    if scheduler is None:
        cores = os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        problem = f"cannot reach a Dask scheduler there ({type(error).__name__}: {error})"
        raise InputError(option, [FieldProblem(scheduler, problem)]) from None
    with client:
        yield client
