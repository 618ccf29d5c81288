"""Turning store and input errors into HTTP answers; nothing a client sends yields a 500.

Every refusal has one body shape, :class:`Problems`: ``{"detail": [{"field", "problem"}]}``,
plus ``current_version`` on a version conflict and ``screening`` on a refused enrollment.
:data:`ERROR_RESPONSES` declares it in the OpenAPI document for every status the API answers
with, so a client (and the schemathesis tier of the tests) can rely on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.exceptions import HTTPException

from remission.errors import InputError
from remission.store import (
    AccessDenied,
    Conflict,
    Locked,
    NotFound,
    ReasonRequired,
    Refused,
    Throttled,
    VersionConflict,
)


class Problem(BaseModel):
    """One thing wrong with a request: the field (or ``(body)``, ``(path)``, …) and what."""

    field: str
    problem: str


class Problems(BaseModel):
    """The body of every 4xx answer."""

    model_config = ConfigDict(extra="allow")
    detail: list[Problem]
    current_version: int | None = None
    screening: dict[str, Any] | None = None


_MEANINGS = {
    400: "The request could not be read.",
    401: "Not signed in, or the token has expired.",
    403: "Your role does not allow this.",
    404: "No such record, or it belongs to a site you cannot read.",
    409: "The record changed since you read it, conflicts with a stored one, or is frozen.",
    413: "The body is larger than the server accepts (REMISSION_MAX_BODY_BYTES).",
    422: "A field is missing or wrong; each problem names it.",
    423: "The data is locked; an admin unlocks it with a reason.",
    429: "Too many failed sign-ins; the Retry-After header says when to try again.",
}
#: The error answers declared on every operation, all with the :class:`Problems` body.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problems, "description": meaning} for status, meaning in _MEANINGS.items()
}

#: What an HTTP error of the framework (no route, wrong method, authentication) is about.
_HTTP_FIELDS = {401: "authorization", 404: "(path)", 405: "(method)", 429: "(sign-in)"}


def _problems(status: int, problems: Sequence[Mapping[str, object]], **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content=jsonable_encoder({"detail": problems, **extra}))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(_: Request, error: HTTPException) -> JSONResponse:
        field = _HTTP_FIELDS.get(error.status_code, "(request)")
        answer = _problems(error.status_code, [{"field": field, "problem": str(error.detail)}])
        answer.headers.update(error.headers or {})
        return answer

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in item["loc"] if part != "body"), "problem": item["msg"]}
            for item in error.errors()
        ]
        return _problems(422, problems)

    @app.exception_handler(ValidationError)
    async def _model_validation(_: Request, error: ValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in item["loc"]) or "(body)", "problem": item["msg"]}
            for item in error.errors()
        ]
        return _problems(422, problems)

    @app.exception_handler(InputError)
    async def _input(_: Request, error: InputError) -> JSONResponse:
        return _problems(422, [{"field": p.field, "problem": p.problem} for p in error.problems])

    @app.exception_handler(Throttled)
    async def _throttled(_: Request, error: Throttled) -> JSONResponse:
        answer = _problems(429, [{"field": error.field, "problem": error.problem}])
        answer.headers["Retry-After"] = str(error.retry_after)
        return answer

    @app.exception_handler(Refused)
    async def _refused(_: Request, error: Refused) -> JSONResponse:
        return _problems(422, [{"field": error.field, "problem": error.problem}], screening=error.detail)

    @app.exception_handler(ReasonRequired)
    async def _reason(_: Request, error: ReasonRequired) -> JSONResponse:
        return _problems(422, [{"field": "reason", "problem": str(error)}])

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, error: NotFound) -> JSONResponse:
        return _problems(404, [{"field": error.entity, "problem": "not found"}])

    @app.exception_handler(AccessDenied)
    async def _denied(_: Request, error: AccessDenied) -> JSONResponse:
        return _problems(403, [{"field": "role", "problem": str(error)}])

    @app.exception_handler(VersionConflict)
    async def _conflict(_: Request, error: VersionConflict) -> JSONResponse:
        return _problems(
            409,
            [{"field": "version", "problem": "the record has changed since you read it"}],
            current_version=error.current_version,
        )

    @app.exception_handler(Locked)
    async def _locked(_: Request, error: Locked) -> JSONResponse:
        return _problems(409 if error.frozen else 423, [{"field": error.field, "problem": error.problem}])

    @app.exception_handler(Conflict)
    async def _conflict_with_stored(_: Request, error: Conflict) -> JSONResponse:
        return _problems(409, [{"field": error.field or "(record)", "problem": error.problem}])
