"""The route × role × site walk: every route of the API, for every role, on both sites' patients.

The routes come from the app's OpenAPI document; the walk only knows how to make a
valid body per route *family*. A route it cannot walk is left out of the walked set,
and the walked set must equal the OpenAPI set (less sign-in and health), so a route
added without coverage here fails the walk.

Rules checked:

- a site role gets 404 (never 403, never 200) for every method on another site's
  patient ids and row ids, and succeeds on its own site's;
- study-level roles read everything except direct identifiers (404);
- statistician, monitor and admin get 403 on clinical writes; the data manager writes;
- the audit trail is read by admin, data manager and monitor only (403 for the rest);
- data queries are opened, closed and re-opened by the data manager and monitor, answered by
  whoever writes the patient's data; another site's query is a 404 for a site role;
- source data is marked verified by the monitor only (403 for the other roles, 404 on another
  site's patient for a site role); a site's SDV worklist lists only patients the caller may read;
- sites and users are made by the admin only; consent form versions are registered and changed by
  the admin and the data manager only, read by everyone, and their re-consent lists hold only
  patients the principal may read;
- a signature is made by a signer the patient's protocol names (the investigator, after the walk
  enrolled the patient) at the patient's site, with the password; anyone else is refused (422,
  or 404 for another site's patient); the required signatures read like the patient;
- freezes and locks are set and released by the data manager and admin only (403), another
  site's patient or lock is a 404 to a site role;
- each principal reads, marks and sets only their own notifications and preferences; another
  user's notification id is a 404;
- a casebook PDF is read like the patient (another site's is a 404); read back as text it names the
  patient's study id, holds the audit appendix only for audit readers and the date of birth only for
  roles of the patient's site;
- a child's date of birth appears in no answer (patient, list, record, enrollment, risk
  trace, audit trail) to a principal without a role at the child's site.
"""

from __future__ import annotations

import pytest

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import PRINCIPALS, Api, Principal, openapi_operations
from .isolation_walk import Walk
from .isolation_walk.engine import registered_routes, walked_operations


class TestRouteTable:
    def test_every_api_route_is_in_the_openapi_document(self, api: Api):
        """Every route registered under /api/v1 is documented, so the walk, reading the document, sees it."""
        app = api.client.app
        registered = {
            (method, path)
            for method, path in registered_routes(app.routes)
            if path.startswith(f"{API_PREFIX}/")
        }
        assert registered == openapi_operations(app)

    def test_the_walk_has_something_to_walk(self, api: Api):
        """The walked set includes patient, course-row, account and audit routes."""
        operations = walked_operations(api.client.app)
        paths = {path for _, path in operations}
        assert f"{API_PREFIX}/patients/{{patient_id}}/mrd/{{row_id}}" in paths
        assert f"{API_PREFIX}/audit" in paths
        assert ("POST", f"{API_PREFIX}/auth/token") not in operations
        assert len(operations) > 40

    def test_a_route_the_walk_cannot_walk_is_left_out_of_the_walked_set(self, api: Api):
        """Routes of a family the walk has no body or rule for are not walked, so the coverage check fails."""
        extra = {
            ("POST", f"{API_PREFIX}/patients/{{patient_id}}/vaccinations"),
            ("PATCH", f"{API_PREFIX}/patients/{{patient_id}}/vaccinations/{{row_id}}"),
            ("GET", f"{API_PREFIX}/reports/{{report_id}}"),
            ("DELETE", f"{API_PREFIX}/sites"),
        }
        walk = Walk(api, Principal(Role.ADMIN))
        walk.run(extra)
        assert walk.walked == set()
        assert walk.failures == []

    def test_the_walk_notices_answers_of_the_wrong_site(self, api: Api):
        """A walk expecting SEV's answers while signed in at SNU reports the swapped 200s and 404s."""
        walk = ImpostorWalk(api, Principal(Role.INVESTIGATOR, "SEV"))
        walk.run(walked_operations(api.client.app))
        own, other = api.patients["SEV"].id, api.patients["SNU"].id
        assert any(
            f"GET {API_PREFIX}/patients/{own} " in f and "got 404, expected 200" in f for f in walk.failures
        )
        assert any(
            f"GET {API_PREFIX}/patients/{other} " in f and "got 200, expected 404" in f for f in walk.failures
        )
        # SNU's child's date of birth, which the impostor may see, counts as a leak to SEV.
        assert any(f"shows the date of birth of SNU patient {other}" in f for f in walk.failures)


class ImpostorWalk(Walk):
    """A walk that expects one principal's answers but sends another principal's token."""

    impostor: Principal = Principal(Role.INVESTIGATOR, "SNU")

    @property
    def headers(self) -> dict[str, str]:
        return self.api.headers(self.impostor)


@pytest.mark.parametrize("who", PRINCIPALS, ids=lambda who: who.label)
class TestIsolationWalk:
    def test_every_route_answers_by_role_and_site(self, api: Api, who: Principal):
        """Every route, on both sites' patients and rows, answers as the principal's role and site allow."""
        operations = walked_operations(api.client.app)
        walk = Walk(api, who)
        walk.run(operations)
        assert walk.failures == [], "\n".join(walk.failures)
        assert walk.walked == operations, f"not walked: {sorted(operations - walk.walked)}"
