"""Data exchange in the field's standards, read and written through :mod:`remission.store`.

- :mod:`remission.interop.output` — the files an export writes: all or nothing, owner-only.
- the HL7 FHIR R4B export and the import of an EHR's FHIR bundle into a screening record;
- the CDISC ODM 1.3.2 export of the whole study (metadata, values, audit records, signatures);
- the CDISC Dataset-JSON 1.1 export of SDTM-shaped domains.

Each writer streams the study's casebooks (:func:`remission.store.read_study_casebooks`), one
patient in memory at a time, and reports progress as ``(done, total)``. This package sits below
the CLI, API and web app and above the store; the import of FHIR bundles needs only
:mod:`remission.record`, so ``remission screen`` stays fast. See docs/interop.md.
"""
