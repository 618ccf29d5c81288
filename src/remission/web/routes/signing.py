"""Electronic signing pages: the list of records waiting for the viewer's signature, the signing screen
(what is signed, the attestation, the printed name and meaning, the password), and the signing itself.

The store decides who may sign which patient's records and checks the password — with the user name
at the first signing of the web session (21 CFR Part 11 §11.200) — and writes every signature or
none (:func:`remission.store.sign_units`). A wrong password shows the screen again with the message
at the password field; it counts against the sign-in throttle, and while the account or the address
is locked the screen shows the sign-in throttle's message there (429 with ``Retry-After``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from remission.api.deps import client_address
from remission.store import (
    MAX_ID,
    Refused,
    SignatureMeaning,
    SignedUnit,
    Throttled,
    UnitRef,
    attestation_text,
    describe_unit,
    first_signature_needs_username,
    get_patient,
    get_user,
    sign_units,
    signing_list,
)
from remission.web.pages import redirect, render
from remission.web.routes.signin import throttled_message
from remission.web.viewer import FormDep, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
_UNITS = {unit.value: unit for unit in SignedUnit}
_MEANINGS = {meaning.value: meaning for meaning in SignatureMeaning}


def unit_key(patient_id: int, unit: SignedUnit, row_id: int | None) -> str:
    """The form value of one unit: ``PATIENT:UNIT:ROW`` (``ROW`` empty for a casebook)."""
    return f"{patient_id}:{unit.value}:{row_id or ''}"


def _unit_ref(key: str) -> UnitRef | None:
    parts = key.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in _UNITS:
        return None
    row = parts[2]
    if row and not row.isdigit():
        return None
    patient, row_id = int(parts[0]), int(row) if row else None
    if not 0 < patient <= MAX_ID or (row_id is not None and not 0 < row_id <= MAX_ID):
        return None
    return UnitRef(patient, _UNITS[parts[1]], row_id)


@router.get("/signing")
def signing_page(
    request: Request,
    viewer: ViewerDep,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    signed: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """Records waiting for the viewer's signature (unsigned or invalidated), to choose and sign at once."""
    with request.app.state.store.session(viewer.actor) as session:
        waiting = signing_list(session, patient_id=patient_id)
        lines = [
            {
                "key": unit_key(s.patient_id, s.unit, s.row_id),
                "status": s,
                "what": describe_unit(
                    session,
                    patient=get_patient(session, patient_id=s.patient_id),
                    unit=s.unit,
                    row_id=s.row_id,
                ),
            }
            for s in waiting
        ]
    context = {
        "nav": "signing",
        "lines": lines,
        "patient_id": patient_id,
        "meanings": [m.value for m in SignatureMeaning],
        "signed": signed,
    }
    return render(request, "signing.html", context)


def _screen(
    request: Request,
    viewer: Viewer,
    keys: list[str],
    meaning: SignatureMeaning,
    *,
    problem: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    refs = [ref for key in keys if (ref := _unit_ref(key)) is not None]
    with request.app.state.store.session(viewer.actor) as session:
        user = get_user(session, user_id=viewer.session.user_id)
        records = [
            {
                "key": unit_key(ref.patient_id, ref.unit, ref.row_id),
                "study_id": (patient := get_patient(session, patient_id=ref.patient_id)).study_id,
                "what": describe_unit(session, patient=patient, unit=ref.unit, row_id=ref.row_id),
            }
            for ref in refs
        ]
        needs_username = first_signature_needs_username(session, signing_session=viewer.session.session_id)
    context = {
        "nav": "signing",
        "records": records,
        "meaning": meaning.value,
        "printed_name": user.full_name,
        "attestation": attestation_text(name=user.full_name, username=user.username, meaning=meaning),
        "needs_username": needs_username,
        "problem": problem or {},
    }
    return render(request, "sign.html", context, status=status)


def _chosen(form: Any) -> tuple[list[str], SignatureMeaning | None]:
    keys = [str(key) for key in form.getlist("unit")][:500]
    return keys, _MEANINGS.get(str(form.get("meaning", "")))


@router.post("/signing/review")
def review(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """The signing screen for the chosen records and meaning."""
    keys, meaning = _chosen(form)
    if not keys or meaning is None:
        return _problem_list(request, viewer, "Choose at least one record and the meaning of your signature.")
    return _screen(request, viewer, keys, meaning)


def _problem_list(request: Request, viewer: Viewer, message: str) -> Response:
    context = {
        "nav": "signing",
        "lines": [],
        "meanings": [m.value for m in SignatureMeaning],
        "problem": message,
    }
    return render(request, "signing.html", context, status=422)


@router.post("/signing/sign")
def sign(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Sign the records shown with the password (and the user name at the session's first signing)."""
    keys, meaning = _chosen(form)
    refs = [ref for key in keys if (ref := _unit_ref(key)) is not None]
    if not refs or meaning is None:
        return _problem_list(request, viewer, "Choose at least one record and the meaning of your signature.")
    username = str(form.get("username", "")).strip()[:64] or None
    password = str(form.get("password", ""))[:1024]
    try:
        with request.app.state.store.session(viewer.actor) as session:
            signed = sign_units(
                session,
                units=refs,
                meaning=meaning,
                username=username,
                password=password,
                signing_session=viewer.session.session_id,
                address=client_address(request),
                policy=request.app.state.settings.sign_in,
            )
            count = len(signed)
    except Throttled as throttled:
        problem = {throttled.field: throttled_message(throttled.retry_after)}
        response = _screen(request, viewer, keys, meaning, problem=problem, status=429)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    except Refused as refused:
        return _screen(request, viewer, keys, meaning, problem={refused.field: refused.problem}, status=422)
    patients = {ref.patient_id for ref in refs}
    target = f"/signing?signed={count}" + (f"&patient_id={patients.pop()}" if len(patients) == 1 else "")
    return redirect(request, target)
