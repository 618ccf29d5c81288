"""Controlled vocabularies of the therapy knowledge base.

Each enumeration's values are the exact strings written in the knowledge-base YAML
files and printed by ``remission therapy``.
"""

from __future__ import annotations

from enum import StrEnum


class BiomarkerKind(StrEnum):
    """What kind of finding an entry's biomarker is, and so which record fields show it."""

    FUSION = "fusion"  # one named fusion, 5'GENE::3'GENE
    REARRANGEMENT = "rearrangement"  # a gene fused with any partner
    MUTATION = "mutation"
    COPY_NUMBER = "copy_number"
    PH_LIKE_CLASS = "ph_like_class"
    SURFACE_ANTIGEN = "surface_antigen"


class EvidenceType(StrEnum):
    THERAPEUTIC = "therapeutic"
    PROGNOSTIC = "prognostic"
    DIAGNOSTIC = "diagnostic"


class EvidenceLevel(StrEnum):
    """Levels of the OncoKB scheme; the order of the members is the ranking order."""

    LEVEL_1 = "1"
    LEVEL_2 = "2"
    LEVEL_3A = "3A"
    LEVEL_3B = "3B"
    LEVEL_4 = "4"
    R1 = "R1"
    R2 = "R2"
    PX1 = "Px1"
    PX2 = "Px2"
    PX3 = "Px3"
    DX1 = "Dx1"
    DX2 = "Dx2"
    DX3 = "Dx3"

    @property
    def rank(self) -> int:
        """Position in the ranking: 0 for level 1, growing as the evidence weakens."""
        return list(EvidenceLevel).index(self)


#: Which levels belong to which evidence type (the OncoKB scheme).
LEVELS_BY_TYPE: dict[EvidenceType, frozenset[EvidenceLevel]] = {
    EvidenceType.THERAPEUTIC: frozenset(
        {
            EvidenceLevel.LEVEL_1,
            EvidenceLevel.LEVEL_2,
            EvidenceLevel.LEVEL_3A,
            EvidenceLevel.LEVEL_3B,
            EvidenceLevel.LEVEL_4,
            EvidenceLevel.R1,
            EvidenceLevel.R2,
        }
    ),
    EvidenceType.PROGNOSTIC: frozenset({EvidenceLevel.PX1, EvidenceLevel.PX2, EvidenceLevel.PX3}),
    EvidenceType.DIAGNOSTIC: frozenset({EvidenceLevel.DX1, EvidenceLevel.DX2, EvidenceLevel.DX3}),
}

RESISTANCE_LEVELS = frozenset({EvidenceLevel.R1, EvidenceLevel.R2})


class LevelAssignedBy(StrEnum):
    """Who assigned an entry's level: OncoKB itself, or our curators applying its definitions."""

    ONCOKB = "oncokb"
    CURATOR = "curator"


class Modality(StrEnum):
    TKI = "tyrosine kinase inhibitor"
    MENIN_INHIBITOR = "menin inhibitor"
    BISPECIFIC_T_CELL_ENGAGER = "bispecific T-cell engager"
    ANTIBODY_DRUG_CONJUGATE = "antibody-drug conjugate"
    CAR_T = "CAR-T cell therapy"
    JAK_INHIBITOR = "JAK inhibitor"
    OTHER = "other"


class Population(StrEnum):
    """Who an approval names: adults, children, or both (numeric bounds come separately)."""

    ADULTS = "adults"
    CHILDREN = "children"
    ADULTS_AND_CHILDREN = "adults and children"


class DiseaseSetting(StrEnum):
    """Disease settings that approvals are written for; each is defined on record fields in the data."""

    NEWLY_DIAGNOSED = "newly diagnosed"
    CONSOLIDATION = "consolidation"
    RELAPSED_REFRACTORY = "relapsed/refractory"
    REFRACTORY = "refractory"
    SECOND_OR_LATER_RELAPSE = "second or later relapse"


class Coverage(StrEnum):
    """Whether an option is approved for this child, and if not, why not.

    The member order is the ranking order: a covering approval first.
    """

    APPROVED = "approved"
    NEEDS_REVIEW = "needs review"
    OFF_LABEL = "off-label"
    ADULT_ONLY = "adult-only"
    TRIAL_ONLY = "trial-only"

    @property
    def rank(self) -> int:
        return list(Coverage).index(self)


class BiomarkerCall(StrEnum):
    """Whether the record shows the biomarker; ``conflicting`` when two fields disagree."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"
    CONFLICTING = "conflicting"
