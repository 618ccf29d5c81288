"""Growing a study to benchmark size: the seeded synthetic patients copied at the SQL level.

Writing 10⁴ patients through the store (edit checks, audit trail, calendars) takes long; the
benchmarks write a few hundred through the store, then copy them with their rows into one site
until it holds the size measured. Copies get new ids and study ids (``<seed>-x<id>``); the audit
trail does not cover them.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from remission.store import Store
from remission.store.base import Base
from remission.store.models import Patient, Site

#: The tables a copied patient takes with them (patient-owned study data, not the audit trail,
#: data queries or derived calendar entries).
COPIED = (
    "patients",
    "enrollments",
    "risk_assignments",
    "consents",
    "mrd_results",
    "treatment_phases",
    "transplants",
    "adverse_events",
    "anthracycline_doses",
    "relapses",
    "deaths",
    "follow_ups",
)


def copy_patients(store: Store, target: int, site_code: str = "SYN-A") -> int:
    """Copy the seeded patients (and their rows) into ``site_code`` until it holds ``target`` patients."""
    tables = {name: Base.metadata.tables[name] for name in COPIED if name in Base.metadata.tables}
    with store.engine.begin() as connection:
        site = connection.execute(select(Site.id).where(Site.code == site_code)).scalar_one()
        seeds = (
            connection.execute(
                select(Patient.id).where(Patient.study_id.like("SYN-%"), ~Patient.study_id.contains("-x"))
            )
            .scalars()
            .all()
        )
        present = connection.execute(
            select(func.count()).select_from(Patient).where(Patient.site_id == site)
        ).scalar_one()
        rows = {
            name: [
                dict(row._mapping)
                for row in connection.execute(
                    select(table).where(
                        (table.c.id.in_(seeds)) if name == "patients" else table.c.patient_id.in_(seeds)
                    )
                )
            ]
            for name, table in tables.items()
        }
        while present < target:
            tops = {
                name: connection.execute(select(func.max(t.c.id))).scalar_one() or 0
                for name, t in tables.items()
            }
            patient_offset = tops["patients"]
            batch = min(len(seeds), target - present)
            chosen = set(sorted(seeds)[:batch])
            for name, table in tables.items():
                fresh = []
                for row in rows[name]:
                    owner = row["id"] if name == "patients" else row["patient_id"]
                    if owner not in chosen:
                        continue
                    new = dict(row)
                    new["id"] = row["id"] + tops[name]
                    new["site_id"] = site
                    if name == "patients":
                        new["study_id"] = f"{row['study_id']}-x{new['id']}"
                    else:
                        new["patient_id"] = row["patient_id"] + patient_offset
                    fresh.append(new)
                if fresh:
                    connection.execute(table.insert(), fresh)
            present += batch
        if store.engine.dialect.name == "postgresql":
            for name in tables:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                    )
                )
    return present
