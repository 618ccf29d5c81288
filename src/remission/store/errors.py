"""Errors of the store that callers turn into answers (404, 409, 422)."""

from __future__ import annotations


class NotFound(LookupError):
    """No such row for this actor. Rows of other sites are reported this way too."""

    def __init__(self, entity: str, key: object) -> None:
        self.entity, self.key = entity, key
        super().__init__(f"{entity} {key} not found")


class VersionConflict(RuntimeError):
    """A write was made against a version that is no longer current."""

    def __init__(self, entity: str, key: object, current_version: int) -> None:
        self.entity, self.key, self.current_version = entity, key, current_version
        super().__init__(f"{entity} {key} has changed; the current version is {current_version}")


class Refused(ValueError):
    """A request the store understood but will not carry out (e.g. enrolling a non-eligible child)."""

    def __init__(self, field: str, problem: str, detail: object = None) -> None:
        self.field, self.problem, self.detail = field, problem, detail
        super().__init__(f"{field}: {problem}")


class Throttled(Refused):
    """An attempt at a password while the account (or client address) is locked after failed attempts.

    ``retry_after`` is the whole seconds to wait; the password was not checked.
    """

    def __init__(self, field: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(field, f"too many failed sign-ins; try again in {retry_after} seconds")


class Conflict(RuntimeError):
    """A write that a stored row's uniqueness forbids (a second death of one patient, say)."""

    def __init__(self, problem: str = "conflicts with a stored record", *, field: str | None = None) -> None:
        self.problem, self.field = problem, field
        super().__init__(f"{field}: {problem}" if field else problem)


class StorageError(RuntimeError):
    """The database failed an operation: not a remission study, not migrated, unreachable, or it
    refused the statement. The driver's exception (if any) is the cause; its text is in the message.

    ``url`` is the database's URL with the password hidden, ``problem`` the failure in a few words
    and ``fix`` what a user can do about it, when known; :attr:`line` puts them in one line.
    """

    def __init__(
        self, detail: str, *, url: str | None = None, problem: str | None = None, fix: str | None = None
    ) -> None:
        self.url, self.problem, self.fix = url, problem or (detail.splitlines() or [""])[0], fix
        super().__init__(detail)

    @property
    def line(self) -> str:
        """One line for a person: where, what went wrong, and the fix."""
        where = f"the database at {self.url}" if self.url else "the database"
        return f"{where}: {self.problem}" + (f"; {self.fix}" if self.fix else "")


class Locked(RuntimeError):
    """A write to data that is frozen (its values refuse changes) or locked (every change refused).

    ``frozen`` tells which; the API answers 409 for frozen data and 423 for locked data.
    """

    def __init__(self, problem: str, *, frozen: bool, field: str = "(record)") -> None:
        self.problem, self.frozen, self.field = problem, frozen, field
        super().__init__(problem)
