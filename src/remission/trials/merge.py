"""Combining a curated trial with its imported registry record.

The curated criteria always govern: an import never replaces encoded criteria with free text.
The registry record brings what goes stale: recruitment status (the newer dated source wins) and
sites (an import's sites replace the curated ones). Where the registry now says something else
than what the curator read, the trial carries a warning naming the change, so that a reader
knows the encoding may need review.
"""

from __future__ import annotations

import dataclasses

from remission.trials.model import Status, Trial

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def normalized(text: str) -> str:
    """Text with runs of whitespace as single spaces and typographic quotes made plain."""
    return " ".join(text.translate(_QUOTES).split())


def _newer_status(curated: Status | None, imported: Status | None) -> Status | None:
    if curated is None or imported is None:
        return imported or curated
    return curated if curated.as_of > imported.as_of else imported


def _change_warnings(curated: Trial, imported: Trial) -> list[str]:
    record = imported.registry
    file = curated.curated
    if record is None or file is None:
        return []
    when = f"registry record imported {record.imported_on}"
    warnings = []
    registered = file.registered_eligibility
    if registered is not None:
        for name, was, now in (
            ("minimumAge", registered.minimum_age, record.minimum_age),
            ("maximumAge", registered.maximum_age, record.maximum_age),
            ("sex", registered.sex, record.sex),
        ):
            if was is not None and was != now:
                warnings.append(
                    f"{name} changed since curation: {was!r} → {now!r} ({when}); review the criteria"
                )
    if file.verbatim_registry_source is not None:
        text = normalized(record.criteria_text or "")
        for criterion in curated.protocol.eligibility or []:
            if criterion.source == file.verbatim_registry_source and normalized(criterion.text) not in text:
                warnings.append(
                    f"criterion {criterion.id}: its text no longer appears in the registry's eligibility "
                    f"criteria ({when}); the registry may have changed it: review the encoding"
                )
    return warnings


def merge_trial(curated: Trial, imported: Trial) -> Trial:
    """The curated trial updated with the imported record's status, sites and change warnings."""
    return dataclasses.replace(
        curated,
        origin=f"{curated.origin} + imported",
        status=_newer_status(curated.status, imported.status),
        sites=imported.sites or curated.sites,
        conditions=curated.conditions or imported.conditions,
        interventions=curated.interventions or imported.interventions,
        phases=curated.phases or imported.phases,
        registry=imported.registry,
        warnings=(*curated.warnings, *_change_warnings(curated, imported)),
    )
