"""Routes for a patient's course rows, generated from the store's course-row kinds.

No ``from __future__ import annotations`` here: the route signatures name each
spec's schemas, which FastAPI must see as real classes, not strings.
"""

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from remission import store as study_store
from remission.api.deps import ActorDep, PatientId, RowId, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.api.schemas.family import public_schema, update_schema
from remission.store import COURSE_KINDS, CourseKind

IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]


def _add_routes(router: APIRouter, spec: CourseKind) -> None:
    update, public = update_schema(spec.create), public_schema(spec.create)
    path, item = (
        f"/patients/{{patient_id}}/{spec.segment}",
        f"/patients/{{patient_id}}/{spec.segment}/{{row_id}}",
    )
    tag: list[str | Enum] = [spec.segment]

    def list_rows(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> list[Any]:
        with store.session(actor) as session:
            return [
                public.model_validate(row)
                for row in study_store.list_rows(session, model=spec.model, patient_id=patient_id)
            ]

    def create_row(
        patient_id: PatientId,
        body: spec.create,  # type: ignore[name-defined]  # the kind's schema, a class FastAPI reads at run time
        actor: ActorDep,
        store: StoreDep,
        request: Request,
        key: IdempotencyHeader = None,
    ) -> Any:
        values = body.model_dump()
        return run_post(
            store,
            actor,
            key=key,
            fingerprint=request_fingerprint("POST", request.url.path, values),
            work=lambda session: public.model_validate(
                study_store.create_row(session, model=spec.model, patient_id=patient_id, values=values)
            ),
        )

    def get_row(patient_id: PatientId, row_id: RowId, actor: ActorDep, store: StoreDep) -> Any:
        with store.session(actor) as session:
            return public.model_validate(
                study_store.get_row(session, model=spec.model, patient_id=patient_id, row_id=row_id)
            )

    def update_row(
        patient_id: PatientId,
        row_id: RowId,
        body: update,  # type: ignore[valid-type]  # derived from the kind's schema at run time
        actor: ActorDep,
        store: StoreDep,
    ) -> Any:
        change: Any = body
        values = change.model_dump(exclude_unset=True, exclude={"version", "reason"})
        with store.session(actor, reason=change.reason) as session:
            current = study_store.get_row(session, model=spec.model, patient_id=patient_id, row_id=row_id)
            # The changed row must still be a valid row: required fields, checks across fields.
            spec.create.model_validate(
                {name: getattr(current, name) for name in spec.create.model_fields} | values
            )
            row = study_store.update_row(
                session,
                model=spec.model,
                patient_id=patient_id,
                row_id=row_id,
                version=change.version,
                values=values,
            )
            result = public.model_validate(row)
        return result

    def delete_row(
        patient_id: PatientId,
        row_id: RowId,
        actor: ActorDep,
        store: StoreDep,
        version: Annotated[int, Query(ge=1)],
        reason: Annotated[str, Query(min_length=1)],
    ) -> Response:
        with store.session(actor, reason=reason) as session:
            study_store.delete_row(
                session, model=spec.model, patient_id=patient_id, row_id=row_id, version=version
            )
        return Response(status_code=204)

    router.add_api_route(
        path,
        list_rows,
        methods=["GET"],
        response_model=list[public],  # type: ignore[valid-type]  # derived at run time
        tags=tag,
        summary=f"List {spec.title}s",
    )
    router.add_api_route(
        path,
        create_row,
        methods=["POST"],
        status_code=201,
        response_model=public,
        tags=tag,
        summary=f"Add a {spec.title}",
    )
    router.add_api_route(
        item, get_row, methods=["GET"], response_model=public, tags=tag, summary=f"Read a {spec.title}"
    )
    router.add_api_route(
        item, update_row, methods=["PATCH"], response_model=public, tags=tag, summary=f"Change a {spec.title}"
    )
    router.add_api_route(
        item, delete_row, methods=["DELETE"], status_code=204, tags=tag, summary=f"Delete a {spec.title}"
    )


router = APIRouter()
for _kind in COURSE_KINDS:
    _add_routes(router, _kind)
