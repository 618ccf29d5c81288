"""Consent form version pages: the list (and, for administrators and data managers, the form that
registers a version), and one version's re-consent list.

The store decides who may register (others get the 403 page), whether the values hold (the error
page names the field) and which patients the viewer sees (only the sites they read).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.errors import FieldProblem, InputError
from remission.protocols import shipped_protocol_ids
from remission.record.vocabulary import ConsentKind
from remission.store import (
    MAX_ID,
    add_consent_version,
    get_consent_version,
    list_consent_versions,
    may_manage_consent_versions,
    reconsent_list,
)
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, ViewerDep

router = APIRouter(include_in_schema=False)
VersionId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _text(form: FormDep, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


def _day(form: FormDep, name: str) -> date | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            "consent form version", [FieldProblem(name, f"{value!r} is not a date YYYY-MM-DD")]
        ) from None


@router.get("/consent-versions")
def consent_versions(request: Request, viewer: ViewerDep) -> Response:
    """Every registered consent form version, by study and kind; the form to add one for managers."""
    with request.app.state.store.session(viewer.actor) as session:
        versions = list_consent_versions(session)
        context = {
            "nav": "consent",
            "versions": versions,
            "may_manage": may_manage_consent_versions(viewer.actor),
            "protocols": shipped_protocol_ids(),
            "kinds": [kind.value for kind in ConsentKind],
            "saved": request.query_params.get("saved", ""),
        }
        return render(request, "consent_versions.html", context)


@router.post("/consent-versions")
def register_version(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Register a version (administrators and data managers), then show its re-consent list."""
    kind = _text(form, "kind") or ""
    if kind not in {k.value for k in ConsentKind}:
        raise InputError("consent form version", [FieldProblem("kind", "choose the kind of consent")])
    with request.app.state.store.session(viewer.actor) as session:
        version = add_consent_version(
            session,
            protocol_id=_text(form, "protocol_id") or "",
            kind=ConsentKind(kind),
            label=_text(form, "label") or "",
            approved_on=_day(form, "approved_on"),
            approved_by=_text(form, "approved_by"),
            note=_text(form, "note"),
        )
        version_id = version.id
    return redirect(request, f"/consent-versions/{version_id}/reconsent?saved=version")


@router.get("/consent-versions/{version_id}/reconsent")
def reconsent(request: Request, viewer: ViewerDep, version_id: VersionId) -> Response:
    """Who must consent again on this version: enrolled patients of the viewer's sites on an older one."""
    with request.app.state.store.session(viewer.actor) as session:
        version = get_consent_version(session, version_id=version_id)
        context = {
            "nav": "consent",
            "version": version,
            "lines": reconsent_list(session, version_id=version_id),
            "saved": request.query_params.get("saved", ""),
        }
        return render(request, "consent_reconsent.html", context)
