"""Controlled vocabularies of the clinical record.

Each enumeration's values are the exact strings that appear in record JSON and
in protocol files.
"""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class WhoType(StrEnum):
    """WHO diagnostic category of the acute leukemia."""

    B_ALL = "B-ALL"
    T_ALL = "T-ALL"
    ALAL = "ALAL"  # acute leukemia of ambiguous lineage; see ``alal_predominant_lineage``
    AML = "AML"
    MATURE_B = "mature-B/Burkitt"


class Lineage(StrEnum):
    """Predominant lineage of an acute leukemia of ambiguous lineage."""

    B_LYMPHOID = "B-lymphoid"
    T_LYMPHOID = "T-lymphoid"
    MYELOID = "myeloid"
    UNDETERMINED = "undetermined"


class MarkerResult(StrEnum):
    """Immunophenotype result of one surface or cytoplasmic marker."""

    POSITIVE = "positive"
    PARTIAL = "partial"
    NEGATIVE = "negative"


class KMT2AStatus(StrEnum):
    REARRANGED = "rearranged"
    GERMLINE = "germline"


class PhStatus(StrEnum):
    """Philadelphia chromosome (BCR::ABL1)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


class PhLikeClass(StrEnum):
    ABL_CLASS = "ABL-class"
    JAK_STAT = "JAK-STAT"
    OTHER = "other"
    NOT_PH_LIKE = "not Ph-like"


class CopyNumberChangeType(StrEnum):
    """Direction of a gene's copy-number change, as reported by the lab."""

    DELETION = "deletion"  # any loss of copies, mono- or biallelic
    GAIN = "gain"
    AMPLIFICATION = "amplification"


class TherapyPhase(StrEnum):
    """Phase of multiphase chemotherapy the child is in, as named in therapy labels."""

    INDUCTION = "induction"
    CONSOLIDATION = "consolidation"
    MAINTENANCE = "maintenance"
    OFF_THERAPY = "off therapy"


class CNSStatus(StrEnum):
    CNS1 = "CNS1"
    CNS2 = "CNS2"
    CNS3 = "CNS3"


class Syndrome(StrEnum):
    DOWN = "Down syndrome"
    BLOOM = "Bloom syndrome"
    ATAXIA_TELANGIECTASIA = "ataxia-telangiectasia"
    FANCONI = "Fanconi anemia"
    KOSTMANN = "Kostmann syndrome"
    SHWACHMAN = "Shwachman syndrome"
    OTHER_MARROW_FAILURE = "other bone marrow failure syndrome"


class RelapseStatus(StrEnum):
    NEVER_RELAPSED = "never relapsed"
    FIRST_RELAPSE = "first relapse"
    SECOND_OR_LATER_RELAPSE = "second or later relapse"


class ConsentKind(StrEnum):
    """What a consent form asks for, in pediatric research: the parents' (or guardian's) permission,
    the child's assent from the age the ethics committee sets, and the participant's own consent
    on reaching the age of majority (both ages are study parameters, never constants)."""

    PARENTAL_PERMISSION = "parental permission"
    ASSENT = "assent"
    PARTICIPANT_CONSENT = "participant consent"


class ConsentGiver(StrEnum):
    PARENTS = "parents"
    PARENT = "parent"
    GUARDIAN = "guardian"
    CHILD = "child"
    PARTICIPANT = "participant"

    @property
    def kind(self) -> ConsentKind:
        """The kind of consent this giver gives: a parent's or guardian's is parental permission."""
        return _KIND_OF_GIVER.get(self, ConsentKind.PARENTAL_PERMISSION)


_KIND_OF_GIVER = {
    ConsentGiver.CHILD: ConsentKind.ASSENT,
    ConsentGiver.PARTICIPANT: ConsentKind.PARTICIPANT_CONSENT,
}


def consent_givers(kind: ConsentKind) -> tuple[ConsentGiver, ...]:
    """The givers whose consent is of ``kind``."""
    return tuple(giver for giver in ConsentGiver if giver.kind is kind)


class MRDMethod(StrEnum):
    FLOW_CYTOMETRY = "flow cytometry"
    IG_TR_RQ_PCR = "IG/TR RQ-PCR"
    KMT2A_FUSION_QPCR = "KMT2A-fusion qPCR"
    NGS = "NGS"


class MRDTimePoint(StrEnum):
    END_OF_INDUCTION = "end of induction"
    AFTER_CONSOLIDATION_1 = "after consolidation 1"
    AFTER_CONSOLIDATION_2 = "after consolidation 2"
    AFTER_CONSOLIDATION_3 = "after consolidation 3"
    AFTER_CONSOLIDATION_4 = "after consolidation 4"
    BEFORE_HSCT = "before HSCT"
    AFTER_HSCT = "after HSCT"
    FOLLOW_UP = "follow-up"


class PrednisoneResponse(StrEnum):
    """Response to the prednisone prophase, as assessed by the site."""

    GOOD = "good"
    POOR = "poor"


class AttestedOutcome(StrEnum):
    MET = "met"
    NOT_MET = "not met"


class MissingCode(StrEnum):
    """Why a value is missing: recorded apart from values, never as a magic number in one.

    Every decision reads a coded item as *unknown*; the calendar shows a coded assessment as
    *not done* (resolved, but missing). See ``docs/conduct.md``, "Missing-data codes".
    """

    NOT_DONE = "not done"
    NOT_APPLICABLE = "not applicable"
    UNKNOWN = "unknown"
    NOT_ASKED = "not asked"
    DECLINED = "asked but declined"
