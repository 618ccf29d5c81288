"""Downloads for the roles that may export: the de-identified endpoint dataset and the study report.

Both are POST forms with the CSRF token, since each download writes an ``export`` entry to the
audit trail. The dataset is written by :func:`remission.store.export.export_dataset`; the report
is built by :mod:`remission.stats.report` from the extended dataset derived at today's data cut.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from remission.store.actor import AccessDenied
from remission.store.audit import record_event
from remission.store.endpoints import derive_endpoints
from remission.store.errors import NotFound
from remission.store.export import AUDIT_ENTITY, ExportFormat, export_dataset
from remission.store.vocabulary import AuditAction
from remission.web.dashboard_data import SYNTHETIC_PREFIX
from remission.web.pages import finish, render
from remission.web.viewer import FormDep, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def _require_exporter(viewer: Viewer) -> None:
    if not viewer.may_export:
        raise AccessDenied(f"{viewer.username} may not export study data")


def _attachment(request: Request, content: bytes, name: str, kind: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return finish(request, Response(content, media_type=MEDIA[kind], headers=headers))


@router.get("/downloads")
def downloads(request: Request, viewer: ViewerDep) -> Response:
    _require_exporter(viewer)
    return render(request, "downloads.html", {"nav": "downloads", "today": date.today()})


@router.post("/downloads/endpoints.{kind}")
def download_dataset(request: Request, viewer: ViewerDep, form: FormDep, kind: str) -> Response:
    """The endpoint dataset as CSV or Parquet (audited as an export)."""
    _require_exporter(viewer)
    if kind not in ("csv", "parquet"):
        raise NotFound("download", kind)
    with tempfile.TemporaryDirectory(prefix="remission-export-") as folder:
        path = Path(folder) / f"endpoints.{kind}"
        export_dataset(request.app.state.store, viewer.actor, path, ExportFormat(kind))
        content = path.read_bytes()
    return _attachment(request, content, f"remission-endpoints-{date.today().isoformat()}.{kind}", kind)


@router.post("/downloads/report.{kind}")
def download_report(request: Request, viewer: ViewerDep, form: FormDep, kind: str) -> Response:
    """The study report (HTML or PDF) at today's data cut; the dataset read is audited as an export."""
    from remission.stats.report import build_report, render_html, write_pdf

    _require_exporter(viewer)
    if kind not in ("html", "pdf"):
        raise NotFound("download", kind)
    store, cut = request.app.state.store, date.today()
    with store.session(viewer.actor) as session:
        if store.engine.dialect.name == "postgresql":
            session.connection(
                execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            )
        table = derive_endpoints(session, extended=True, as_of=cut)
    notes = [
        f"Dataset: {table.num_rows} rows derived at the data cut {cut} for {viewer.username} (web download)."
    ]
    synthetic = sum(str(key).startswith(SYNTHETIC_PREFIX) for key in table["patient_key"].to_pylist())
    if synthetic:
        notes.insert(
            0,
            f"{synthetic} patients ({SYNTHETIC_PREFIX}…) are SYNTHETIC demo data: their outcomes come from "
            "arbitrary demo parameters and mean nothing clinically.",
        )
    report = build_report(table, as_of=cut, title="remission study report", notes=notes)
    with store.session(viewer.actor) as session:
        note = f"format=report-{kind} rows={table.num_rows} as_of={cut} purpose=report (web)"
        record_event(session, AuditAction.EXPORT, AUDIT_ENTITY, None, None, note=note)
    if kind == "html":
        content = render_html(report).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="remission-report-") as folder:
            content = write_pdf(report, Path(folder) / "report.pdf").read_bytes()
    return _attachment(request, content, f"remission-report-{cut.isoformat()}.{kind}", kind)
