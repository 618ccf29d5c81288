"""``remission web``: serve the API and the web pages; ``--demo`` loads demo data and demo accounts.

``--demo`` is for development only (``REMISSION_ENV=development``, the default): it loads the
example patients and the synthetic cohort with :func:`remission.demo.load_examples`
(skipping what the database holds already) and makes one account per role — a coordinator and
an investigator at each site, a data manager, a statistician, a monitor and an administrator —
all with the development password :data:`DEMO_PASSWORD`, printed at start.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.demo import DEMO_PASSWORD, DemoAccount, create_demo_accounts, demo_accounts
from remission.errors import FieldProblem, InputError
from remission.store import Store, database_url

# Where the tests and older callers import them from.
__all__ = ["DEMO_PASSWORD", "DemoAccount", "create_demo_accounts", "demo_accounts", "load_demo_data", "web"]

DEMO_PROTOCOL = "NCT06516679"
EXAMPLES = Path("examples/patients")
out = Console(soft_wrap=True, highlight=False)


def load_demo_data(
    store: Store,
    examples: Path = EXAMPLES,
    *,
    synthetic_size: int | None = None,
    accounts: bool = False,
) -> dict[str, object]:
    """Load the example patients (when the folder exists) and the synthetic cohort; return the summary.

    ``synthetic_size`` makes a smaller (or larger) synthetic cohort than the demo's default.
    ``accounts`` makes the demo accounts before the daily-conduct examples, so their events reach
    the inboxes (:func:`remission.demo.load_examples`); the summary lists them under ``accounts``.
    """
    from remission.cli.inputs import read_records
    from remission.demo import load_examples, synthetic_cohort
    from remission.protocols import load_protocol, screen_patients

    protocol = load_protocol(DEMO_PROTOCOL)
    records = read_records([examples], today=date.today()) if examples.is_dir() else []
    verdicts = [result.verdict for result in screen_patients(records, protocol, as_of=date.today())]
    cohort = synthetic_cohort() if synthetic_size is None else synthetic_cohort(size=synthetic_size)
    return load_examples(store, records, verdicts, protocol, synthetic=cohort, accounts=accounts)


def _print_accounts(accounts: list[DemoAccount]) -> None:
    table = Table(title=f"Demo logins (development only) — password for all: {DEMO_PASSWORD}")
    for column in ("username", "role", "site"):
        table.add_column(column)
    for account in accounts:
        table.add_row(account.username, account.role.value, account.site or "all sites")
    out.print(table)


def web(
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, flag("--demo", help="Development only: load demo data and create demo logins.")
    ] = False,
) -> None:
    """Serve the web pages and the REST API (pages at /, API at /api/v1); migrate the database first."""
    import uvicorn

    from remission.api.settings import Settings
    from remission.store import upgrade
    from remission.web import create_web_app

    settings = Settings.from_environment()
    if demo and settings.environment != "development":
        problem = "demo data and demo passwords are for development only (REMISSION_ENV=development)"
        raise InputError("--demo", [FieldProblem(settings.environment, problem)])
    store = Store.open(database_url(database))
    upgrade(store.engine)
    if demo:
        summary = load_demo_data(store, accounts=True)
        out.print(
            f"Demo data: {summary['patients']} patients ({summary['synthetic']} synthetic, outcomes from "
            "arbitrary "
            f"demo parameters); audit trail {'intact' if summary['audit_intact'] else 'BROKEN'}."
        )
        made = summary["accounts"]
        assert isinstance(made, list)  # load_examples lists the accounts it was asked to make
        _print_accounts(made)
    out.print(
        f"Serving http://{host}:{port}/ (API at /api/v1, OpenAPI at /openapi.json) from "
        f"{store.redacted_url}. Ctrl+C stops."
    )
    uvicorn.run(create_web_app(store, settings), host=host, port=port, log_level="warning")
