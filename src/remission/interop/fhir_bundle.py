"""Reading a FHIR Bundle: its FHIR version, its resource types, and the R4B models.

Version detection (a Bundle carries no version field of its own):

1. A versioned canonical in any ``meta.profile`` (``…/StructureDefinition/Patient|4.0.1``) must
   name FHIR R4 (4.0.x) or R4B (4.3.x); any other version is refused.
2. Every ``resourceType`` must be an R4B resource. One that exists only in the current FHIR
   release (R5) is refused as an R5 resource; one that exists in neither is unknown.
3. The Bundle is then parsed with the ``fhir.resources`` R4B models, which refuse any element
   R4/R4B does not define (an R5-only element such as ``Bundle.issues``): each such element is
   named. R4 bundles are read with the R4B models; the resources this import reads (Patient,
   Condition, Observation, Consent, ResearchSubject, ResearchStudy, RelatedPerson) did not
   change between R4 and R4B in the elements read.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from remission.errors import FieldProblem, InputError, dotted_path

#: Versions of FHIR read: R4 (4.0.x) and R4B (4.3.x).
ACCEPTED_VERSION = re.compile(r"^4\.(0|3)(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class BundleEntry:
    """One resource of a bundle, with where it came from, for the mapping report."""

    index: int
    resource: Any

    @property
    def label(self) -> str:
        """``Patient/p1`` (or ``Patient entry[3]`` when the resource has no id)."""
        kind = self.resource.get_resource_type()
        return f"{kind}/{self.resource.id}" if self.resource.id else f"{kind} entry[{self.index}]"


def is_fhir_bundle(data: Any) -> bool:
    """Whether decoded JSON says it is a FHIR Bundle."""
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def parse_bundle(data: dict[str, Any], *, source: str) -> list[BundleEntry]:
    """The bundle's resources as R4B models, in entry order; :class:`InputError` when unusable."""
    problems = _version_problems(data)
    if problems:
        raise InputError(source, problems)
    from fhir.resources.R4B.bundle import Bundle

    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as error:
        raise InputError(source, _parse_problems(error, data)) from None
    return [BundleEntry(index, entry.resource) for index, entry in enumerate(bundle.entry or [])]


def _version_problems(data: dict[str, Any]) -> list[FieldProblem]:
    problems = _profile_problems("Bundle", data)
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        return [*problems, FieldProblem("Bundle.entry", "is not a list of entries")]
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        where = f"Bundle.entry[{index}].resource"
        if not isinstance(resource, dict):
            problems.append(FieldProblem(where, "missing or not a JSON object"))
            continue
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            problems.append(FieldProblem(f"{where}.resourceType", "missing"))
        elif not _is_resource_type("fhir.resources.R4B", kind):
            if _is_resource_type("fhir.resources", kind):
                reason = "is an R5 resource type; only FHIR R4 and R4B bundles are read"
            else:
                reason = "unknown resource type (not a FHIR R4/R4B resource)"
            problems.append(FieldProblem(f"{where}.resourceType", f"{kind!r} {reason}"))
        else:
            problems.extend(_profile_problems(f"{kind} (entry[{index}])", resource))
    return problems


def _profile_problems(where: str, resource: dict[str, Any]) -> list[FieldProblem]:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    problems = []
    for profile in profiles if isinstance(profiles, list) else []:
        if isinstance(profile, str) and "|" in profile:
            version = profile.rpartition("|")[2]
            if profile.startswith("http://hl7.org/fhir/StructureDefinition/") and not ACCEPTED_VERSION.match(
                version
            ):
                problems.append(
                    FieldProblem(
                        f"{where}.meta.profile",
                        f"{profile!r} names FHIR {version}; only FHIR R4 (4.0) and R4B (4.3) bundles"
                        " are read",
                    )
                )
    return problems


def _is_resource_type(package: str, kind: str) -> bool:
    """Whether ``kind`` names a resource of ``package`` (fhir.resources' module per type)."""
    if not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", kind):
        return False
    if importlib.util.find_spec(f"{package}.{kind.lower()}") is None:
        return False
    module = importlib.import_module(f"{package}.{kind.lower()}")
    base = importlib.import_module(f"{package}.resource").Resource
    model = getattr(module, kind, None)
    return isinstance(model, type) and issubclass(model, base)


def _parse_problems(error: ValidationError, data: dict[str, Any]) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        where = _element_name(location, data)
        if item["type"] == "extra_forbidden":
            message = "not an element of FHIR R4/R4B (an R5 element, or a misspelling)"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(FieldProblem(where, message))
    return problems


def _element_name(location: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """``Patient/p1.birthDate`` for ``('entry', 0, 'resource', 'birthDate')``."""
    if len(location) >= 3 and location[0] == "entry" and isinstance(location[1], int):
        entries = data.get("entry") or []
        resource = entries[location[1]].get("resource", {}) if location[1] < len(entries) else {}
        kind = resource.get("resourceType", "resource")
        name = (
            f"{kind}/{resource['id']}"
            if isinstance(resource.get("id"), str)
            else f"{kind} entry[{location[1]}]"
        )
        rest = location[3:] if location[2] == "resource" else location[2:]
        return f"{name}.{dotted_path(rest)}" if rest else name
    return f"Bundle.{dotted_path(location)}"
