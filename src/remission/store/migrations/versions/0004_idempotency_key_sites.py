"""Record the sites an idempotent write touched, so that a replay can re-check access.

A POST repeated with the same ``Idempotency-Key`` is answered from the stored response. That
response shows a row of some site; if the user has since lost their role there, the replay
must be *not found*, like any other read of that site's rows. ``idempotency_keys.site_ids``
holds the sorted ids of the sites whose rows the request wrote (an empty list when it wrote
none). Keys stored before this revision are filled in from their stored responses: every
keyed route answers with a patient (its ``site_id``) or a patient's row (its ``patient_id``,
whose site is looked up). A response of neither shape keeps NULL, which replays as before.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


_KEYS = sa.table(
    "idempotency_keys",
    sa.column("id", sa.Integer),
    sa.column("response", sa.JSON),
    sa.column("site_ids", sa.JSON),
)
_PATIENTS = sa.table("patients", sa.column("id", sa.Integer), sa.column("site_id", sa.Integer))


def _site_of(response: object, patient_sites: dict[int, int]) -> int | None:
    if not isinstance(response, dict):
        return None
    if "patient_id" in response:
        return patient_sites.get(response["patient_id"])
    if "study_id" in response and isinstance(response.get("site_id"), int):
        return int(response["site_id"])
    return None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.add_column(sa.Column("site_ids", sa.JSON(), nullable=True))
    bind = op.get_bind()
    stored = bind.execute(sa.select(_KEYS.c.id, _KEYS.c.response)).all()
    if not stored:
        return
    patient_sites = {
        row.id: row.site_id for row in bind.execute(sa.select(_PATIENTS.c.id, _PATIENTS.c.site_id))
    }
    for key_id, response in stored:
        site = _site_of(response, patient_sites)
        if site is not None:
            bind.execute(sa.update(_KEYS).where(_KEYS.c.id == key_id).values(site_ids=[site]))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.drop_column("site_ids")
