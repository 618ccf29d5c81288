"""Who is looking at a page: the signed-in actor behind the session cookie, and CSRF-checked forms.

Every page route depends on :func:`current_viewer`; every POST route on :func:`posted_form`,
which refuses a form without the session's CSRF token. The actor is read from the store on
every request, and the session must be live in the database
(:func:`remission.store.check_session`), so signing out, a password change, deactivation or a
changed role take effect on the next page, for reads and writes alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from remission import store as study_store
from remission.api.settings import Settings
from remission.store import (
    AccessDenied,
    Actor,
    NotFound,
    Patient,
    Store,
    StudySession,
    actor_for_user,
    check_session,
    extend_session,
    get_patient,
    get_user,
    site_codes,
)
from remission.web.auth import (
    SESSION_COOKIE,
    WebSession,
    csrf_matches,
    csrf_token,
    issue_session_token,
    needs_refresh,
    read_session_token,
)


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""

    def __init__(self, *, expired: bool) -> None:
        self.expired = expired
        super().__init__("sign in first")


class FormRefused(Exception):
    """A POST without the session's CSRF token (a forged or stale form)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as pages see them: the store's actor plus names for display."""

    actor: Actor
    session: WebSession
    csrf: str
    full_name: str
    site_codes: dict[int, str] = field(default_factory=dict)
    #: Unread lines of the viewer's inbox, for the navigation.
    unread_notifications: int = 0

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def roles_text(self) -> str:
        """e.g. ``coordinator at SEV`` or ``statistician``."""
        parts = [role.value.replace("_", " ") for role in sorted(self.actor.study_roles)]
        for site_id, roles in sorted(self.actor.site_roles.items()):
            site = self.site_codes.get(site_id, str(site_id))
            parts.extend(f"{role.value.replace('_', ' ')} at {site}" for role in sorted(roles))
        return ", ".join(parts) or "no role"

    @property
    def attesting_role(self) -> str:
        """The role written with an attestation: the user's first role."""
        roles = sorted(self.actor.study_roles) + sorted(
            r for rs in self.actor.site_roles.values() for r in rs
        )
        return roles[0].value.replace("_", " ") if roles else "user"

    def may_write(self, site_id: int) -> bool:
        """True when the actor may change clinical rows of ``site_id`` (the store decides the same)."""
        writable = self.actor.writable_sites
        return writable is None or site_id in writable

    @property
    def writable_site_ids(self) -> list[int]:
        writable = self.actor.writable_sites
        return sorted(self.site_codes) if writable is None else sorted(writable)

    @property
    def may_enroll(self) -> bool:
        return bool(self.writable_site_ids)

    # The four below only choose which links to show; the store enforces each itself.
    @property
    def may_read_audit(self) -> bool:
        return study_store.may_read_audit(self.actor)

    @property
    def may_export(self) -> bool:
        return study_store.may_read_dataset(self.actor)

    @property
    def may_see_dashboard(self) -> bool:
        return study_store.may_see_dashboard(self.actor)

    @property
    def may_manage_accounts(self) -> bool:
        return study_store.may_manage_accounts(self.actor)

    def sees_identifiers(self, site_id: int) -> bool:
        """True when the actor holds a role at ``site_id``, so may read its patients' identifiers."""
        return self.actor.sees_identifiers_at(site_id)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _store(request: Request) -> Store:
    return request.app.state.store


def current_viewer(request: Request) -> Viewer:
    """The viewer of a valid session; raises :class:`SignInRequired` otherwise.

    A token old enough is reissued (same session id, so open forms keep their CSRF token);
    the page helpers set it as the new cookie.
    """
    settings = _settings(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = read_session_token(token, settings=settings) if token else None
    if session is None:
        raise SignInRequired(expired=token is not None)
    store = _store(request)
    if check_session(store, session_id=session.session_id, user_id=session.user_id, kind="web") is None:
        raise SignInRequired(expired=True)
    with store.session(Actor.for_system("web session check")) as db:
        actor = actor_for_user(db, user_id=session.user_id)
        try:
            full_name = get_user(db, user_id=session.user_id).full_name
        except NotFound:
            raise SignInRequired(expired=False) from None
        sites = site_codes(db)
    if actor is None:
        raise SignInRequired(expired=False)
    if needs_refresh(session):
        idle = timedelta(minutes=settings.token_minutes)
        extend_session(store, session_id=session.session_id, idle=idle)
        request.state.session_token = issue_session_token(
            session.user_id, settings=settings, session_id=session.session_id, started=session.started
        )
    viewer = Viewer(
        actor=actor,
        session=session,
        csrf=csrf_token(settings.secret_key, session.session_id),
        full_name=full_name,
        site_codes=sites,
        unread_notifications=_unread(store, actor),
    )
    request.state.viewer = viewer
    return viewer


def _unread(store: Store, actor: Actor) -> int:
    with store.session(actor) as db:
        return study_store.unread_count(db)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


async def posted_form(request: Request, viewer: ViewerDep) -> FormData:
    """The submitted form, after checking its CSRF token (field ``csrf_token`` or header ``X-CSRF-Token``)."""
    form = await request.form()
    given = form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not csrf_matches(_settings(request).secret_key, viewer.session.session_id, str(given or "")):
        raise FormRefused("the form has no valid CSRF token")
    return form


FormDep = Annotated[FormData, Depends(posted_form)]


def writable_patient(session: StudySession, viewer: Viewer, patient_id: int) -> Patient:
    """The patient a form will change; :class:`AccessDenied` before any input is read when the
    viewer may not write at the patient's site (the store refuses the write itself too)."""
    patient = get_patient(session, patient_id=patient_id)
    if not viewer.may_write(patient.site_id):
        raise AccessDenied(f"{viewer.username} may not change records of this site")
    return patient
