"""Helpers of the web tests: a seeded study database, signing in through the pages, reading forms.

The study is the demo's: the example patients (sites AMC, SEV, SNU) and a small synthetic
cohort (SYN-A, SYN-B, SYN-C) loaded with the demo loader, plus the demo accounts (a
coordinator and an investigator per site, and one user per study role), all with
:data:`PASSWORD`.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from remission.api.settings import Settings
from remission.cli.web_commands import DEMO_PASSWORD, create_demo_accounts, load_demo_data
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import Patient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"
PASSWORD = DEMO_PASSWORD
SYNTHETIC_SIZE = 24
TODAY = date.today()
#: Dates of an infant who is eligible by age: born 200 days ago, diagnosed 30 days ago, entering 20 days ago.
INFANT = {
    "born": TODAY - timedelta(days=200),
    "diagnosed": TODAY - timedelta(days=30),
    "entry": TODAY - timedelta(days=20),
}
#: Values no form should take, and none should crash on.
JUNK = (
    "",
    "x" * 5000,
    "-1",
    "1e309",
    "nan",
    "2025-02-30",
    "<script>alert(1)</script>",
    "99999999999999999999",
)
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def seed_study(store: Store) -> None:
    """Migrate, load the examples and a small synthetic cohort, and make the demo accounts."""
    load_demo_data(store, EXAMPLES, synthetic_size=SYNTHETIC_SIZE)
    create_demo_accounts(store)


def make_settings(environment: str = "development") -> Settings:
    return Settings(environment=environment, secret_key=secrets.token_urlsafe(48), token_minutes=30)


def patient_id(store: Store, study_id: str) -> int:
    """The id of the patient with ``study_id`` (read as the system)."""
    with store.session(Actor.for_system("web tests")) as session:
        found = session.scalar(select(Patient.id).where(Patient.study_id == study_id))
    assert found is not None, study_id
    return found


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: httpx.Client | Any, username: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the sign-in page (its CSRF token included); the answer to the POST."""
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )


def signed_in_csrf(client: httpx.Client | Any, path: str = "/patients") -> str:
    """The session's CSRF token, read from a page that carries it."""
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    return csrf_of(page.text)


def example_wizard_form(study_id: str, *, born: date, diagnosed: date, entry: date) -> dict[str, str]:
    """A complete wizard form of an eligible infant (B-ALL, KMT2A germline, parents' consent)."""
    return {
        "site": "SEV",
        "patient.study_id": study_id,
        "patient.sex": "female",
        "patient.date_of_birth": born.isoformat(),
        "diagnosis.date": diagnosed.isoformat(),
        "diagnosis.who_type": "B-ALL",
        "genetics.kmt2a.status": "germline",
        "wbc_at_diagnosis_1e9_per_l": "25.5",
        "cns_status": "CNS1",
        "syndromes": "none",
        "prior_hsct": "no",
        "relapse_status": "never relapsed",
        "prior_steroids": "none",
        "other_studies": "none",
        "consent.given_by": "parents",
        "consent.date": diagnosed.isoformat(),
        # A parental permission form the demo registers for NCT06516679 (approved 2020-01-01).
        "consent.form_version": "synthetic ICF v2",
        "protocol_id": "NCT06516679",
        "study_entry_date": entry.isoformat(),
    }
