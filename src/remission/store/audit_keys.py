"""The audit trail's HMAC keys: where they come from, how strong they must be, what they compute.

The keys never enter the database. Each entry and each seal records the id of the key that
authenticated it, so a key can be rotated: new entries use the *active* key, old ones still
verify under theirs, as long as the key ring keeps them. See ``docs/security.md`` ("Audit trail").

Configuration, first match wins:

- ``REMISSION_AUDIT_KEYS_FILE``: a JSON file ``{"active": "2025-06", "keys": {"2025-01": "…",
  "2025-06": "…"}}`` — every key ever used, and the one new entries use;
- ``REMISSION_AUDIT_KEY_FILE``: a file holding one key (surrounding white space ignored);
- ``REMISSION_AUDIT_KEY``: one key in the environment.

With one key its id is ``REMISSION_AUDIT_KEY_ID`` (default ``k1``). Without any, and only while
``REMISSION_ENV`` is ``development`` (the default) or ``test``, the fixed, public development key
is used under the id ``dev-insecure``; elsewhere that is refused, as is a weak key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from remission.errors import FieldProblem, InputError
from remission.store.secret_strength import MIN_SECRET_BITS, estimated_bits

#: The id under which the public development key authenticates entries: a marker, never a secret.
DEVELOPMENT_KEY_ID = "dev-insecure"
_DEVELOPMENT_KEY = b"remission development audit key: public, never for real data"
#: Environments in which the development keys may be used.
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
#: The least estimated strength of a key, in bits (as for every secret), and the least length, in bytes.
MIN_KEY_BITS = MIN_SECRET_BITS
MIN_KEY_BYTES = 32
_MAX_KEY_ID = 32
_KEY_HINT = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def environment_name(environ: Mapping[str, str] | None = None) -> str:
    """``REMISSION_ENV``, ``development`` when unset (as for the API's settings)."""
    return (environ if environ is not None else os.environ).get("REMISSION_ENV", "development")


def key_strength_bits(secret: bytes) -> float:
    """The estimated strength of a key in bits, as for every configured secret
    (:func:`remission.store.secret_strength.estimated_bits`); a key that is not UTF-8 text is
    judged by its bytes, one character each."""
    try:
        text = secret.decode("utf-8")
    except UnicodeDecodeError:
        text = secret.decode("latin-1")
    return estimated_bits(text)


def weakness(secret: bytes) -> str | None:
    """Why ``secret`` is too weak for a production key, or ``None`` if it is strong enough."""
    if len(secret) < MIN_KEY_BYTES:
        return f"a key needs at least {MIN_KEY_BYTES} bytes, this one has {len(secret)}; {_KEY_HINT}"
    bits = key_strength_bits(secret)
    if bits < MIN_KEY_BITS:
        return (
            f"the key is too predictable (about {bits:.0f} bits, at least {MIN_KEY_BITS} needed); {_KEY_HINT}"
        )
    return None


def _refuse(variable: str, problem: str) -> InputError:
    return InputError(variable, [FieldProblem(variable, problem)])


@dataclass(frozen=True, slots=True)
class AuditKeyring:
    """The HMAC-SHA-256 keys by id, and the id new entries are authenticated with."""

    keys: Mapping[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"the active key id {self.active!r} is not among the keys")

    @property
    def development(self) -> bool:
        """True when new entries are authenticated with the public development key."""
        return self.active == DEVELOPMENT_KEY_ID

    def _mac(self, key_id: str, message: str) -> str | None:
        key = self.keys.get(key_id)
        if key is None:
            return None
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def entry_mac(self, key_id: str, nonce: str, digest: str) -> str | None:
        """The MAC of one entry's content digest and its random nonce, made when it is written.

        It proves the application wrote this content; it does not fix the entry's place in
        the chain (on PostgreSQL that is chosen at COMMIT, inside the database): the seal does.
        ``None`` when ``key_id`` is not in the ring.
        """
        return self._mac(key_id, f"remission-audit-entry-v1:{key_id}:{nonce}:{digest}")

    def seal_mac(self, key_id: str, prev_seal: str, seq: int, digest: str, nonce: str) -> str | None:
        """The MAC that fixes an entry at ``seq`` after the seal ``prev_seal``: a keyed chain.

        ``None`` when ``key_id`` is not in the ring.
        """
        return self._mac(key_id, f"remission-audit-seal-v1:{key_id}:{prev_seal}:{seq}:{digest}:{nonce}")


def development_keyring() -> AuditKeyring:
    """The ring with only the public development key (``dev-insecure``): tests and demos only."""
    return AuditKeyring({DEVELOPMENT_KEY_ID: _DEVELOPMENT_KEY}, DEVELOPMENT_KEY_ID)


def _read_text(variable: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _refuse(variable, f"cannot read {path}: {error}") from None


def _check_key_id(variable: str, key_id: str) -> str:
    if not key_id or len(key_id) > _MAX_KEY_ID or not all(c.isalnum() or c in "-_." for c in key_id):
        raise _refuse(variable, f"a key id is 1 to {_MAX_KEY_ID} letters, digits, '-', '_' or '.'")
    return key_id


def _ring_from_file(variable: str, path: str) -> AuditKeyring:
    text = _read_text(variable, path)
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    keys = document.get("keys") if isinstance(document, dict) else None
    active = document.get("active") if isinstance(document, dict) else None
    if (
        not isinstance(keys, dict)
        or not keys
        or not all(isinstance(v, str) for v in keys.values())
        or not isinstance(active, str)
    ):
        raise _refuse(variable, f'{path} must be JSON {{"active": ID, "keys": {{ID: KEY, ...}}}}')
    if active not in keys:
        raise _refuse(variable, f"the active key id {active!r} is not among the keys in {path}")
    return AuditKeyring({_check_key_id(variable, k): v.encode("utf-8") for k, v in keys.items()}, active)


def audit_keyring_from_environment(environ: Mapping[str, str] | None = None) -> AuditKeyring:
    """The key ring the environment configures (see the module's docstring).

    Raises :class:`InputError` naming the variable for an unreadable or malformed file, and,
    outside development, for a missing key, a weak key or the development key.
    """
    env = environ if environ is not None else os.environ
    development = environment_name(env) in DEVELOPMENT_ENVIRONMENTS
    if env.get("REMISSION_AUDIT_KEYS_FILE"):
        variable = "REMISSION_AUDIT_KEYS_FILE"
        ring = _ring_from_file(variable, env[variable])
    elif env.get("REMISSION_AUDIT_KEY_FILE") or env.get("REMISSION_AUDIT_KEY"):
        variable = (
            "REMISSION_AUDIT_KEY_FILE" if env.get("REMISSION_AUDIT_KEY_FILE") else "REMISSION_AUDIT_KEY"
        )
        text = _read_text(variable, env[variable]) if variable.endswith("_FILE") else env[variable]
        key_id = _check_key_id("REMISSION_AUDIT_KEY_ID", env.get("REMISSION_AUDIT_KEY_ID", "k1"))
        ring = AuditKeyring({key_id: text.strip().encode("utf-8")}, key_id)
    elif development:
        return development_keyring()
    else:
        raise _refuse(
            "REMISSION_AUDIT_KEY",
            "outside development the audit trail needs a key: set REMISSION_AUDIT_KEY, "
            f"REMISSION_AUDIT_KEY_FILE or REMISSION_AUDIT_KEYS_FILE; {_KEY_HINT}",
        )
    if not development:
        for key_id, key in ring.keys.items():
            if key_id == DEVELOPMENT_KEY_ID or key == _DEVELOPMENT_KEY:
                raise _refuse(variable, "the development key is public: use a key of your own")
        problem = weakness(ring.keys[ring.active])
        if problem is not None:
            raise _refuse(variable, f"key {ring.active!r}: {problem}")
    return ring
