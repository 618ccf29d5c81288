"""Turning store and input errors into HTTP answers; nothing a client sends yields a 500."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from remission.errors import InputError
from remission.store import AccessDenied, Conflict, NotFound, ReasonRequired, Refused, VersionConflict


def _problems(status: int, problems: Sequence[Mapping[str, object]], **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content=jsonable_encoder({"detail": problems, **extra}))


def install_error_handlers(app: FastAPI) -> None:
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

    @app.exception_handler(Conflict)
    async def _conflict_with_stored(_: Request, error: Conflict) -> JSONResponse:
        return _problems(409, [{"field": "(record)", "problem": error.problem}])
