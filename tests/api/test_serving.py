"""The multi-worker listener names TCP, so accepted connections get TCP_NODELAY."""

from __future__ import annotations

import socket

from remission.api.serving import TCPConfig


def test_listener_is_tcp_so_connections_get_nodelay():
    """The bound listener reports IPPROTO_TCP and a connection accepted from it has TCP_NODELAY set."""
    config = TCPConfig("remission.api.server:app", host="127.0.0.1", port=0, workers=2)
    listener = config.bind_socket()
    try:
        assert listener.proto == socket.IPPROTO_TCP
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        try:
            # asyncio sets TCP_NODELAY on accepted sockets only when proto is IPPROTO_TCP.
            assert accepted.proto == socket.IPPROTO_TCP
        finally:
            accepted.close()
            client.close()
    finally:
        listener.close()
