"""Schemas of the inbox and notification preferences."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from remission.store import NotificationKind, Strict


class NotificationPublic(Strict):
    id: int
    version: int
    kind: NotificationKind
    summary: str
    study_id: str | None
    patient_id: int | None
    link: str | None = Field(description="The web page it is about, relative to the app's root.")
    event_at: str
    deadline_at: str | None = Field(description="A reporting deadline (UTC), for a serious adverse event.")
    seconds_left: int | None = Field(description="Seconds to the deadline when read; negative once passed.")
    read: bool
    read_at: str | None


class Inbox(Strict):
    unread: int
    notifications: list[NotificationPublic]


class KindChoice(Strict):
    kind: NotificationKind
    in_app: bool = Field(strict=True)
    by_email: bool = Field(strict=True)


class PreferencesPublic(Strict):
    email: str | None
    kinds: list[KindChoice]


class PreferencesUpdate(Strict):
    email: Annotated[str, Field(max_length=254)] | None = Field(
        default=None, description='The address e-mail goes to; "" removes it; leave out to keep it.'
    )
    kinds: list[KindChoice] = Field(default_factory=list, description="Kinds to change; others keep theirs.")


class MarkedRead(Strict):
    marked: int
