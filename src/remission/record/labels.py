"""What each field of the record is called in clinical language.

Explanations, the web pages and the CLI name a field by these words, never by its path.
A test keeps the table complete: every field of :class:`~remission.record.model.PatientRecord`,
nested ones included, has a label here.
"""

from __future__ import annotations

import re

#: Record path (list items without their index) to its name in words.
FIELD_LABELS: dict[str, str] = {
    "schema_version": "record schema version",
    "patient": "patient",
    "patient.study_id": "study id",
    "patient.site": "site",
    "patient.sex": "sex",
    "patient.date_of_birth": "date of birth",
    "diagnosis": "diagnosis",
    "diagnosis.date": "date of diagnosis",
    "diagnosis.who_type": "diagnosis (WHO type)",
    "diagnosis.alal_predominant_lineage": "predominant lineage of the ALAL",
    "diagnosis.immunophenotype": "immunophenotype",
    "genetics": "genetics",
    "genetics.kmt2a": "KMT2A",
    "genetics.kmt2a.status": "KMT2A status",
    "genetics.kmt2a.partner": "KMT2A fusion partner",
    "genetics.kmt2a.method": "KMT2A assay",
    "genetics.fusions": "gene fusions",
    "genetics.mutations": "mutations",
    "genetics.mutations.gene": "gene",
    "genetics.mutations.variant": "variant",
    "genetics.ph_status": "Philadelphia chromosome (BCR::ABL1)",
    "genetics.ph_like_class": "Ph-like class",
    "genetics.copy_number_changes": "copy-number changes",
    "genetics.copy_number_changes.gene": "gene",
    "genetics.copy_number_changes.change": "change",
    "wbc_at_diagnosis_1e9_per_l": "white cell count at diagnosis",
    "cns_status": "CNS status",
    "prednisone_response": "prednisone response",
    "syndromes": "predisposition syndromes",
    "prior_steroids": "steroid course before study entry",
    "prior_steroids.drug": "drug",
    "prior_steroids.systemic": "systemic",
    "prior_steroids.start_date": "start",
    "prior_steroids.end_date": "end",
    "prior_hsct": "prior stem cell transplantation",
    "relapse_status": "relapse status",
    "refractory_disease": "refractory disease",
    "current_therapy_phase": "current phase of therapy",
    "consent": "consent",
    "consent.given_by": "consent given by",
    "consent.date": "date of consent",
    "consent.form_version": "consent form version",
    "other_studies": "other study participation",
    "other_studies.study_id": "study",
    "other_studies.interventional": "interventional",
    "other_studies.start_date": "start",
    "other_studies.end_date": "end",
    "study_entry_date": "study entry date",
    "mrd": "MRD results",
    "mrd.time_point": "time point",
    "mrd.method": "method",
    "mrd.sample_date": "sample date",
    "mrd.value_fraction": "MRD level",
    "mrd.positive_not_quantifiable": "positive, not quantifiable",
    "mrd.sensitivity_fraction": "sensitivity",
    "treatment_phases": "treatment phases",
    "treatment_phases.phase_id": "phase",
    "treatment_phases.start_date": "start",
    "treatment_phases.end_date": "end",
    "attestations": "attestations",
    "attestations.protocol_id": "protocol",
    "attestations.criterion_id": "criterion",
    "attestations.outcome": "outcome",
    "attestations.attested_by": "attested by",
    "attestations.role": "role",
    "attestations.date": "date",
    "attestations.note": "note",
}

#: Units shown after a field's value.
FIELD_UNITS: dict[str, str] = {"wbc_at_diagnosis_1e9_per_l": "× 10⁹/L"}

_INDEX = re.compile(r"\[(\d+)\]")


def field_label(path: str) -> str:
    """The words for ``path``; a list item is numbered from 1, e.g. ``steroid course … 2: start``.

    A path the table does not know is shown as it is written rather than guessed at, except that
    a column of the course row an edit check reads (``row.onset_date``) is shown as its words.
    """
    if path.startswith("row.") and "." not in path[4:]:
        return path[4:].replace("_", " ")
    match = _INDEX.search(path)
    if match is None:
        return FIELD_LABELS.get(path) or _keyed(path)
    head, rest = path[: match.start()], path[match.end() :].lstrip(".")
    item = f"{FIELD_LABELS.get(head, head)} {int(match.group(1)) + 1}"
    if not rest:
        return item
    return f"{item}: {field_label(_INDEX.sub('', head) + '.' + rest)}"


def _keyed(path: str) -> str:
    """A key inside a mapping field, e.g. ``diagnosis.immunophenotype.CD19`` → ``immunophenotype CD19``."""
    head, _, key = path.rpartition(".")
    return f"{FIELD_LABELS[head]} {key}" if head in FIELD_LABELS else path


def field_unit(path: str) -> str | None:
    return FIELD_UNITS.get(_INDEX.sub("", path))
