"""The study resources of a patient's FHIR Bundle: the pseudonymous Patient, the ResearchStudy of
each protocol, the patient's ResearchSubject in it and the Consents.

The Patient carries the study id, sex and birth date only: the full date when the casebook shows
identifiers to the reader (roles of the patient's site), else its year and month; never a name or
a record number (the casebook holds none).
"""

from __future__ import annotations

from typing import Any

from remission.interop import fhir_codes as codes
from remission.interop.fhir_casebook import Form, absent_extension, concept, iso_date, stable_id
from remission.protocols import Protocol
from remission.protocols.model import CriterionKind
from remission.record.vocabulary import ConsentGiver
from remission.store import Casebook

_GENDERS = frozenset({"female", "male", "other"})


def patient(casebook: Casebook, form: Form | None, death: Form | None) -> dict[str, Any]:
    """The pseudonymous Patient (id from the study id)."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": stable_id(casebook.study_id, "patient"),
        "identifier": [{"system": codes.STUDY_ID_SYSTEM, "value": casebook.study_id}],
    }
    sex = form.value("sex") if form else None
    if sex in _GENDERS:
        resource["gender"] = sex
    else:
        resource["_gender"] = {"extension": absent_extension(form.field("sex") if form else None)}
    born = iso_date(form.value("date_of_birth")) if form and casebook.identifiers_shown else None
    month = form.value("birth_month") if form else None
    if born is not None:
        resource["birthDate"] = born
    elif isinstance(month, str) and month:
        resource["birthDate"] = month
    else:
        resource["_birthDate"] = {
            "extension": absent_extension(form.field("date_of_birth") if form else None)
        }
    died = iso_date(death.value("date")) if death else None
    if died is not None:
        resource["deceasedDateTime"] = died
    return resource


def study_id_of(protocol_id: str, version: str) -> str:
    return stable_id("protocol", protocol_id, version)


def eligibility_group(protocol: Protocol, version: str) -> dict[str, Any] | None:
    """The protocol's eligibility as a definitional Group (``actual`` false): one characteristic per
    criterion, its verbatim text as ``code.text`` (no code system encodes these criteria), an
    exclusion criterion marked ``exclude``. None when the protocol encodes no criteria."""
    if not protocol.eligibility:
        return None
    return {
        "resourceType": "Group",
        "id": stable_id("eligibility", protocol.id, version),
        "identifier": [{"system": codes.PROTOCOL_ID_SYSTEM, "value": f"{protocol.id}|{version}|eligibility"}],
        "type": "person",
        "actual": False,
        "name": f"Eligibility of {protocol.id} (version {protocol.version} of the protocol file)",
        "characteristic": [
            {
                "code": {"text": f"{criterion.id}: {criterion.text}"},
                "valueBoolean": True,
                "exclude": criterion.kind is CriterionKind.EXCLUSION,
            }
            for criterion in protocol.eligibility
        ],
    }


def research_study(protocol: Protocol, version: str, eligibility: str | None = None) -> dict[str, Any]:
    """The protocol as a ResearchStudy: id and version as identifiers, its arms, and a reference to
    the eligibility Group (``eligibility``, its full URL) when there is one."""
    resource: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": study_id_of(protocol.id, version),
        "identifier": [{"system": codes.PROTOCOL_ID_SYSTEM, "value": f"{protocol.id}|{version}"}],
        "title": protocol.title,
        "status": "active",
        "arm": [{"name": arm.id, "description": arm.label} for arm in protocol.arms],
    }
    if eligibility is not None:
        resource["enrollment"] = [{"reference": eligibility}]
    if protocol.version != version:
        # The stored version is no longer the shipped file's: the arms are the shipped file's.
        resource["description"] = (
            f"Arms from protocol file version {protocol.version}; enrolled on {version}."
        )
    if not resource["arm"]:
        del resource["arm"]
    return resource


def research_subject(
    casebook: Casebook,
    enrollment: Form,
    arms: dict[str, str],
    study: str,
    patient_ref: str,
    consents: list[str],
) -> dict[str, Any]:
    """The patient's ResearchSubject in a study: on-study once enrolled, the assigned arm if any."""
    protocol_id = str(enrollment.value("protocol_id"))
    resource: dict[str, Any] = {
        "resourceType": "ResearchSubject",
        "id": stable_id(casebook.study_id, "research-subject", enrollment.key),
        "identifier": [{"system": codes.STUDY_ID_SYSTEM, "value": casebook.study_id}],
        "status": "on-study",
        "study": {"reference": study},
        "individual": {"reference": patient_ref},
    }
    enrolled = iso_date(enrollment.value("enrolled_on"))
    if enrolled is not None:
        resource["period"] = {"start": enrolled}
    arm = arms.get(protocol_id)
    if arm:
        resource["assignedArm"] = arm
    if consents:
        resource["consent"] = {"reference": consents[0]}
    return resource


def consent(casebook: Casebook, row: Form, patient_ref: str) -> dict[str, Any]:
    """A consent form: parental permission, assent or participant consent, with its form version."""
    giver = row.value("given_by")
    kind = ConsentGiver(giver).kind.value if giver in {g.value for g in ConsentGiver} else None
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": stable_id(casebook.study_id, "consent", row.key),
        "status": "active",
        "scope": concept("research", codes.RESEARCH),
        "category": [{"text": kind or "consent"}],
        "patient": {"reference": patient_ref},
        "policyRule": {"text": f"consent form version {row.value('form_version')}"},
    }
    when = iso_date(row.value("date"))
    if when is not None:
        resource["dateTime"] = when
    if giver:
        resource["performer"] = [{"display": str(giver)}]
    return resource
