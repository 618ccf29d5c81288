"""An ASGI guard against input that no database should see: NUL characters.

PostgreSQL text cannot hold U+0000, so a NUL anywhere in the query string or body is
refused with 422 before any route runs, on every back end alike.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 1_048_576

Scope = dict[str, Any]


def _answer(status: int, field: str, problem: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"detail": [{"field": field, "problem": problem}]}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json")],
    }
    return start, {"type": "http.response.body", "body": body}


class RejectNulCharacters:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await self._refuse(send, 422, "(query)", "NUL characters are not allowed")
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY_BYTES:
                await self._refuse(send, 413, "(body)", f"the body exceeds {MAX_BODY_BYTES} bytes")
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"\x00" in body or b"\\u0000" in body:
            await self._refuse(send, 422, "(body)", "NUL characters are not allowed")
            return
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Any, status: int, field: str, problem: str) -> None:
        start, body = _answer(status, field, problem)
        await send(start)
        await send(body)
