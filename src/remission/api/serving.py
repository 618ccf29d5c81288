"""Running the API under uvicorn with several worker processes.

uvicorn's multi-worker supervisor binds the listening socket without naming the TCP
protocol, so accepted connections report ``proto == 0`` and asyncio never turns on
``TCP_NODELAY`` for them; every keep-alive request after the first then waits for the
client's delayed ACK (about 40 ms on Linux; Kludex/uvicorn#3149). The listener bound here
names ``IPPROTO_TCP``, so workers' connections get ``TCP_NODELAY`` as with one worker.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


class TCPConfig(uvicorn.Config):
    """A uvicorn config whose listening socket says it is TCP."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def run_workers(app: str, *, host: str, port: int, workers: int) -> None:
    """Serve the ASGI application at import path ``app`` with ``workers`` processes."""
    config = TCPConfig(app, host=host, port=port, workers=workers, log_level="warning")
    Multiprocess(config, sockets=[config.bind_socket()]).run()
