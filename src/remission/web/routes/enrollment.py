"""The enrollment wizard (a new patient) and enrollment of a registered patient, with the live checklist.

The checklist is the protocol's screening of the record the form describes, recomputed on every
change (htmx posts the form to ``…/check``). Enrollment itself is :func:`enroll_patient` of the
store, in the same transaction as the registration: *not eligible* is refused, *needs review*
until every unknown is attested by a named person, and the protocol version is stored.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.errors import InputError
from remission.protocols import Protocol, load_protocol, shipped_protocol_ids
from remission.record.model import Attestation
from remission.store import (
    BASELINE_FIELDS,
    MAX_ID,
    AccessDenied,
    Refused,
    course_kind,
    create_row,
    enroll_patient,
    get_patient,
    read_record,
    register_patient,
)
from remission.web.fields import FormField
from remission.web.forms import read_form
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, Viewer, ViewerDep
from remission.web.wizard import (
    FIELDS,
    PLACEHOLDER_ID,
    SECTIONS,
    SYNDROMES,
    Checklist,
    checklist,
    read_wizard,
    usable_record,
)

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]


@cache
def screening_protocols() -> tuple[tuple[str, str], ...]:
    """Shipped protocols that encode eligibility: (id, label)."""
    chosen = []
    for protocol_id in shipped_protocol_ids():
        protocol = load_protocol(protocol_id)
        if protocol.eligibility:
            chosen.append((protocol.id, f"{protocol.id} v{protocol.version} — {protocol.title}"))
    return tuple(chosen)


ATTESTER_FIELDS = (
    FormField(
        "attestation.attested_by", "Attested by (full name)", "text", "Needed when you attest a criterion."
    ),
    FormField("attestation.role", "Role of the person attesting", "text"),
)


def _enrollment_fields() -> tuple[FormField, ...]:
    return (
        FormField("protocol_id", "Protocol", "select", choices=screening_protocols()),
        FormField(
            "study_entry_date", "Enrollment date", "date", "Screening is done on this date.", required=True
        ),
    )


def _labels(*groups: tuple[FormField, ...]) -> dict[str, str]:
    return {f.name: f.label for group in groups for f in group}


def _entry(form: Any, errors: dict[str, str]) -> tuple[Protocol, date]:
    submission = read_form(_enrollment_fields(), form)
    errors.update(submission.errors)
    protocol_id = submission.values["protocol_id"] or screening_protocols()[0][0]
    return load_protocol(protocol_id), submission.values["study_entry_date"] or date.today()


def _site(viewer: Viewer, form: Any, errors: dict[str, str]) -> int:
    allowed = viewer.writable_site_ids
    if not allowed:
        raise AccessDenied(f"{viewer.username} may not enroll patients")
    wanted = str(form.get("site", ""))
    for site_id in allowed:
        if viewer.site_codes.get(site_id) == wanted:
            return site_id
    if wanted:
        errors["site"] = "Choose one of your sites."
    return allowed[0]


class _Form(dict[str, str]):
    """A plain mapping standing in for a submitted form (the first GET of a page)."""

    def getlist(self, key: str) -> list[str]:
        return [self[key]] if key in self else []


def _wizard_context(viewer: Viewer, form: Any, *, submitting: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    site_id = _site(viewer, form, errors)
    wizard = read_wizard(form, site_code=viewer.site_codes[site_id])
    errors.update(wizard.errors)
    protocol, on = _entry(form, errors)
    patient = wizard.data.setdefault("patient", {})
    patient.setdefault("study_id", PLACEHOLDER_ID)
    record_errors: dict[str, str] = {}
    base = usable_record(wizard.data, record_errors, today=date.today())
    errors = {**record_errors, **errors}

    def build(attestations: list[Attestation]) -> Any:
        data = base.model_dump(mode="json", exclude_none=True)
        data |= {
            "study_entry_date": on.isoformat(),
            "attestations": [a.model_dump(mode="json") for a in attestations],
        }
        return usable_record(data, {}, today=date.today())

    check = checklist(
        build,
        protocol,
        on=on,
        form=form,
        errors=errors,
        default_name=viewer.full_name,
        default_role=viewer.attesting_role,
    )
    raw = dict(wizard.raw) | {
        "site": viewer.site_codes[site_id],
        "protocol_id": protocol.id,
        "study_entry_date": str(form.get("study_entry_date", on.isoformat())),
        "attestation.attested_by": check.attested_by,
        "attestation.role": check.attester_role,
    }
    sites = tuple((viewer.site_codes[s], viewer.site_codes[s]) for s in viewer.writable_site_ids)
    if not submitting:  # while typing, say nothing yet about inputs left empty
        errors = {name: message for name, message in errors.items() if raw.get(name, "x")}
    return {
        "nav": "enroll",
        "sections": SECTIONS,
        "enrollment_fields": _enrollment_fields(),
        "raw": raw,
        "errors": errors,
        "syndromes": SYNDROMES,
        "syndromes_found": wizard.syndromes,
        "sites": sites,
        "site_field": FormField("site", "Site", "select", choices=sites, required=True),
        "attester_fields": ATTESTER_FIELDS,
        "labels": _labels(FIELDS, _enrollment_fields(), ATTESTER_FIELDS) | {"site": "Site"},
        "check": check,
        "protocol": protocol,
        "wizard": wizard,
        "base": base,
        "site_id": site_id,
        "on": on,
    }


@router.get("/enroll")
def wizard_page(request: Request, viewer: ViewerDep) -> Response:
    if not viewer.may_enroll:
        raise AccessDenied(f"{viewer.username} may not enroll patients")
    form = {"study_entry_date": date.today().isoformat()}
    return render(request, "enroll.html", _wizard_context(viewer, _Form(form), submitting=False))


@router.post("/enroll/check")
def wizard_check(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """The checklist fragment for the form as typed so far (htmx)."""
    return render(request, "_checklist.html", _wizard_context(viewer, form, submitting=False))


@router.post("/enroll")
def wizard_submit(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Register the patient (with consent and identifiers) and enroll, all in one transaction."""
    context = _wizard_context(viewer, form, submitting=True)
    errors, wizard, check = context["errors"], context["wizard"], context["check"]
    enrolling = form.get("action", "enroll") != "register"
    study_id = wizard.raw.get("patient.study_id", "").strip()
    if not study_id:
        errors["patient.study_id"] = "Required."
    if errors:
        return render(request, "enroll.html", context, status=422)
    base, on = context["base"], context["on"]
    baseline = base.model_dump(mode="json", include=set(BASELINE_FIELDS), exclude_none=True)
    attestations = list(check.attestations)
    try:
        with request.app.state.store.session(viewer.actor) as session:
            patient = register_patient(
                session,
                study_id=study_id,
                site_id=context["site_id"],
                sex=base.patient.sex,
                date_of_birth=base.patient.date_of_birth,
                baseline=baseline,
                identifiers=wizard.identifiers,
                today=date.today(),
            )
            if base.consent is not None:
                create_row(
                    session,
                    model=course_kind("consents").model,
                    patient_id=patient.id,
                    # The consent names the study it is enrolled in, so its form version is checked.
                    values=base.consent.model_dump()
                    | ({"protocol_id": context["protocol"].id} if enrolling else {}),
                )
            if enrolling:
                enroll_patient(
                    session,
                    patient_id=patient.id,
                    protocol_id=context["protocol"].id,
                    enrolled_on=on,
                    attestations=attestations,
                )
            patient_id = patient.id
    except Refused as error:
        field = {"study_id": "patient.study_id"}.get(error.field)
        if field:
            errors[field] = error.problem
        else:
            context["refusal"] = error.problem
        return render(request, "enroll.html", context, status=422)
    except InputError as error:
        for problem in error.problems:
            errors.setdefault(problem.field.removeprefix("baseline."), problem.problem)
        return render(request, "enroll.html", context, status=422)
    return redirect(request, f"/patients/{patient_id}?saved={'enrolled' if enrolling else 'registered'}")


def _existing_context(request: Request, viewer: Viewer, patient_id: int, form: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    protocol, on = _entry(form, errors)
    with request.app.state.store.session(viewer.actor) as session:
        patient = get_patient(session, patient_id=patient_id)
        if not viewer.may_write(patient.site_id):
            raise AccessDenied(f"{viewer.username} may not enroll patients of this site")

        def build(attestations: list[Attestation]) -> Any:
            return read_record(session, patient_id=patient.id, study_entry_date=on, attestations=attestations)

        check: Checklist = checklist(
            build,
            protocol,
            on=on,
            form=form,
            errors=errors,
            default_name=viewer.full_name,
            default_role=viewer.attesting_role,
        )
    raw = {
        "protocol_id": protocol.id,
        "study_entry_date": str(form.get("study_entry_date", on.isoformat())),
        "attestation.attested_by": check.attested_by,
        "attestation.role": check.attester_role,
    }
    return {
        "nav": "patients",
        "patient": patient,
        "enrollment_fields": _enrollment_fields(),
        "attester_fields": ATTESTER_FIELDS,
        "labels": _labels(_enrollment_fields(), ATTESTER_FIELDS),
        "raw": raw,
        "errors": errors,
        "check": check,
        "protocol": protocol,
        "on": on,
    }


@router.get("/patients/{patient_id}/enroll")
def enroll_page(request: Request, viewer: ViewerDep, patient_id: PatientId) -> Response:
    form = _Form({"study_entry_date": date.today().isoformat()})
    return render(request, "enroll_existing.html", _existing_context(request, viewer, patient_id, form))


@router.post("/patients/{patient_id}/enroll/check")
def enroll_check(request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId) -> Response:
    return render(request, "_checklist.html", _existing_context(request, viewer, patient_id, form))


@router.post("/patients/{patient_id}/enroll")
def enroll_existing(request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId) -> Response:
    """Enroll a registered patient with the attestations chosen on the checklist."""
    context = _existing_context(request, viewer, patient_id, form)
    check, on = context["check"], context["on"]
    if context["errors"]:
        return render(request, "enroll_existing.html", context, status=422)
    attestations = list(check.attestations)
    try:
        with request.app.state.store.session(viewer.actor) as session:
            enroll_patient(
                session,
                patient_id=patient_id,
                protocol_id=context["protocol"].id,
                enrolled_on=on,
                attestations=attestations,
            )
    except Refused as error:
        context["refusal"] = error.problem
        return render(request, "enroll_existing.html", context, status=422)
    return redirect(request, f"/patients/{patient_id}?saved=enrolled")
