"""Streaming every casebook of the study: site-isolated, lazy, and audited as one export."""

from __future__ import annotations

import pytest
from tests.store.helpers import World

from remission.store import (
    STUDY_EXPORT_ENTITY,
    AuditAction,
    Delivery,
    StudyCasebooks,
    read_audit,
    read_study_casebooks,
)
from remission.store.vocabulary import Role


def study_exports(world: World) -> list[dict[str, object]]:
    with world.session(world.system) as session:
        return read_audit(session, entity=STUDY_EXPORT_ENTITY, action=AuditAction.EXPORT)


def seed(world: World) -> None:
    for study_id, site in (("INF-01", "SEV"), ("INF-02", "SNU"), ("INF-03", "SEV")):
        world.register(study_id, site)


def collect(world: World, role: Role, site: str | None, site_code: str | None = None) -> list[str]:
    seen: list[str] = []

    def deliver(casebooks: StudyCasebooks) -> Delivery:
        seen.extend(casebook.study_id for casebook in casebooks)
        assert casebooks.total == len(seen)
        return Delivery("odm")

    read_study_casebooks(world.store, actor=world.actor(role, site), deliver=deliver, site_code=site_code)
    return seen


class TestStream:
    def test_a_coordinator_reads_only_their_sites_casebooks_in_id_order(self, world: World) -> None:
        seed(world)
        assert collect(world, Role.COORDINATOR, "SEV") == ["INF-01", "INF-03"]

    def test_a_monitor_reads_every_site_or_one_site_when_asked(self, world: World) -> None:
        seed(world)
        assert collect(world, Role.MONITOR, None) == ["INF-01", "INF-02", "INF-03"]
        assert collect(world, Role.MONITOR, None, site_code="SNU") == ["INF-02"]

    def test_casebooks_are_read_lazily_one_at_a_time(self, world: World) -> None:
        """Stopping after the first casebook reads no further patient (the writer streams)."""
        seed(world)
        firsts: list[str] = []

        def deliver(casebooks: StudyCasebooks) -> Delivery:
            for casebook in casebooks:
                firsts.append(casebook.study_id)
                break
            return Delivery("fhir")

        result = read_study_casebooks(world.store, actor=world.system, deliver=deliver)
        assert firsts == ["INF-01"]
        assert result.patients == 3


class TestAudit:
    def test_one_export_entry_names_the_format_and_the_patients(self, world: World) -> None:
        seed(world)
        collect(world, Role.MONITOR, None, site_code="SEV")
        (entry,) = study_exports(world)
        assert entry["username"] == "monitor-study"
        assert "format=odm patients=2 site=SEV" in str(entry["new_value"])

    def test_a_failed_delivery_logs_nothing(self, world: World) -> None:
        seed(world)

        def fail(casebooks: StudyCasebooks) -> Delivery:
            next(iter(casebooks))
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            read_study_casebooks(world.store, actor=world.system, deliver=fail)
        assert study_exports(world) == []
