"""Where the audit keys come from and which are refused: configuration, strength, development."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from remission.errors import InputError
from remission.store.audit_checkpoints import Checkpoint, development_signer
from remission.store.audit_keys import DEVELOPMENT_KEY_ID, audit_keyring_from_environment, key_strength_bits
from remission.store.audit_settings import audit_settings_from_environment

PRODUCTION = {"REMISSION_ENV": "production"}


class TestKeyring:
    def test_development_uses_the_marked_public_key(self):
        """Without any key, development (the default) and test get the development key, id dev-insecure."""
        for environ in ({}, {"REMISSION_ENV": "test"}):
            ring = audit_keyring_from_environment(environ)
            assert (ring.active, ring.development) == (DEVELOPMENT_KEY_ID, True)

    def test_production_without_a_key_is_refused(self):
        """Outside development a missing key stops the store before it writes anything."""
        with pytest.raises(InputError) as raised:
            audit_keyring_from_environment(PRODUCTION)
        assert raised.value.source == "REMISSION_AUDIT_KEY"

    @pytest.mark.parametrize(
        "key",
        [
            "a" * 32,
            "ab" * 32,
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "correct horse battery staple!!!!",
            "short",
        ],
    )
    def test_production_refuses_weak_keys(self, key: str):
        """Repeated, patterned, sequential, dictionary and short keys are refused by estimated strength."""
        with pytest.raises(InputError, match="REMISSION_AUDIT_KEY"):
            audit_keyring_from_environment(PRODUCTION | {"REMISSION_AUDIT_KEY": key})

    def test_strength_of_thirty_two_a_is_nothing(self):
        """``"a" * 32`` scores zero bits, a token from the secrets module far over 128."""
        assert key_strength_bits(b"a" * 32) == 0
        assert key_strength_bits(secrets.token_urlsafe(32).encode()) > 128

    def test_production_accepts_a_random_key_under_its_id(self):
        """A random key is used as given, under REMISSION_AUDIT_KEY_ID."""
        key = secrets.token_urlsafe(32)
        ring = audit_keyring_from_environment(
            PRODUCTION | {"REMISSION_AUDIT_KEY": key, "REMISSION_AUDIT_KEY_ID": "2025-06"}
        )
        assert (ring.active, ring.keys["2025-06"]) == ("2025-06", key.encode())

    def test_production_refuses_the_development_key_id(self, tmp_path: Path):
        """A key ring naming the development key id is refused outside development."""
        path = tmp_path / "keys.json"
        keys = {DEVELOPMENT_KEY_ID: secrets.token_urlsafe(32), "k2": secrets.token_urlsafe(32)}
        path.write_text(json.dumps({"active": "k2", "keys": keys}))
        with pytest.raises(InputError, match="public"):
            audit_keyring_from_environment(PRODUCTION | {"REMISSION_AUDIT_KEYS_FILE": str(path)})

    def test_a_keys_file_gives_every_key_and_the_active_one(self, tmp_path: Path):
        """REMISSION_AUDIT_KEYS_FILE holds the old keys for verification and the active one for writing."""
        path = tmp_path / "keys.json"
        keys = {"2025-01": secrets.token_urlsafe(32), "2025-06": secrets.token_urlsafe(32)}
        path.write_text(json.dumps({"active": "2025-06", "keys": keys}))
        ring = audit_keyring_from_environment(PRODUCTION | {"REMISSION_AUDIT_KEYS_FILE": str(path)})
        assert (ring.active, sorted(ring.keys)) == ("2025-06", ["2025-01", "2025-06"])

    @pytest.mark.parametrize(
        "document", ['{"active": "x", "keys": {}}', '{"active": "y", "keys": {"x": "k"}}', "[]", "not json"]
    )
    def test_a_malformed_keys_file_is_refused(self, tmp_path: Path, document: str):
        """A keys file without keys, with an unknown active id, or not JSON is named."""
        path = tmp_path / "keys.json"
        path.write_text(document)
        with pytest.raises(InputError) as raised:
            audit_keyring_from_environment({"REMISSION_AUDIT_KEYS_FILE": str(path)})
        assert raised.value.source == "REMISSION_AUDIT_KEYS_FILE"


class TestSigningKeys:
    def test_a_signing_key_file_signs_and_its_public_key_verifies(self, tmp_path: Path):
        """A PEM private key signs checkpoints that its own public key, and a public-keys file, accept."""
        private = Ed25519PrivateKey.generate()
        key_file, public_file = tmp_path / "signing.pem", tmp_path / "public.pem"
        key_file.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        public_file.write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        environ = PRODUCTION | {
            "REMISSION_AUDIT_KEY": secrets.token_urlsafe(32),
            "REMISSION_AUDIT_SIGNING_KEY_FILE": str(key_file),
        }
        settings = audit_settings_from_environment(environ)
        assert settings.signer is not None
        checkpoint = settings.signer.sign(
            seq=3, hash="a" * 64, seal="b" * 64, at="2025-01-01T00:00:00.000000Z"
        )
        auditor = audit_settings_from_environment(
            PRODUCTION
            | {
                "REMISSION_AUDIT_KEY": environ["REMISSION_AUDIT_KEY"],
                "REMISSION_AUDIT_PUBLIC_KEYS_FILE": str(public_file),
            }
        )
        assert auditor.signer is None
        assert auditor.checkpoint_keys.problem(checkpoint) is None
        altered = Checkpoint.from_document(checkpoint.to_document() | {"seq": 4})
        assert "signature does not match" in (auditor.checkpoint_keys.problem(altered) or "")

    def test_production_refuses_the_development_signing_key(self, tmp_path: Path):
        """The public development signing key is refused outside development."""
        path = tmp_path / "dev.pem"
        path.write_bytes(
            development_signer().private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        environ = PRODUCTION | {
            "REMISSION_AUDIT_KEY": secrets.token_urlsafe(32),
            "REMISSION_AUDIT_SIGNING_KEY_FILE": str(path),
        }
        with pytest.raises(InputError, match="public"):
            audit_settings_from_environment(environ)
