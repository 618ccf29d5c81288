"""The route × role × site walk of the API (see tests/api/test_isolation_walk.py for its rules)."""

from __future__ import annotations

from .engine import (
    CASEBOOK,
    CODE_ROW,
    CONSENT_VERSION,
    EVENT_ROW,
    LOCK_RELEASE,
    METHOD_ORDER,
    NOTIFICATION,
    OWN_NOTIFICATIONS,
    PATIENT,
    PATIENT_PART,
    PATIENTS,
    PLAIN,
    QUERY,
    REQUIRED_SIGNATURES,
    SITE_PART,
    USER,
)
from .notification_routes import NotificationRoutes
from .patient_routes import PatientRoutes
from .plain_routes import PlainRoutes
from .study_routes import StudyRoutes


class Walk(PlainRoutes, PatientRoutes, StudyRoutes, NotificationRoutes):
    """One principal's walk: each operation, in a fixed order, sent to the family that knows its route."""

    def run(self, operations: set[tuple[str, str]]) -> None:
        for method, template in sorted(operations, key=lambda op: (op[1], METHOD_ORDER.get(op[0], 9))):
            if OWN_NOTIFICATIONS.match(template):
                self.own_notifications(method, template)
            elif PATIENTS.match(template) or PLAIN.match(template):
                self.plain(method, template)
            elif PATIENT.match(template):
                self.patient(method, template)
            elif CASEBOOK.match(template):
                self.casebook(method, template)
            elif match := PATIENT_PART.match(template):
                self.patient_part(method, template, match["part"])
            elif CODE_ROW.match(template):
                self.missing_code(method, template)
            elif match := EVENT_ROW.match(template):
                self.event_row(method, template, match["part"])
            elif match := USER.match(template):
                self.user(method, template, match["part"])
            elif SITE_PART.match(template):
                self.site_part(method, template)
            elif match := CONSENT_VERSION.match(template):
                self.consent_version(method, template, match["part"])
            elif match := QUERY.match(template):
                self.query(method, template, match["step"])
            elif REQUIRED_SIGNATURES.match(template):
                self.required_signatures(method, template)
            elif LOCK_RELEASE.match(template):
                self.lock_release(method, template)
            elif NOTIFICATION.match(template):
                self.notification(method, template)
            # Anything else is not walked, and the coverage assertion names it.
