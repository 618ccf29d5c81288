"""Commands over the audit trail: verify it, and write a signed checkpoint an auditor keeps.

Exit status: 0 intact (or checkpoint written), 1 broken, 2 bad input or configuration (one
line on standard error, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from remission.cli.store_commands import DatabaseOption
from remission.errors import InputError
from remission.store import ChainReport, Checkpoint, Store, database_url

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
#: A checkpoint file is a few hundred bytes; anything much larger is not one.
MAX_CHECKPOINT_BYTES = 65_536


def _refuse(option: str, problem: str) -> NoReturn:
    """Bad input: one line on standard error, exit 2."""
    err.print(f"error: {option}: {problem}", highlight=False, markup=False)
    raise typer.Exit(2)


def _store(database: str | None) -> Store:
    """The migrated study at --database, with the audit keys the environment configures."""
    try:
        return Store.open(database_url(database), migrated=True)
    except InputError as error:
        _refuse(error.source, "; ".join(f"{p.field}: {p.problem}" for p in error.problems))


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint in the JSON file ``path`` (as ``audit checkpoint --out`` writes it)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CHECKPOINT_BYTES + 1)
    except OSError as error:
        _refuse("--checkpoint", f"cannot read {path}: {error.strerror or error}")
    if len(data) > MAX_CHECKPOINT_BYTES:
        _refuse("--checkpoint", f"{path} is larger than {MAX_CHECKPOINT_BYTES} bytes: not a checkpoint file")
    try:
        return Checkpoint.from_document(json.loads(data.decode("utf-8")))
    except UnicodeDecodeError:
        _refuse("--checkpoint", f"{path} is not UTF-8 text")
    except RecursionError:
        _refuse("--checkpoint", f"{path} nests too deeply to be a checkpoint")
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        _refuse("--checkpoint", f"{path}: {error}")


def _print_intact(report: ChainReport) -> None:
    out.print(f"audit trail intact: {report.entries} entries", highlight=False)
    if report.head is not None:
        out.print(
            f"head (keep it to verify with --anchor): {report.head[0]}:{report.head[1]}", highlight=False
        )
    if report.last_checkpoint is None:
        out.print(
            "no checkpoints: run remission audit checkpoint --out FILE and keep the file", highlight=False
        )
    else:
        after = report.entries - report.last_checkpoint
        out.print(
            f"{report.checkpoints} checkpoint(s) verified; the newest covers entry {report.last_checkpoint}, "
            f"{after} entries after it are covered only by their MACs and seals",
            highlight=False,
        )
    if report.unsealed:
        out.print(
            f"{report.unsealed} entries at the end are not sealed yet (the next write or "
            "remission audit checkpoint seals them)",
            highlight=False,
        )
    if report.development_key:
        out.print(
            "warning: entries are authenticated with the public development key (dev-insecure): "
            "this trail proves nothing",
            highlight=False,
        )


@audit_app.command("verify")
def audit_verify(
    database: DatabaseOption = None,
    anchor: Annotated[
        str | None,
        typer.Option("--anchor", help="SEQ:HASH of a head printed earlier: the chain must still hold it."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="A checkpoint file kept outside the database (audit checkpoint --out)."
        ),
    ] = None,
) -> None:
    """Check the links, MACs, seals and checkpoints; report the first fault (exit 1) or that it is intact.

    A chain cut after its last checkpoint still verifies; a checkpoint file kept outside the
    database (--checkpoint), or a head printed earlier (--anchor), shows the missing tail.
    """
    from remission.store import parse_anchor

    expected = None
    if anchor is not None:
        try:
            expected = parse_anchor(anchor)
        except ValueError as error:
            _refuse("--anchor", str(error))
    kept = read_checkpoint(checkpoint) if checkpoint is not None else None
    report = _store(database).verify_audit(anchor=expected, checkpoint=kept)
    if report.intact:
        _print_intact(report)
        return
    out.print(f"[bold red]audit trail broken at entry {report.broken_at}[/bold red]: {report.problem}")
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    database: DatabaseOption = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write the checkpoint to this new JSON file, for an auditor to keep."
        ),
    ] = None,
) -> None:
    """Seal the chain and write a signed checkpoint of its head now (REMISSION_AUDIT_SIGNING_KEY_FILE)."""
    if out_file is not None and out_file.exists():
        _refuse("--out", f"{out_file} exists already; choose a new file")
    written = _store(database).checkpoint_audit()
    out.print(
        f"checkpoint of entry {written.seq} signed by {written.signer} at {written.at}: {written.hash}",
        highlight=False,
    )
    if out_file is None:
        return
    try:
        with out_file.open("x", encoding="utf-8") as handle:
            json.dump(written.to_document(), handle, indent=2, sort_keys=True)
            handle.write("\n")
    except OSError as error:
        _refuse("--out", f"cannot write {out_file}: {error.strerror or error}")
    out.print(f"written to {out_file}; keep it outside the database", highlight=False)
