"""The one Dask client of ``--engine dask``: a scheduler's address, or a local cluster sized to the machine.

Both Dask commands (``analyze km|cuminc|cox --engine dask`` and ``trial cohort --engine dask``) get
their client here. Imported only when a command runs on Dask, so ``remission --help`` never loads
``distributed``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from remission.errors import FieldProblem, InputError

if TYPE_CHECKING:
    from distributed import Client

#: How long to wait for a named scheduler's handshake before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10
#: How long to wait for a TCP connection to a named scheduler's port: a closed port or an unknown
#: host fails at once; a host that drops packets fails after this, not after the handshake timeout.
REACH_TIMEOUT_S = 2


@contextmanager
def dask_client(scheduler: str | None, *, option: str = "--scheduler") -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://HOST:PORT``), or of a new local cluster.

    The local cluster has one single-threaded worker process per core (the screener and the
    estimators are NumPy code holding the GIL), no dashboard, quiet logs, and is closed on exit.
    An unreachable or malformed address raises :class:`InputError` naming ``option`` and the
    address; a ``tcp://`` address is first tried with a plain TCP connection, so a port nobody
    listens on is refused at once instead of after the handshake timeout.
    """
    from distributed import Client, LocalCluster

    if scheduler is None:
        cores = os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=cores,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # shutdown chatter would bury the command's own messages
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    _check_reachable(scheduler, option)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise _unreachable(scheduler, option, error) from None
    with client:
        yield client


def _check_reachable(address: str, option: str) -> None:
    """Refuse a ``tcp://HOST:PORT`` address whose port does not accept a TCP connection."""
    scheme, separator, location = address.partition("://")
    if not separator:
        scheme, location = "tcp", address  # distributed's default protocol
    if scheme != "tcp":
        return  # tls://, ucx://, inproc://: left to distributed's own connect
    host, colon, port = location.rpartition(":")
    if not colon or not port.isdigit():
        raise InputError(option, [FieldProblem(address, "is not a scheduler address (tcp://HOST:PORT)")])
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_TIMEOUT_S):
            pass
    except (OSError, ValueError) as error:
        raise _unreachable(address, option, error) from None


def _unreachable(address: str, option: str, error: BaseException) -> InputError:
    detail = str(error) or "no answer"
    problem = f"cannot reach a Dask scheduler there ({type(error).__name__}: {detail})"
    return InputError(option, [FieldProblem(address, problem)])
