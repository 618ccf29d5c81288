"""The signed-in user's inbox and notification preferences.

Everything is the caller's own: the store's session reads only the caller's notifications, so
another user's notification id is 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from remission.api.deps import ActorDep, StoreDep
from remission.api.schemas.notifications import Inbox, MarkedRead, PreferencesPublic, PreferencesUpdate
from remission.store import (
    MAX_ID,
    MAX_INBOX,
    list_notifications,
    mark_all_read,
    mark_read,
    notification_dict,
    read_preferences,
    set_preferences,
    unread_count,
)

router = APIRouter(tags=["notifications"])
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Notification id.")]


@router.get("/notifications", response_model=Inbox)
def read_inbox(
    actor: ActorDep,
    store: StoreDep,
    unread: Annotated[bool, Query(description="Only unread lines.")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_INBOX)] = 100,
) -> Any:
    """The caller's inbox, newest first, with the unread count; an SAE line gives its deadline and
    the seconds left."""
    with store.session(actor) as session:
        lines = list_notifications(session, unread_only=unread, limit=limit)
        return {"unread": unread_count(session), "notifications": [notification_dict(n) for n in lines]}


@router.post("/notifications/{notification_id}/read", response_model=dict[str, Any])
def read_one(notification_id: NotificationId, actor: ActorDep, store: StoreDep) -> Any:
    """Mark one of the caller's notifications read."""
    with store.session(actor) as session:
        return notification_dict(mark_read(session, notification_id=notification_id))


@router.post("/notifications/read-all", response_model=MarkedRead)
def read_all(actor: ActorDep, store: StoreDep) -> Any:
    """Mark every unread line of the caller's inbox read."""
    with store.session(actor) as session:
        return {"marked": mark_all_read(session)}


@router.get("/notifications/preferences", response_model=PreferencesPublic)
def read_notification_preferences(actor: ActorDep, store: StoreDep) -> Any:
    """The caller's choices per kind (in the inbox, by e-mail) and the address e-mail goes to."""
    with store.session(actor) as session:
        return read_preferences(session).to_dict()


@router.put("/notifications/preferences", response_model=PreferencesPublic)
def write_notification_preferences(body: PreferencesUpdate, actor: ActorDep, store: StoreDep) -> Any:
    """Change the caller's choices: the kinds named, and the address if given."""
    kinds = {choice.kind: (choice.in_app, choice.by_email) for choice in body.kinds}
    with store.session(actor) as session:
        return set_preferences(session, kinds=kinds, email=body.email).to_dict()
