"""Therapy options as a clinician scans them: one row per therapy, in three groups.

A therapy can appear in several knowledge-base entries (imatinib for BCR::ABL1 and for an
ABL-class Ph-like fusion). :func:`therapy_rows` merges them into one row that keeps every
entry, approval and evidence level, and puts the row in the first group that fits:

* *applies now*: the child has the finding and the disease, and an approval or the
  evidence covers the child's setting as recorded;
* *would apply if…*: a finding is not recorded yet (named in words), or the approvals
  need a setting the child is not in or that is not recorded (e.g. relapsed/refractory);
* *does not apply*: the finding is absent or the disease differs, for every entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from remission.knowledge.results import TherapyOption, TherapyReport
from remission.knowledge.vocabulary import BiomarkerCall, Coverage
from remission.record.labels import field_label
from remission.rules.truth import Truth
from remission.rules.wording import listed


class Group(StrEnum):
    APPLIES_NOW = "applies now"
    WOULD_APPLY_IF = "would apply if"
    DOES_NOT_APPLY = "does not apply"


@dataclass(frozen=True)
class TherapyRow:
    """Every entry of one therapy for one child, with the group and the reason in words."""

    therapy: str
    group: Group
    condition: str  # what applies, what it would need, or why it does not apply
    options: tuple[TherapyOption, ...]

    @property
    def best_rank(self) -> int:
        return min(o.entry.evidence.level.rank for o in self.options)

    @property
    def best_level(self) -> str:
        return next(
            o.entry.evidence.level for o in self.options if o.entry.evidence.level.rank == self.best_rank
        ).value

    @property
    def approvals(self) -> list[str]:
        """``FDA: approved`` per approval, each agency and coverage once."""
        seen = [f"{a.approval.agency}: {a.coverage.value}" for o in self.options for a in o.approvals]
        return list(dict.fromkeys(seen)) or ["no approval: evidence from trials"]

    @property
    def findings(self) -> list[str]:
        return list(dict.fromkeys(o.biomarker.name for o in self.options))

    def to_dict(self) -> dict[str, Any]:
        return {
            "therapy": self.therapy,
            "group": self.group.value,
            "condition": self.condition,
            "best_evidence_level": self.best_level,
            "findings": self.findings,
            "approvals": self.approvals,
            "entries": [o.entry.id for o in self.options],
        }


def _name(option: TherapyOption) -> str:
    return option.entry.therapy.name if option.entry.therapy else option.entry.id


def _recorded(paths: list[str] | tuple[str, ...], showing: str | None = None) -> str:
    """``Ph-like class is recorded and shows X``; ``A and B are recorded and show X``."""
    one = len(paths) == 1
    text = f"{listed((field_label(path) for path in paths), 'and')} {'is' if one else 'are'} recorded"
    return f"{text} and {'shows' if one else 'show'} {showing}" if showing else text


def _setting_needs(option: TherapyOption) -> list[str]:
    """What the approvals of an applying option still need about the disease setting, in words."""
    needs = []
    for approval in option.approvals:
        setting = next((c for c in approval.checks if c.name == "setting"), None)
        if setting is None or setting.truth is Truth.MET or not approval.approval.settings:
            continue
        wanted = listed(s.value for s in approval.approval.settings)
        if setting.truth is Truth.UNKNOWN and setting.missing:
            needs.append(_recorded(setting.missing, f"the setting {wanted}"))
        else:
            needs.append(f"the disease reaches the setting {wanted} (not the setting now)")
    return needs


def _group(options: list[TherapyOption]) -> tuple[Group, str]:
    applying = [o for o in options if o.applies is Truth.MET]
    covered = [o for o in applying if o.status is not Coverage.NEEDS_REVIEW]
    if covered:
        return Group.APPLIES_NOW, "; ".join(f"{o.biomarker.name}: {o.status_label}" for o in covered)
    needs: list[str] = []
    for option in applying:
        settings = _setting_needs(option)
        needs.extend(settings)
        if not settings and option.missing:
            needs.append(_recorded(option.missing))
    for option in options:
        if option.applies is Truth.UNKNOWN:
            needs.append(_recorded(option.missing, option.biomarker.name))
    if needs:
        return Group.WOULD_APPLY_IF, "; or ".join(dict.fromkeys(needs))
    reasons = [
        f"{o.biomarker.name} not found" if o.biomarker.call is BiomarkerCall.ABSENT else o.disease.reason
        for o in options
    ]
    return Group.DOES_NOT_APPLY, "; ".join(dict.fromkeys(reasons))


def therapy_rows(report: TherapyReport) -> list[TherapyRow]:
    """One row per therapy over the options and the entries that do not apply, ranked: applying
    first, then by the best evidence level, then by name."""
    by_therapy: dict[str, list[TherapyOption]] = {}
    for option in (*report.options, *report.not_applicable):
        by_therapy.setdefault(_name(option), []).append(option)
    rows = [TherapyRow(name, *_group(options), tuple(options)) for name, options in by_therapy.items()]
    order = list(Group)
    return sorted(rows, key=lambda row: (order.index(row.group), row.best_rank, row.therapy))
