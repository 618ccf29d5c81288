"""An ASGI guard for every route: bodies too large, JSON nested too deep, NUL characters.

It reads each request body once, before any route runs, so no route can forget it:

- a body over ``max_body_bytes`` is refused with 413 (by its ``Content-Length`` before it is
  read, else as soon as the bytes received pass the limit);
- a JSON body nested deeper than ``max_json_depth`` is refused with 422: deep enough
  nesting overflows the serialiser's or the interpreter's recursion limit, a 500;
- a NUL character anywhere in the path, the query string or the body — raw, as JSON's
  ``\\u0000`` or, in a body that is not JSON (a form), as ``%00`` — is refused with 422:
  PostgreSQL text cannot hold U+0000, and the same answer is given on every back end.

Every refusal has the API's error body, ``{"detail": [{"field", "problem"}]}``, naming the limit.
"""

from __future__ import annotations

import json
from typing import Any

from remission.api.settings import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH

Scope = dict[str, Any]

NUL_REFUSED = "NUL characters are not allowed"


def _answer(status: int, field: str, problem: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"detail": [{"field": field, "problem": problem}]}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json")],
    }
    return start, {"type": "http.response.body", "body": body}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def is_json_media_type(content_type: str | None) -> bool:
    """True when FastAPI reads a body of this ``Content-Type`` as JSON: none given,
    ``application/json`` or ``application/…+json``. Anything else may be read as a form."""
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (media.startswith("application/") and media.endswith("+json"))


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when ``body`` is JSON whose arrays and objects nest deeper than ``limit`` levels
    (``{}`` is one level, ``{"a": []}`` two). A body that is not JSON is left to the route."""
    try:
        value = json.loads(body)
    except RecursionError:
        return True
    except ValueError:  # not JSON (UnicodeDecodeError is a ValueError too)
        return False
    # Walked with a stack, not recursion, so that the check itself cannot overflow.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class GuardRequests:
    """The guard as ASGI middleware over the whole application (the API and the pages)."""

    def __init__(
        self,
        app: Any,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await self._refuse(send, 422, "(query)", NUL_REFUSED)
            return
        too_large = f"the body exceeds the limit of {self.max_body_bytes} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(send, 413, "(body)", too_large)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                await self._refuse(send, 413, "(body)", too_large)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = self._problem(body, _header(scope, b"content-type"))
        if problem is not None:
            await self._refuse(send, 422, "(body)", problem)
            return
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _problem(self, body: bytes, content_type: str | None) -> str | None:
        if not body:
            return None
        if b"\x00" in body or b"\\u0000" in body:
            return NUL_REFUSED
        # A form decodes %00 to NUL; in JSON it is three characters of text.
        if b"%00" in body and not is_json_media_type(content_type):
            return NUL_REFUSED
        if json_depth_exceeds(body, self.max_json_depth):
            return f"the JSON is nested deeper than the limit of {self.max_json_depth} levels"
        return None

    @staticmethod
    async def _refuse(send: Any, status: int, field: str, problem: str) -> None:
        start, body = _answer(status, field, problem)
        await send(start)
        await send(body)
