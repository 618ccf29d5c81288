"""The notification worker's cycle: scan for overdue assessments, then send the e-mail outbox.

``remission notify worker`` runs :func:`run_cycle` every ``REMISSION_NOTIFY_POLL_SECONDS``
(:func:`run_worker`); ``--once`` runs one cycle. Everything the worker does is committed step by
step (:mod:`remission.store.outbox`), so it may be stopped at any moment — a SIGKILL included —
and started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from remission.store.database import Store
from remission.store.mail_settings import MailSettings
from remission.store.notifications import notify_overdue
from remission.store.outbox import WORKER, OutboxRun, send_outbox, worker_name


@dataclass(frozen=True, slots=True)
class CycleReport:
    """One cycle: inbox lines the overdue scan wrote, and what the outbox pass did."""

    overdue: int
    outbox: OutboxRun

    def line(self) -> str:
        run = self.outbox
        return (
            f"overdue notifications: {self.overdue}; e-mail sent: {run.sent}, "
            f"to retry: {run.retried}, failed: {run.failed}"
        )


def run_cycle(
    store: Store, settings: MailSettings, *, as_of: date | None = None, worker: str | None = None
) -> CycleReport:
    """Scan for overdue assessments on ``as_of`` (default today), then send what is due."""
    with store.session(WORKER) as session:
        overdue = notify_overdue(session, as_of=as_of or date.today())
    return CycleReport(overdue, send_outbox(store, settings, worker=worker))


def run_worker(
    store: Store,
    settings: MailSettings,
    *,
    once: bool = False,
    report: Callable[[CycleReport], None] | None = None,
) -> None:
    """Run cycles until stopped (or one, with ``once``), pausing ``settings.poll_seconds`` between them."""
    name = worker_name()
    while True:
        outcome = run_cycle(store, settings, worker=name)
        if report is not None:
            report(outcome)
        if once:
            return
        time.sleep(settings.poll_seconds)
