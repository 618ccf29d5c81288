"""Commands over the study store: schema, sites, and the API server.

Users are in account_commands, the audit trail in audit_commands.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from remission.store import Actor, Store, database_url

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database", help="Database URL (default $REMISSION_DATABASE_URL or sqlite:///remission.sqlite)."
    ),
]

db_app = typer.Typer(help="Create or migrate the study database.", no_args_is_help=True)
site_app = typer.Typer(help="Study sites.", no_args_is_help=True)
out = Console(soft_wrap=True)


def _store(database: str | None, *, migrated: bool = True) -> Store:
    """The store at --database; unless told otherwise it must be a migrated study (never created here)."""
    return Store.open(database_url(database), migrated=migrated)


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Create the schema, or migrate it to the newest revision."""
    from remission.store import current_revision, upgrade

    store = _store(database, migrated=False)
    upgrade(store.engine, audit=store.audit)
    out.print(f"database at revision {current_revision(store.engine)}: {store.redacted_url}")


@site_app.command("add")
def site_add(
    code: str,
    name: Annotated[str, typer.Option(help="Full name of the site.")],
    database: DatabaseOption = None,
) -> None:
    """Add a study site."""
    from remission.store import add_site

    with _store(database).session(Actor.for_system("cli")) as session:
        site = add_site(session, code=code, name=name)
    out.print(f"site {site.code} added (id {site.id})")


def serve(
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json); migrate the database first."""
    import uvicorn

    from remission.api.app import create_app
    from remission.api.serving import run_workers
    from remission.api.settings import Settings
    from remission.store import upgrade

    settings = Settings.from_environment()
    store = _store(database, migrated=False)
    upgrade(store.engine)
    out.print(
        f"Serving the REST API at http://{host}:{port}/api/v1 (OpenAPI at /openapi.json; the web pages "
        f"are served by remission web) from {store.redacted_url}. Ctrl+C stops.",
        highlight=False,
    )
    if workers == 1:
        uvicorn.run(create_app(store, settings), host=host, port=port, log_level="warning")
        return
    import os

    os.environ["REMISSION_DATABASE_URL"] = database_url(database)
    os.environ.setdefault("REMISSION_SECRET_KEY", settings.secret_key)
    run_workers("remission.api.server:app", host=host, port=port, workers=workers)
