"""The report from a small SQLite store built through the store's own functions in the test."""

from __future__ import annotations

from datetime import date

import pytest

from remission.demo import load_synthetic, synthetic_cohort
from remission.demo.consent import register_consent_versions
from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.report import ALL, build_report, render_html
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.endpoints import derive_endpoints
from remission.store.models import Site
from remission.store.vocabulary import Role
from stats.report.helpers import html_tables, shown

CUT = date(2026, 1, 31)
STATISTICIAN = Actor(username="stat", study_roles=frozenset({Role.STATISTICIAN}))
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def small_store(store: Store) -> Store:
    """36 synthetic children (three sites) written by registration, enrollment and course rows, their
    consents on the demo's registered form versions."""
    register_consent_versions(store, Actor.for_system("test"))
    load_synthetic(store, synthetic_cohort(size=36, seed=3))
    return store


def dataset(store: Store, actor: Actor):
    with store.session(actor) as session:
        return derive_endpoints(session, extended=True, as_of=CUT)


@ON_SQLITE
def test_the_report_renders_from_the_stores_dataset(small_store):
    """EFS by risk group in the HTML equals survfit on the dataset the store derived."""
    table = dataset(small_store, STATISTICIAN)
    document = render_html(build_report(table, as_of=CUT))
    frame = table.to_pandas()
    frame = frame[frame.protocol_id.notna() & frame.risk_group.isin(["LR", "IR", "HR"])]
    fit = kaplan_meier(frame.efs_time_days, frame.efs_event, group=frame.risk_group)
    tables, _ = html_tables(document)
    body = tables["table-efs_by_risk_group"]
    times = [3 * 365.25, 4 * 365.25, 5 * 365.25]
    for curve in fit.curves:
        (row,) = [r for r in body if r[0] == curve.group]
        expected = [
            shown(p["survival"], p["std_err"], p["lower"], p["upper"])
            if p["n_risk"] and curve.n >= 5
            else "not estimable"
            for p in curve.at(times)
        ]
        assert row == [curve.group, str(curve.n), str(curve.events), *expected]


@ON_SQLITE
def test_a_site_role_gets_a_report_of_its_own_sites(small_store):
    """The report covers exactly the rows the dataset holds: a coordinator's covers only their site."""
    with small_store.session(STATISTICIAN) as session:
        site = session.query(Site).filter(Site.code == "SYN-A").one()
    coordinator = Actor.from_assignments("coord", 1, [(Role.COORDINATOR, site.id)])
    table = dataset(small_store, coordinator)
    report = build_report(table, as_of=CUT)
    assert set(table.column("site").to_pylist()) == {"SYN-A"}
    pooled = report.analysis("os_by_risk_group").rows[0]
    assert pooled.group == ALL
    enrolled = table.to_pandas()
    assert pooled.n == int((enrolled.protocol_id.notna() & (enrolled.risk_group != "pending")).sum())
