"""The store's public face: one declared API, and the role checks that live inside its functions."""

from __future__ import annotations

import pyarrow as pa
import pytest
from tests.store.helpers import World

import remission.store
from remission.store import (
    AUDIT_ENTITY,
    AccessDenied,
    Delivery,
    NotFound,
    Role,
    audit_subject,
    read_audit,
    read_dashboard_dataset,
    read_endpoint_dataset,
    read_latest_audit,
)


class TestDeclaredApi:
    def test_all_is_sorted_and_every_name_resolves(self):
        """``remission.store.__all__`` is sorted (constants, classes, functions) and names real objects."""
        names = remission.store.__all__
        assert names == sorted(names, key=lambda name: (not name.isupper(), not name[0].isupper(), name))
        assert all(hasattr(remission.store, name) for name in names)
        assert len(set(names)) == len(names)


class TestAuditReading:
    @pytest.mark.parametrize(
        ("role", "site"), [(Role.COORDINATOR, "SEV"), (Role.INVESTIGATOR, "SEV"), (Role.STATISTICIAN, None)]
    )
    def test_roles_without_audit_access_are_refused_by_the_store(
        self, world: World, role: Role, site: str | None
    ):
        """Coordinators, investigators and statisticians get AccessDenied from every audit read."""
        world.register("AUD-1", "SEV")
        with world.session(world.actor(role, site)) as session:
            with pytest.raises(AccessDenied):
                read_audit(session)
            with pytest.raises(AccessDenied):
                read_latest_audit(session, limit=10)
            with pytest.raises(AccessDenied):
                audit_subject(session, entity="patients", entity_id=1)

    def test_a_monitor_reads_the_latest_entries_newest_first(self, world: World):
        """A monitor reads the trail; the latest view lists the newest entry first."""
        world.register("AUD-1", "SEV")
        with world.session(world.actor(Role.MONITOR)) as session:
            latest = read_latest_audit(session, limit=5)
            subject = audit_subject(session, entity="patients", entity_id=latest[-1]["entity_id"] or 1)
        assert [entry["seq"] for entry in latest] == sorted((entry["seq"] for entry in latest), reverse=True)
        assert len(latest) == 5
        assert subject is None or subject.study_id == "AUD-1"

    def test_an_unaudited_table_is_not_found(self, world: World):
        """Asking for the history of a table that is not audited is NotFound, not an empty page."""
        with world.session(world.actor(Role.MONITOR)) as session, pytest.raises(NotFound):
            audit_subject(session, entity="no_such_table", entity_id=1)


def _exports(world: World) -> list[dict[str, object]]:
    return world.audit_rows(entity=AUDIT_ENTITY)


class TestEndpointDataset:
    def test_a_coordinator_may_not_read_it_and_nothing_is_logged(self, world: World):
        """A site coordinator is refused before anything is read or delivered; no entry is written."""
        delivered: list[pa.Table] = []
        with pytest.raises(AccessDenied):
            read_endpoint_dataset(
                world.store,
                actor=world.actor(Role.COORDINATOR, "SEV"),
                deliver=lambda table: delivered.append(table) or Delivery("parquet"),
            )
        assert delivered == []
        assert _exports(world) == []

    def test_a_failed_delivery_leaves_no_entry(self, world: World):
        """When the caller's delivery fails, the read is not logged as an export."""
        world.register("DS-1", "SEV")

        def fail(table: pa.Table) -> Delivery:
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            read_endpoint_dataset(world.store, actor=world.actor(Role.STATISTICIAN), deliver=fail)
        assert _exports(world) == []

    def test_a_delivered_read_is_logged_once_with_its_purpose(self, world: World):
        """A statistician's read is handed over and logged once, naming format, rows and purpose."""
        world.register("DS-1", "SEV")
        table = read_endpoint_dataset(
            world.store,
            actor=world.actor(Role.STATISTICIAN),
            deliver=lambda table: Delivery("report-html"),
            purpose="report",
            extended=True,
        )
        (entry,) = _exports(world)
        assert table.num_rows == 1
        assert entry["new_value"] == "format=report-html rows=1 purpose=report"
        assert entry["username"] == "statistician-study"

    def test_the_dashboard_dataset_is_for_study_roles(self, world: World):
        """A coordinator may not read the dashboard's dataset; a monitor may, and nothing is logged."""
        world.register("DS-1", "SEV")
        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session, pytest.raises(AccessDenied):
            read_dashboard_dataset(session)
        with world.session(world.actor(Role.MONITOR)) as session:
            assert read_dashboard_dataset(session).num_rows == 1
        assert _exports(world) == []
