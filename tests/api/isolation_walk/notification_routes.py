"""The walk's notification routes: each principal's own inbox, preferences and notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from remission.api.app import API_PREFIX
from remission.store import NotificationKind, notify
from remission.store.notification_models import Notification

from ..helpers import (
    PRINCIPALS,
    Principal,
)
from .engine import (
    WalkEngine,
    field_is,
)


class NotificationRoutes(WalkEngine):
    """How the walk calls ``/notifications``: every principal, their own only."""

    def own_notifications(self, method: str, template: str) -> bool:
        """The inbox, marking all read and the preferences: every principal, their own only."""
        mine = self._notification(self.who)

        def only_mine(answer: Any) -> str | None:
            shown = {line["id"] for line in answer.json()["notifications"]}
            return None if mine in shown and shown <= self.api.notifications[self.who] else f"shows {shown}"

        if (method, template) == ("GET", f"{API_PREFIX}/notifications"):
            self.call(method, template, template, 200, check=only_mine)
        elif (method, template) == ("POST", f"{API_PREFIX}/notifications/read-all") or (method, template) == (
            "GET",
            f"{API_PREFIX}/notifications/preferences",
        ):
            self.call(method, template, template, 200)
        elif (method, template) == ("PUT", f"{API_PREFIX}/notifications/preferences"):
            body = {"email": f"{self.who.username}@walk.example", "kinds": [
                {"kind": "risk group", "in_app": False, "by_email": False}
            ]}  # fmt: skip
            self.call(method, template, template, 200, json=body, check=field_is("email", body["email"]))
        else:
            return False
        return True

    def notification(self, method: str, template: str) -> bool:
        """``/notifications/{id}/read``: one's own is marked; another principal's is a 404."""
        if method != "POST":
            return False
        mine = self._notification(self.who)
        other = next(who for who in PRINCIPALS if who != self.who)
        theirs = self._notification(other)
        self.call(method, template, template.format(notification_id=mine), 200, check=field_is("id", mine))
        self.call(method, template, template.format(notification_id=theirs), 404)
        return True

    def _notification(self, who: Principal) -> int:
        """A notification in ``who``'s inbox, written by the system."""
        user_id = self.api.user_id(who)
        with self.api.store.session(self.api.system) as session:
            notify(session, kind=NotificationKind.TRIAL_MATCH, summary="walk", recipients=[user_id])
        with self.api.store.session(self.api.system) as session:
            found = session.scalars(select(Notification.id).where(Notification.user_id == user_id)).all()
        self.api.notifications[who] = set(found)
        return max(found)
