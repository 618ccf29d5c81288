"""A migrated SQLite study for the command-line tests: site SEV and the patient CLI-01 (born 2024-05-01,
diagnosed 2024-10-01), with whatever baseline and extra work the test needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from remission.store import Actor, Store, StudySession, accounts, make_engine, register_patient, upgrade


def cli_study(
    folder: Path,
    *,
    baseline: Mapping[str, Any],
    then: Callable[[StudySession], None] | None = None,
) -> str:
    """The URL of a new study in ``folder`` with CLI-01 of ``baseline``; ``then`` adds more as the system."""
    url = f"sqlite:///{folder / 'study.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    store = Store.open(url)
    try:
        with store.session(Actor.for_system("test")) as session:
            site = accounts.add_site(session, code="SEV", name="Severance Hospital")
            register_patient(
                session,
                study_id="CLI-01",
                site_id=site.id,
                sex="female",
                date_of_birth=date(2024, 5, 1),
                baseline=dict(baseline),
                identifiers=None,
                today=date(2026, 11, 21),
            )
            if then is not None:
                then(session)
    finally:
        store.engine.dispose()
    return url
