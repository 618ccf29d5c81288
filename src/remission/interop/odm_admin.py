"""The ODM 1.3.2 ``AdminData``: the users and sites the clinical data refer to, and one
``SignatureDef`` per signature meaning.

Users are those named in the exported audit records and signatures (their login name and, for
signers, the full name they signed with), sites those of the exported patients: the file
describes who and where its records name, nothing more. The legal reason of each
``SignatureDef`` is the statement a signer of that meaning signs
(:func:`remission.store.attestation_text`, with the signer left generic).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from remission.interop.odm_xml import XmlWriter
from remission.store import SignatureMeaning, attestation_text


def user_oid(username: str) -> str:
    return f"USR.{username}"


def location_oid(site: str) -> str:
    return f"LOC.{site}"


def signature_def_oid(meaning: str) -> str:
    return f"SD.{meaning}"


def write_admin(
    xml: XmlWriter,
    *,
    study_oid: str,
    version_oid: str,
    users: Mapping[str, str | None],
    sites: set[str],
    effective: date,
) -> None:
    """``AdminData`` with ``users`` (login name to full name, if known), ``sites`` (codes) and the
    signature definitions."""
    with xml.element("AdminData", {"StudyOID": study_oid}):
        for username in sorted(users):
            with xml.element("User", {"OID": user_oid(username)}):
                xml.leaf("LoginName", None, username)
                full_name = users[username]
                if full_name:
                    xml.leaf("FullName", None, full_name)
        for site in sorted(sites):
            with xml.element("Location", {"OID": location_oid(site), "Name": site, "LocationType": "Site"}):
                reference = {
                    "StudyOID": study_oid,
                    "MetaDataVersionOID": version_oid,
                    "EffectiveDate": effective.isoformat(),
                }
                xml.leaf("MetaDataVersionRef", reference)
        for meaning in SignatureMeaning:
            attributes = {"OID": signature_def_oid(meaning.value), "Methodology": "Electronic"}
            with xml.element("SignatureDef", attributes):
                xml.leaf("Meaning", None, meaning.value)
                legal = attestation_text(name="the signer", username="their user name", meaning=meaning)
                xml.leaf("LegalReason", None, legal)
