"""Signed checkpoints of the audit chain's head: Ed25519, with the private key outside the database.

A checkpoint says "entry ``seq`` has hash ``hash`` and seal ``seal``", at a UTC time, signed by
a key named by its fingerprint (``signer``). It is stored in ``audit_checkpoints`` and can be
exported as a JSON file an auditor keeps; anyone with the public key checks it, and a chain
that no longer holds that entry, or holds another, fails verification — so a tail cut after a
checkpoint shows. See ``docs/security.md`` ("Audit trail").

Configuration:

- ``REMISSION_AUDIT_SIGNING_KEY_FILE``: the Ed25519 private key, PEM (PKCS#8, unencrypted);
- ``REMISSION_AUDIT_PUBLIC_KEYS_FILE``: PEM public keys that may have signed checkpoints (the
  signing key's own public key is always accepted);
- ``REMISSION_AUDIT_CHECKPOINT_EVERY_ENTRIES`` (default 1000) and
  ``REMISSION_AUDIT_CHECKPOINT_EVERY_MINUTES`` (default 60): the schedule.

In development and test without a signing key, a fixed, public development key signs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from remission.errors import FieldProblem, InputError
from remission.store.audit_keys import DEVELOPMENT_ENVIRONMENTS, environment_name

#: The ``format`` of a checkpoint document; part of what is signed.
CHECKPOINT_FORMAT = "remission-audit-checkpoint-v1"
_DEVELOPMENT_SEED = hashlib.sha256(b"remission development checkpoint key: public").digest()
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PUBLIC_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", re.DOTALL)


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signer_id(public_key: Ed25519PublicKey) -> str:
    """A public key's fingerprint: the first 32 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed statement of the chain's head."""

    seq: int
    hash: str
    seal: str
    at: str
    signer: str
    signature: str

    def signed_bytes(self) -> bytes:
        """The canonical JSON the signature covers: every field but the signature, and the format."""
        fields = {**asdict(self), "format": CHECKPOINT_FORMAT}
        del fields["signature"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def to_document(self) -> dict[str, Any]:
        """The checkpoint as the JSON object an auditor keeps."""
        return {"format": CHECKPOINT_FORMAT, **asdict(self)}

    @classmethod
    def from_document(cls, document: object) -> Checkpoint:
        """A checkpoint from :meth:`to_document`'s JSON; ``ValueError`` saying what is wrong."""
        if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"not a checkpoint: a JSON object with format {CHECKPOINT_FORMAT!r} expected")
        seq = document.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**63:
            raise ValueError("seq must be a positive whole number")
        texts = {name: document.get(name) for name in ("hash", "seal", "at", "signer", "signature")}
        for name, value in texts.items():
            if not isinstance(value, str) or not value or len(value) > 128:
                raise ValueError(f"{name} must be a non-empty text")
        if not (_HEX64.match(texts["hash"] or "") and _HEX64.match(texts["seal"] or "")):
            raise ValueError("hash and seal must be 64 lower-case hex digits")
        return cls(seq=seq, **texts)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class CheckpointSigner:
    """The private key that signs checkpoints."""

    private_key: Ed25519PrivateKey

    @property
    def id(self) -> str:
        return signer_id(self.private_key.public_key())

    def sign(self, *, seq: int, hash: str, seal: str, at: str) -> Checkpoint:
        """A checkpoint of entry ``seq`` signed now."""
        unsigned = Checkpoint(seq, hash, seal, at, self.id, "")
        signature = self.private_key.sign(unsigned.signed_bytes()).hex()
        return Checkpoint(seq, hash, seal, at, self.id, signature)


@dataclass(frozen=True, slots=True)
class CheckpointKeys:
    """The public keys checkpoints may be signed with, by :func:`signer_id`."""

    public_keys: Mapping[str, Ed25519PublicKey]

    def problem(self, checkpoint: Checkpoint) -> str | None:
        """Why ``checkpoint``'s signature does not hold, or ``None`` when it does."""
        key = self.public_keys.get(checkpoint.signer)
        if key is None:
            return f"it is signed by key {checkpoint.signer}, which is not among the configured public keys"
        try:
            key.verify(bytes.fromhex(checkpoint.signature), checkpoint.signed_bytes())
        except (InvalidSignature, ValueError):
            return "its signature does not match its content (checkpoint forged or altered)"
        return None


def development_signer() -> CheckpointSigner:
    """The fixed, public development signing key: tests and demos only."""
    return CheckpointSigner(Ed25519PrivateKey.from_private_bytes(_DEVELOPMENT_SEED))


def _refuse(variable: str, problem: str) -> InputError:
    return InputError(variable, [FieldProblem(variable, problem)])


def _read_bytes(variable: str, path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise _refuse(variable, f"cannot read {path}: {error}") from None


def load_public_keys(variable: str, path: str) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 public keys in a PEM file (one or more ``PUBLIC KEY`` blocks), by signer id."""
    text = _read_bytes(variable, path).decode("ascii", errors="replace")
    keys: dict[str, Ed25519PublicKey] = {}
    for block in _PUBLIC_PEM.findall(text):
        try:
            key = serialization.load_pem_public_key(block.encode("ascii"))
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise _refuse(variable, f"{path} holds a public key that is not an Ed25519 PEM key")
        keys[signer_id(key)] = key
    if not keys:
        raise _refuse(variable, f"{path} holds no PEM public key")
    return keys


def _load_signer(variable: str, path: str) -> CheckpointSigner:
    try:
        key = serialization.load_pem_private_key(_read_bytes(variable, path), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise _refuse(variable, f"{path} is not an unencrypted Ed25519 private key in PEM (PKCS#8)")
    return CheckpointSigner(key)


def checkpoint_keys_from_environment(
    environ: Mapping[str, str] | None = None,
) -> tuple[CheckpointSigner | None, CheckpointKeys]:
    """The signer (``None`` when none is configured outside development) and the public keys."""
    env = environ if environ is not None else os.environ
    development = environment_name(env) in DEVELOPMENT_ENVIRONMENTS
    signer: CheckpointSigner | None = None
    variable = "REMISSION_AUDIT_SIGNING_KEY_FILE"
    if env.get(variable):
        signer = _load_signer(variable, env[variable])
        if not development and signer.id == development_signer().id:
            raise _refuse(variable, "the development signing key is public: use a key of your own")
    elif development:
        signer = development_signer()
    public: dict[str, Ed25519PublicKey] = {}
    if env.get("REMISSION_AUDIT_PUBLIC_KEYS_FILE"):
        public.update(
            load_public_keys("REMISSION_AUDIT_PUBLIC_KEYS_FILE", env["REMISSION_AUDIT_PUBLIC_KEYS_FILE"])
        )
    if signer is not None:
        public[signer.id] = signer.private_key.public_key()
    return signer, CheckpointKeys(public)
