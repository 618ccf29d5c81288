"""``remission web``: serve the API and the web pages; ``--demo`` loads demo data and demo accounts.

``--demo`` is for development only (``REMISSION_ENV=development``, the default): it loads the
example patients and the synthetic cohort with :func:`remission.demo.load_examples`
(skipping what the database holds already) and makes one account per role — a coordinator and
an investigator at each site, a data manager, a statistician, a monitor and an administrator —
all with the development password :data:`DEMO_PASSWORD`, printed at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.store import Actor, Role, Store, add_user, database_url, list_sites, usernames

#: The password of every demo account. Development only: ``--demo`` refuses other environments.
DEMO_PASSWORD = "remission-demo"
DEMO_PROTOCOL = "NCT06516679"
EXAMPLES = Path("examples/patients")
out = Console(soft_wrap=True, highlight=False)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    site: str | None


def demo_accounts(site_codes: list[str]) -> list[DemoAccount]:
    """The demo accounts for these sites: one per study role, a coordinator and an investigator per site."""
    accounts = [
        DemoAccount("admin", "Demo Administrator", Role.ADMIN, None),
        DemoAccount("data-manager", "Demo Data Manager", Role.DATA_MANAGER, None),
        DemoAccount("statistician", "Demo Statistician", Role.STATISTICIAN, None),
        DemoAccount("monitor", "Demo Monitor", Role.MONITOR, None),
    ]
    for code in site_codes:
        slug = code.lower()
        accounts.append(
            DemoAccount(f"coordinator-{slug}", f"Demo Coordinator {code}", Role.COORDINATOR, code)
        )
        accounts.append(
            DemoAccount(f"investigator-{slug}", f"Demo Investigator {code}", Role.INVESTIGATOR, code)
        )
    return accounts


def create_demo_accounts(store: Store) -> list[DemoAccount]:
    """Make the demo accounts of every site in the store (existing usernames are left alone)."""
    operator = Actor.for_system("web demo")
    with store.session(operator) as session:
        sites = [site.code for site in list_sites(session)]
        taken = usernames(session)
        accounts = demo_accounts(sites)
        for account in accounts:
            if account.username not in taken:
                add_user(
                    session,
                    username=account.username,
                    full_name=account.full_name,
                    password=DEMO_PASSWORD,
                    role=account.role,
                    site_code=account.site,
                )
    return accounts


def load_demo_data(
    store: Store, examples: Path = EXAMPLES, *, synthetic_size: int | None = None
) -> dict[str, object]:
    """Load the example patients (when the folder exists) and the synthetic cohort; return the summary.

    ``synthetic_size`` makes a smaller (or larger) synthetic cohort than the demo's default.
    """
    from remission.cli.inputs import read_records
    from remission.demo import load_examples, synthetic_cohort
    from remission.protocols import load_protocol, screen_patients

    protocol = load_protocol(DEMO_PROTOCOL)
    records = read_records([examples], today=date.today()) if examples.is_dir() else []
    verdicts = [result.verdict for result in screen_patients(records, protocol, as_of=date.today())]
    cohort = synthetic_cohort() if synthetic_size is None else synthetic_cohort(size=synthetic_size)
    return load_examples(store, records, verdicts, protocol, synthetic=cohort)


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
        summary = load_demo_data(store)
        out.print(
            f"Demo data: {summary['patients']} patients ({summary['synthetic']} synthetic, outcomes from "
            "arbitrary "
            f"demo parameters); audit trail {'intact' if summary['audit_intact'] else 'BROKEN'}."
        )
        _print_accounts(create_demo_accounts(store))
    out.print(
        f"Serving http://{host}:{port}/ (API at /api/v1, OpenAPI at /openapi.json) from "
        f"{store.redacted_url}. Ctrl+C stops."
    )
    uvicorn.run(create_web_app(store, settings), host=host, port=port, log_level="warning")
