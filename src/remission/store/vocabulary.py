"""Controlled values of the study store."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    # Study level: not tied to a site.
    ADMIN = "admin"
    DATA_MANAGER = "data_manager"
    STATISTICIAN = "statistician"  # de-identified read and export
    MONITOR = "monitor"
    # Site level: tied to one site.
    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"

    @property
    def site_level(self) -> bool:
        return self in (Role.INVESTIGATOR, Role.COORDINATOR)


class DonorType(StrEnum):
    MATCHED_SIBLING = "matched sibling"
    MATCHED_UNRELATED = "matched unrelated"
    MISMATCHED_UNRELATED = "mismatched unrelated"
    HAPLOIDENTICAL = "haploidentical"
    CORD_BLOOD = "cord blood"
    OTHER = "other"


class Attribution(StrEnum):
    """Relation of an adverse event to protocol treatment (CTCAE/NCI attribution scale)."""

    UNRELATED = "unrelated"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"


class RelapseSite(StrEnum):
    MARROW = "marrow"
    CNS = "CNS"
    TESTIS = "testis"
    OTHER_EXTRAMEDULLARY = "other extramedullary"
    COMBINED = "combined"


class RelapseTiming(StrEnum):
    """When the relapse came relative to the first allogeneic HSCT."""

    BEFORE_HSCT = "before HSCT"
    AFTER_HSCT = "after HSCT"
    NO_HSCT = "no HSCT"


class FollowUpStatus(StrEnum):
    ALIVE_IN_REMISSION = "alive in remission"
    ALIVE_WITH_DISEASE = "alive with disease"
    LOST_TO_FOLLOW_UP = "lost to follow-up"


class CardiacMethod(StrEnum):
    """How a cardiac assessment measured the heart's function."""

    ECHOCARDIOGRAPHY = "echocardiography"
    RADIONUCLIDE_ANGIOGRAPHY = "radionuclide angiography"
    CARDIAC_MRI = "cardiac MRI"
    OTHER = "other"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ_IDENTIFIERS = "read identifiers"
    EXPORT = "export"
    ACCOUNT = "account"  # account and permission changes (ICH E6(R3))
    REKEY = "re-key"  # the audit trail converted to keyed entries (migration 0006)
