"""The demo's logins: one account per study role, and a coordinator and an investigator per site.

Every account has the development password :data:`DEMO_PASSWORD`; ``remission web --demo``
refuses other environments, and ``remission demo`` makes them only in development. The demo
loader makes them before the daily-conduct examples (:mod:`.conduct`), so the queries and the
serious adverse event written there reach the site's inboxes as any entry would.
"""

from __future__ import annotations

from dataclasses import dataclass

from remission.store import Actor, Role, Store, add_user, list_sites, usernames

#: The password of every demo account. Development only.
DEMO_PASSWORD = "remission-demo"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    site: str | None


def demo_accounts(site_codes: list[str]) -> list[DemoAccount]:
    """The demo accounts for these sites: one per study role, a coordinator and an investigator per site."""
    accounts = [
        DemoAccount("admin", "Demo Administrator", Role.ADMIN, None),
        DemoAccount("data-manager", "Demo Data Manager", Role.DATA_MANAGER, None),
        DemoAccount("statistician", "Demo Statistician", Role.STATISTICIAN, None),
        DemoAccount("monitor", "Demo Monitor", Role.MONITOR, None),
    ]
    for code in site_codes:
        slug = code.lower()
        accounts.append(
            DemoAccount(f"coordinator-{slug}", f"Demo Coordinator {code}", Role.COORDINATOR, code)
        )
        accounts.append(
            DemoAccount(f"investigator-{slug}", f"Demo Investigator {code}", Role.INVESTIGATOR, code)
        )
    return accounts


def create_demo_accounts(store: Store) -> list[DemoAccount]:
    """Make the demo accounts of every site in the store (existing usernames are left alone)."""
    operator = Actor.for_system("web demo")
    with store.session(operator) as session:
        sites = [site.code for site in list_sites(session)]
        taken = usernames(session)
        accounts = demo_accounts(sites)
        for account in accounts:
            if account.username not in taken:
                add_user(
                    session,
                    username=account.username,
                    full_name=account.full_name,
                    password=DEMO_PASSWORD,
                    role=account.role,
                    site_code=account.site,
                )
    return accounts
