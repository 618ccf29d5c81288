"""Downloads for the roles that may export: the de-identified endpoint dataset and the study report.

Both are POST forms with the CSRF token, since each download writes an ``export`` entry to the
audit trail. The dataset is written by :func:`remission.store.export_dataset`; the report is
built by :mod:`remission.stats.report` from the extended dataset the store hands out at today's
data cut (:func:`remission.store.read_endpoint_dataset`: role check, snapshot, audit entry).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from remission.demo import synthetic_note
from remission.store import (
    AccessDenied,
    Delivery,
    ExportFormat,
    NotFound,
    export_dataset,
    read_endpoint_dataset,
    read_report_tables,
)
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
        export_dataset(request.app.state.store, actor=viewer.actor, path=path, format=ExportFormat(kind))
        content = path.read_bytes()
    return _attachment(request, content, f"remission-endpoints-{date.today().isoformat()}.{kind}", kind)


@router.post("/downloads/report.{kind}")
def download_report(request: Request, viewer: ViewerDep, form: FormDep, kind: str) -> Response:
    """The study report (HTML or PDF) at today's data cut; the dataset read is audited as an export."""
    from remission.stats.report import build_report, render_html, write_pdf

    _require_exporter(viewer)
    if kind not in ("html", "pdf"):
        raise NotFound("download", kind)
    cut = date.today()
    read: list[pa.Table] = []

    def deliver(table: pa.Table) -> Delivery:
        read.append(table)
        return Delivery(f"report-{kind}")

    store = request.app.state.store
    read_endpoint_dataset(
        store, actor=viewer.actor, deliver=deliver, purpose="report (web)", extended=True, as_of=cut
    )
    (table,) = read
    who = f"for {viewer.username} (web download)"
    notes = [f"Dataset: {table.num_rows} rows derived at the data cut {cut} {who}."]
    if (warning := synthetic_note([str(key) for key in table["patient_key"].to_pylist()])) is not None:
        notes.insert(0, warning)
    protocols = sorted(str(p) for p in table["protocol_id"].drop_null().unique().to_pylist())
    # The study flow and adverse events of the first protocol, as the CLI's report has them.
    tables = (
        read_report_tables(store, actor=viewer.actor, protocol_id=protocols[0], as_of=cut)
        if protocols
        else None
    )
    report = build_report(
        table,
        as_of=cut,
        title="remission study report",
        notes=notes,
        flow=tables.flow if tables else None,
        flow_protocol=tables.protocol_id if tables else None,
        adverse_events=tables.adverse_events if tables else None,
    )
    if kind == "html":
        content = render_html(report).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="remission-report-") as folder:
            content = write_pdf(report, Path(folder) / "report.pdf").read_bytes()
    return _attachment(request, content, f"remission-report-{cut.isoformat()}.{kind}", kind)
