"""Declarative base and the mixins that give rows their site, version and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, MetaData, Table, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Versioned:
    """A row with a version counter: a write against a stale version fails (optimistic locking)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        table: Table = cls.__table__  # type: ignore[attr-defined]  # set on the mapped subclass
        return {"version_id_col": table.c.version}


class SiteScoped:
    """A row that belongs to one site. Reads and writes are filtered by the session's actor."""

    @declared_attr
    def site_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("sites.id"), index=True, nullable=False)


class PatientOwned(SiteScoped):
    """A row about one patient; its site is the patient's site, set by the store.

    Every patient-owned table is also :class:`Versioned` and mapped on :class:`Base`; the
    declarations under ``TYPE_CHECKING`` say so to the type checker, which cannot express
    "a subclass of both" in a type variable's bound.
    """

    if TYPE_CHECKING:
        __tablename__: str
        id: Mapped[int]
        version: Mapped[int]

        def __init__(self, **values: Any) -> None: ...

    @declared_attr
    def patient_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True, nullable=False)


class Identifying:
    """Marker: rows holding direct identifiers, visible only to roles of the patient's own site."""
