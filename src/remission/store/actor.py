"""Who is acting: a user's roles, and the sites they may read, write and identify."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from remission.store.vocabulary import Role

_READ_ALL = frozenset({Role.ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN, Role.MONITOR})
_WRITE_ALL = frozenset({Role.DATA_MANAGER})
_SITE_WRITERS = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})


class AccessDenied(PermissionError):
    """The actor may not do this. Callers report another site's rows as not found."""


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated user (or the system itself) as the store sees them."""

    username: str
    user_id: int | None = None
    study_roles: frozenset[Role] = frozenset()
    site_roles: Mapping[int, frozenset[Role]] = field(default_factory=dict)
    system: bool = False

    @classmethod
    def for_system(cls, name: str = "system") -> Actor:
        """The command line acting on behalf of an operator (db upgrade, site and user add)."""
        return cls(username=name, system=True)

    @classmethod
    def from_assignments(
        cls, username: str, user_id: int, assignments: Iterable[tuple[Role, int | None]]
    ) -> Actor:
        study: set[Role] = set()
        sites: dict[int, set[Role]] = {}
        for role, site_id in assignments:
            if role.site_level and site_id is not None:
                sites.setdefault(site_id, set()).add(role)
            elif not role.site_level:
                study.add(role)
        return cls(
            username=username,
            user_id=user_id,
            study_roles=frozenset(study),
            site_roles={site: frozenset(roles) for site, roles in sites.items()},
        )

    def has(self, *roles: Role) -> bool:
        """True when the actor holds any of ``roles`` at study level or at some site."""
        held = set(self.study_roles).union(*self.site_roles.values())
        return self.system or bool(held.intersection(roles))

    @property
    def readable_sites(self) -> frozenset[int] | None:
        """Sites whose rows the actor may read; ``None`` means every site."""
        if self.system or self.study_roles & _READ_ALL:
            return None
        return frozenset(self.site_roles)

    @property
    def writable_sites(self) -> frozenset[int] | None:
        """Sites whose clinical rows the actor may change; ``None`` means every site."""
        if self.system or self.study_roles & _WRITE_ALL:
            return None
        return frozenset(site for site, roles in self.site_roles.items() if roles & _SITE_WRITERS)

    @property
    def identifier_sites(self) -> frozenset[int] | None:
        """Sites whose direct identifiers the actor may see: only their own sites' roles."""
        return None if self.system else frozenset(self.site_roles)

    def sees_identifiers_at(self, site_id: int | None) -> bool:
        """Whether the actor may see direct identifiers (and dates of birth) of a row at ``site_id``."""
        sites = self.identifier_sites
        return sites is None or site_id in sites

    @property
    def manages_accounts(self) -> bool:
        return self.system or Role.ADMIN in self.study_roles
