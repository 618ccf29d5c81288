"""Smoke test of the database fixture on both back ends."""

from remission.store import accounts
from remission.store.actor import Actor
from remission.store.audit import verify_chain


def test_site_is_audited(store):
    """Adding a site writes an intact audit chain on either back end."""
    with store.session(Actor.for_system("test")) as session:
        accounts.add_site(session, code="SEV", name="Severance")
    with store.engine.connect() as connection:
        report = verify_chain(connection)
    assert report.intact
    assert report.entries == 2
