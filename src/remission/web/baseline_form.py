"""The baseline correction form: which baseline values it shows, and the changes a submission asks for.

Inputs are named by their path in the record (``diagnosis.date``, ``genetics.kmt2a.status``),
as in the enrollment wizard, whose input definitions are reused, so a problem the record model
reports lands next to its input. A submission becomes baseline *sections* for
:func:`remission.store.update_patient` (the function behind the API's ``PATCH
/patients/{id}``): each section is the stored one with the form's values put in, so values the
form does not show (other genetics, prior steroid courses, ...) are kept.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

from remission.record.vocabulary import MarkerResult
from remission.store import baseline_value
from remission.web.fields import FormField
from remission.web.forms import Submission, form_text, read_form
from remission.web.wizard import FIELDS as WIZARD_FIELDS
from remission.web.wizard import SECTION_FIELD, fusions_text, parse_fusions

IMMUNOPHENOTYPE = "diagnosis.immunophenotype"
FUSIONS = "genetics.fusions"
_REUSED = (
    "diagnosis.date",
    "diagnosis.who_type",
    "diagnosis.alal_predominant_lineage",
    "genetics.kmt2a.status",
    "genetics.kmt2a.partner",
    "genetics.fusions",
    "genetics.ph_status",
    "wbc_at_diagnosis_1e9_per_l",
    "cns_status",
    "prednisone_response",
    "prior_hsct",
    "relapse_status",
)
_BY_NAME = {spec.name: spec for spec in WIZARD_FIELDS}
RESULTS = tuple(result.value for result in MarkerResult)
FIELDS: tuple[FormField, ...] = (
    *(_BY_NAME[name] for name in _REUSED[:3]),
    FormField(
        IMMUNOPHENOTYPE,
        "Immunophenotype",
        "textarea",
        f"One marker and its result per line or comma, e.g. CD19: positive, CD10: negative "
        f"(results: {', '.join(RESULTS)}). Empty: not recorded.",
    ),
    *(_BY_NAME[name] for name in _REUSED[3:]),
)
#: "CD19: positive", "CD19 = partial", "cyCD3 negative"; the record model checks the marker name.
_MARKER = re.compile(r"\s*([^\s:=]+)\s*[:=]?\s*([A-Za-z]+)\s*")


def immunophenotype_text(markers: Mapping[str, str] | None) -> str:
    """Stored markers as the textarea shows them: ``CD19: positive, CD10: negative``."""
    return ", ".join(f"{name}: {result}" for name, result in (markers or {}).items())


def parse_immunophenotype(text: str) -> tuple[dict[str, str] | None, str | None]:
    """The markers typed as ``CD19: positive, CD10: negative``; ``None`` when empty; or a problem."""
    items = [item for item in re.split(r"[,;\n]", text) if item.strip()]
    if not items:
        return None, None
    markers: dict[str, str] = {}
    for item in items:
        match = _MARKER.fullmatch(item)
        if not match or match.group(2).lower() not in RESULTS:
            return None, (
                f"“{item.strip()[:40]}” is not a marker and a result: write e.g. CD19: positive "
                f"(results: {', '.join(RESULTS)})."
            )
        markers[match.group(1)] = match.group(2).lower()
    return markers, None


def current_text(baseline: Mapping[str, Any]) -> dict[str, str]:
    """The inputs' texts for a stored baseline (yes/no as ``yes``/``no``, markers as a list)."""
    texts: dict[str, str] = {}
    for spec in FIELDS:
        value = baseline_value(baseline, spec.name)
        if spec.name == IMMUNOPHENOTYPE:
            texts[spec.name] = immunophenotype_text(value)
        elif spec.name == FUSIONS:
            texts[spec.name] = fusions_text(value)
        elif spec.kind == "yesno":
            texts[spec.name] = "" if value is None else ("yes" if value else "no")
        else:
            texts[spec.name] = form_text(value)
    return texts


def read_baseline_form(form: Mapping[str, Any]) -> Submission:
    """The typed values of the form, with a message for each input that cannot be read."""
    submission = read_form(FIELDS, form)
    markers, problem = parse_immunophenotype(submission.raw[IMMUNOPHENOTYPE])
    submission.values[IMMUNOPHENOTYPE] = markers
    if problem:
        submission.errors[IMMUNOPHENOTYPE] = problem
    submission.values[FUSIONS] = parse_fusions(submission.raw[FUSIONS])
    return submission


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, for ``None``, remove) the value at a dotted path, making sections as needed."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        node[part] = child = dict(child) if isinstance(child, Mapping) else {}
        node = child
    if value is None:
        node.pop(last, None)
    else:
        node[last] = _as_stored(value)


def _as_stored(value: Any) -> Any:
    """A typed value as the stored baseline (JSON) holds it: dates ISO, choices by value."""
    if isinstance(value, date):
        return value.isoformat()
    return value.value if isinstance(value, Enum) else value


def _prune(value: Any) -> Any:
    """``None`` for a section left empty, so the section is cleared rather than stored as ``{}``."""
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        pruned = {key: item for key, item in pruned.items() if item is not None}
        return pruned or None
    return value


def baseline_changes(baseline: Mapping[str, Any], submission: Submission) -> dict[str, Any]:
    """The baseline sections the submission changes (for ``update_patient``), empty when none.

    A section is sent whole: the stored section with the form's values put in (an emptied input
    removes its value); a section left empty is sent as ``None``, which clears it.
    """
    updated: dict[str, Any] = copy.deepcopy(dict(baseline))
    for spec in FIELDS:
        _put(updated, spec.name, submission.values.get(spec.name))
    sections = {spec.name.split(".")[0] for spec in FIELDS}
    return {
        section: _prune(updated.get(section))
        for section in sorted(sections)
        if _prune(updated.get(section)) != _prune(baseline.get(section))
    }


def shown_field(path: str) -> str:
    """The input under which a problem at record ``path`` is shown."""
    path = path.removeprefix("baseline.")
    names = {spec.name for spec in FIELDS}
    if path in names:
        return path
    shown = SECTION_FIELD.get(path, path)
    if shown in names:
        return shown
    for name in names:
        if path.startswith(name + ".") or path.startswith(name + "["):
            return name
    return "diagnosis.date" if path.startswith("diagnosis") else path
