"""Everything the audit trail needs from outside the database: keys, signer, schedule.

A :class:`~remission.store.Store` holds one :class:`AuditSettings`; by default it is read from
the environment when the store is opened, so a production store without a strong audit key is
refused before it writes anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from remission.errors import FieldProblem, InputError
from remission.store.audit_checkpoints import (
    CheckpointKeys,
    CheckpointSigner,
    checkpoint_keys_from_environment,
    development_signer,
)
from remission.store.audit_keys import AuditKeyring, audit_keyring_from_environment, development_keyring


@dataclass(frozen=True, slots=True)
class CheckpointSchedule:
    """Write a checkpoint at the first audited commit after this many entries or minutes.

    There is no timer: a study that writes nothing needs no new checkpoint, its head is the last
    one's. ``None`` turns that trigger off.
    """

    every_entries: int | None = 1000
    every_minutes: int | None = 60


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """The HMAC key ring, the checkpoint signer (if any), the accepted public keys, the schedule."""

    keyring: AuditKeyring
    signer: CheckpointSigner | None
    checkpoint_keys: CheckpointKeys
    schedule: CheckpointSchedule = field(default_factory=CheckpointSchedule)


def development_audit_settings(schedule: CheckpointSchedule | None = None) -> AuditSettings:
    """The public development key and signer: for tests and demos only."""
    signer = development_signer()
    keys = CheckpointKeys({signer.id: signer.private_key.public_key()})
    return AuditSettings(development_keyring(), signer, keys, schedule or CheckpointSchedule())


def _every(env: Mapping[str, str], name: str, default: int) -> int | None:
    """A whole number of at least 1 from ``name``; ``0`` or ``off`` turns the trigger off."""
    value = env.get(name, str(default)).strip()
    if value in ("0", "off"):
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise InputError(name, [FieldProblem(name, "a whole number, 1 or more (0 or off: never)")])
    return int(value)


def audit_settings_from_environment(environ: Mapping[str, str] | None = None) -> AuditSettings:
    """The audit settings from the environment (see :mod:`remission.store.audit_keys` and
    :mod:`remission.store.audit_checkpoints`); :class:`InputError` naming the variable at fault."""
    env = environ if environ is not None else os.environ
    signer, keys = checkpoint_keys_from_environment(env)
    schedule = CheckpointSchedule(
        every_entries=_every(env, "REMISSION_AUDIT_CHECKPOINT_EVERY_ENTRIES", 1000),
        every_minutes=_every(env, "REMISSION_AUDIT_CHECKPOINT_EVERY_MINUTES", 60),
    )
    return AuditSettings(audit_keyring_from_environment(env), signer, keys, schedule)
