"""Telling a saved search's subscriber of newly matching trials, through the study store.

The trials layer knows nothing of the store (the layers of DESIGN.md); the command line wires them.
``remission trials import`` and ``remission trials search run`` hand a :class:`SubscriberNotices`
to the saved searches, which call it with each run's outcome *before* the outcome becomes the
baseline: a database that cannot be reached stops the command, and the next run finds the same
trials new again. The store tells the subscriber once per trial and saving of the search
(``remission.store.notify_trial_matches``), so a second run adds nothing.

Nothing is guessed: without ``--database`` or ``$REMISSION_DATABASE_URL`` nobody is told, and a
subscriber who is no longer an active account is not told; each says so in one line on standard
error, and the run goes on for the other searches.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from remission.cli.account_commands import account_actor
from remission.cli.acting import refuse
from remission.errors import InputError
from remission.store import Actor, Store, notify_trial_matches
from remission.trials import WhatsNew

#: Where the operator is told to name the study database.
NO_DATABASE = "no study database (--database or $REMISSION_DATABASE_URL)"


def _trials(count: int) -> str:
    return f"{count} newly matching trial{'s' if count != 1 else ''}"


def check_subscriber(database: str, subscriber: str) -> None:
    """Refuse (one line, exit 2) a subscriber who is not an active account of the study at ``database``."""
    store = Store.open(database, migrated=True)
    try:
        account_actor(store, subscriber, option="--subscriber")
    except InputError:
        raise refuse(f"--subscriber: no active account {subscriber!r} in {store.redacted_url}") from None
    finally:
        store.engine.dispose()


class SubscriberNotices:
    """The hook a saved search calls with its outcome: tells the subscriber of newly matching trials.

    The store is opened at the first search that has someone to tell, so a run with nothing new
    never touches the database. :attr:`told` maps a search to (subscriber, inbox lines written).
    """

    def __init__(self, database: str | None, err: Console) -> None:
        self.database = database
        self.err = err
        self.told: dict[str, tuple[str, int]] = {}
        self._store: Store | None = None

    def __call__(self, news: WhatsNew) -> None:
        if news.first_run or news.subscriber is None or not news.newly_matching:
            return
        count = len(news.newly_matching)
        if self.database is None:
            self._warn(
                f"search {news.search}: {news.subscriber} was not told of {_trials(count)}: {NO_DATABASE}"
            )
            return
        if self._store is None:
            self._store = Store.open(self.database, migrated=True)
        trials = [(match.trial.id, match.verdict.value) for match in news.newly_matching]
        try:
            with self._store.session(Actor.for_system("saved trial searches")) as session:
                written = notify_trial_matches(
                    session,
                    subscriber=news.subscriber,
                    search=news.search,
                    saved_on=news.saved_on,
                    study_id=news.report.study_id,
                    trials=trials,
                )
        except InputError as error:
            problems = "; ".join(f"{problem.field}: {problem.problem}" for problem in error.problems)
            self._warn(f"search {news.search}: nobody was told of {_trials(count)}: {problems}")
            return
        self.told[news.search] = (news.subscriber, written)

    def _warn(self, line: str) -> None:
        self.err.print("[yellow]warning[/yellow]: ", end="", highlight=False)
        self.err.print(line, markup=False, highlight=False)

    def annotate(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A search's JSON with ``notified``: the inbox lines written for its subscriber (absent when
        nobody was told)."""
        told = self.told.get(payload["search"])
        return payload if told is None else {**payload, "notified": told[1]}

    def close(self) -> None:
        if self._store is not None:
            self._store.engine.dispose()
