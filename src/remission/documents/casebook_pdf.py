"""A patient's casebook as a PDF: the human-readable form of the signed record (21 CFR Part 11 §11.50).

The store decides what the reader may see (:func:`remission.store.read_casebook`); this module lays
it out with ReportLab: a cover with the protocol versions, the lock state and every signature
(printed name, date and time in UTC, meaning, valid or invalidated), then every form with its
values, missing-data codes, signatures, SDV status and queries (each with its whole thread), and
the audit trail as an appendix. Every page names the study id, its number of the total, when (UTC)
and for whom it was generated.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle

from remission.documents.pdf_fonts import Fonts, pdf_fonts
from remission.store import (
    Casebook,
    CasebookCode,
    CasebookForm,
    CasebookLock,
    CasebookQuery,
    CasebookSignature,
    SDVLine,
)

#: Longest value printed whole; longer ones are cut and say how long they were.
MAX_VALUE_CHARS = 600
_MARGIN = 18 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
)


def utc(moment: datetime | None) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS UTC`` (``—`` when there is none)."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def value_text(value: Any) -> str:
    """A recorded value in words: ``—`` for none, yes/no, numbers as stored, lists and records as JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, list | tuple) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(str(item) for item in value) if value else "none"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def shortened(text: str) -> str:
    """``text``, cut after :data:`MAX_VALUE_CHARS` characters with how long it was."""
    if len(text) <= MAX_VALUE_CHARS:
        return text
    return f"{text[:MAX_VALUE_CHARS]} … (cut: {len(text)} characters in all)"


def code_text(code: CasebookCode) -> str:
    """A missing-data code with its note, who recorded it and when."""
    note = f" — {code.note}" if code.note else ""
    return f"{code.code}{note} (recorded by {code.recorded_by}, {utc(code.recorded_at)})"


def signature_text(signature: CasebookSignature) -> str:
    """One signature in words: unit, meaning, printed name, UTC time and state (§11.50)."""
    if signature.signed_at is None:
        required = f", required by {signature.protocol_id}" if signature.protocol_id else ""
        return f"{signature.unit}: {signature.meaning} — {signature.state}{required}"
    text = (
        f"{signature.unit}: signed by {signature.signer_name} ({signature.signer_username}) "
        f"on {utc(signature.signed_at)}, meaning: {signature.meaning} — {signature.state}"
    )
    if signature.invalidated_at is not None:
        text += f" since {utc(signature.invalidated_at)}"
        if signature.invalidated_because:
            text += f": {signature.invalidated_because}"
    return text


def lock_text(lock: CasebookLock | None) -> str:
    """The freeze or lock in words, or that there is none."""
    if lock is None:
        return "not frozen or locked"
    what = {"study": "the study's data", "site": "this site's data", "casebook": "this casebook"}.get(
        lock.level, "this form"
    )
    reason = f" ({lock.reason})" if lock.reason else ""
    return f"{lock.state}: {what} since {utc(lock.set_at)} by {lock.set_by}{reason}"


def sdv_text(line: SDVLine) -> str:
    """One SDV item and its state."""
    detail = f" — {line.detail}" if line.detail else ""
    return f"{line.item}: {line.state}{detail}"


def query_lines(query: CasebookQuery) -> list[str]:
    """A query's heading line, then one line per message of its thread."""
    on = f" on {query.field}" if query.field else ""
    check = f", edit check {query.check_id}" if query.check_id else ""
    head = f"Query #{query.id}{on}: {query.state} (opened by {query.opened_by}{check})"
    thread = [
        f"{utc(m.at)} · {m.username} · {m.action}{' (automatic)' if m.automatic else ''}: {m.text}"
        for m in query.messages
    ]
    return [head, *thread]


class _Styles:
    def __init__(self, fonts: Fonts) -> None:
        sheet = getSampleStyleSheet()
        self.fonts = fonts
        self.title = ParagraphStyle("title", parent=sheet["Title"], fontName=fonts.bold, fontSize=16)
        self.h2 = ParagraphStyle("h2", parent=sheet["Heading2"], fontName=fonts.bold, fontSize=12)
        self.h3 = ParagraphStyle(
            "h3", parent=sheet["Heading3"], fontName=fonts.bold, fontSize=10, spaceBefore=8
        )
        self.body = ParagraphStyle(
            "body", parent=sheet["Normal"], fontName=fonts.regular, fontSize=8.5, leading=11
        )
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7.5, leading=9.2)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=6.5, leading=8)
        self.line = ParagraphStyle("line", parent=self.cell, leftIndent=10)
        self.thread = ParagraphStyle("thread", parent=self.cell, leftIndent=22)
        self.entry = ParagraphStyle(
            "entry", parent=self.small, leftIndent=12, firstLineIndent=-12, spaceAfter=1
        )

    def p(self, text: str, style: ParagraphStyle | None = None, *, bold: bool = False) -> Paragraph:
        shown = self.fonts.markup(text)
        return Paragraph(f"<b>{shown}</b>" if bold else shown, style or self.body)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        style: ParagraphStyle,
    ) -> Table:
        cells = [[self.p(text, style, bold=True) for text in header]]
        cells += [[self.p(shortened(text), style) for text in row] for row in rows]
        table = Table(cells, colWidths=[_WIDTH * w for w in widths], repeatRows=1, hAlign="LEFT")
        table.setStyle(_GRID)
        return table


def _cover(casebook: Casebook, s: _Styles) -> list[Flowable]:
    protocols = "; ".join(f"{pid} version {version}" for pid, version in casebook.protocols) or "not enrolled"
    dob = (
        "shown (a role of the patient's site)"
        if casebook.identifiers_shown
        else "withheld: only roles of the patient's site see the date of birth"
    )
    audit = (
        f"included as the appendix ({len(casebook.audit)} entries)"
        if casebook.audit is not None
        else "withheld"
    )
    facts = [
        ("Study id", casebook.study_id),
        ("Site", casebook.site),
        ("Protocol versions", protocols),
        ("Freeze or lock", lock_text(casebook.lock)),
        ("Generated", f"{utc(casebook.generated_at)} for {casebook.generated_by}"),
        (
            "Date of birth",
            f"{dob}; direct identifiers (name, record number, contact) are never in a casebook",
        ),
        ("Audit trail", audit),
        ("Source data verification", casebook.sdv.note or f"{len(casebook.sdv.lines)} required items"),
    ]
    if s.fonts.note:
        facts.append(("Fonts", s.fonts.note))
    story: list[Flowable] = [
        s.p(f"Casebook of {casebook.study_id}", s.title),
        s.table(("", ""), facts, (0.25, 0.75), s.body),
        s.p("Electronic signatures (21 CFR Part 11 §11.50: printed name, date and time, meaning)", s.h2),
    ]
    if casebook.signatures:
        rows = [
            (
                sig.unit,
                sig.meaning,
                f"{sig.signer_name} ({sig.signer_username})" if sig.signer_name else "—",
                utc(sig.signed_at),
                _state(sig),
            )
            for sig in casebook.signatures
        ]
        header = ("Unit", "Meaning", "Printed name (user)", "Signed (UTC)", "State")
        story.append(s.table(header, rows, (0.19, 0.14, 0.21, 0.16, 0.30), s.cell))
    else:
        story.append(s.p("No signatures are stored or required for this casebook."))
    return story


def _state(signature: CasebookSignature) -> str:
    if signature.invalidated_at is not None:
        because = f": {signature.invalidated_because}" if signature.invalidated_because else ""
        return f"{signature.state} (since {utc(signature.invalidated_at)}{because})"
    if signature.signed_at is None and signature.protocol_id:
        return f"{signature.state} (required by {signature.protocol_id})"
    return signature.state


def _form(form: CasebookForm, s: _Styles) -> list[Flowable]:
    head = s.p(f"{form.title} ({form.key})", s.h3)
    parts: list[Flowable] = []
    if form.lock is not None:
        parts.append(s.p(f"Lock: {lock_text(form.lock)}", s.line))
    if form.fields:
        rows = [(f.name, value_text(f.value), code_text(f.code) if f.code else "") for f in form.fields]
        parts.append(s.table(("Field", "Value", "Missing-data code"), rows, (0.28, 0.42, 0.30), s.cell))
    for name in form.omitted:
        parts.append(
            s.p(f"{name}: the stored decision trace (shown on the patient page; not printed)", s.line)
        )
    parts.extend(s.p(f"Signature: {signature_text(sig)}", s.line) for sig in form.signatures)
    parts.extend(s.p(f"SDV: {sdv_text(line)}", s.line) for line in form.sdv)
    for query in form.queries:
        head_line, *thread = query_lines(query)
        parts.append(s.p(head_line, s.line))
        parts.extend(s.p(line, s.thread) for line in thread)
    # The heading stays with the start of its table; a long table still breaks across pages.
    return [KeepTogether([head, *parts[:1]]), *parts[1:]]


def audit_line(entry: Mapping[str, Any]) -> str:
    """One audit entry in words: number, UTC time, user, action, record, field, old → new value, reason."""
    record = f"{entry['entity']} {entry['entity_id'] if entry['entity_id'] is not None else ''}".strip()
    field = f" · {entry['field']}" if entry["field"] else ""
    change = shortened(f"{entry['old_value'] or '—'} → {entry['new_value'] or '—'}")
    reason = f" · reason: {entry['reason']}" if entry["reason"] else ""
    at = str(entry["at"]).replace("T", " ")
    return f"#{entry['seq']} {at} · {entry['username']} · {entry['action']} {record}{field}: {change}{reason}"


def _audit(casebook: Casebook, s: _Styles) -> list[Flowable]:
    story: list[Flowable] = [s.p("Appendix: audit trail", s.h2)]
    if casebook.audit is None:
        return [*story, s.p(casebook.audit_note)]
    story.append(
        s.p(
            "Every entry of this patient's records in chain order (times in UTC). Values longer than "
            f"{MAX_VALUE_CHARS} characters are cut; the full entry is in the audit trail under its number. "
            "This casebook's own export entry is written after it was generated."
        )
    )
    # One paragraph per entry, not a table row: thousands of table cells make ReportLab slow.
    story.extend(s.p(audit_line(entry), s.entry) for entry in casebook.audit)
    return story


def _story(casebook: Casebook, s: _Styles) -> list[Flowable]:
    story = _cover(casebook, s)
    story.append(s.p("Forms", s.h2))
    for form in casebook.forms:
        story.extend(_form(form, s))
    if casebook.calendar_codes:
        story.append(s.p("Scheduled assessments recorded as missing", s.h3))
        story.extend(s.p(f"{code.item}: {code_text(code)}", s.line) for code in casebook.calendar_codes)
    if casebook.other_queries:
        story.append(s.p("Queries on records no longer stored", s.h3))
        for query in casebook.other_queries:
            story.extend(s.p(line, s.line) for line in query_lines(query))
    story.append(s.p("Source data verification", s.h2))
    if casebook.sdv.note:
        story.append(s.p(casebook.sdv.note))
    if casebook.sdv.lines:
        rows = [(line.item, line.state, line.detail) for line in casebook.sdv.lines]
        story.append(s.table(("Item", "State", "Detail"), rows, (0.4, 0.15, 0.45), s.cell))
    story.extend(_audit(casebook, s))
    return story


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back until the end, so each can say ``page x of y``."""

    def __init__(self, *args: Any, header: str, footer: str, fonts: Fonts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._header, self._footer, self._fonts = header, footer, fonts

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's page reset, not in the stubs

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._frame(number, total)
            super().showPage()
        super().save()

    def _frame(self, number: int, total: int) -> None:
        width, height = A4
        style = ParagraphStyle("frame", fontName=self._fonts.regular, fontSize=7.5, leading=9)
        for text, y in ((self._header, height - 12 * mm), (self._footer, 9 * mm)):
            # A paragraph, not drawString: a Korean name needs the fallback font.
            line = Paragraph(self._fonts.markup(text), style)
            line.wrapOn(self, _WIDTH - 30 * mm, 12 * mm)
            line.drawOn(self, _MARGIN, y)
        self.setFont(self._fonts.regular, 7.5)
        self.drawRightString(width - _MARGIN, height - 12 * mm, f"page {number} of {total}")


def casebook_pdf(casebook: Casebook, *, fonts: Fonts | None = None) -> bytes:
    """The casebook as PDF bytes (A4), in ``fonts`` (default: :func:`pdf_fonts`, those installed)."""
    fonts = fonts or pdf_fonts()
    styles = _Styles(fonts)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=18 * mm,
        bottomMargin=16 * mm,
        title=f"Casebook {casebook.study_id}",
        author="remission",
        subject=f"Casebook of {casebook.study_id}, generated {utc(casebook.generated_at)}",
    )
    maker = functools.partial(
        _NumberedCanvas,
        header=f"Casebook {casebook.study_id} · site {casebook.site}",
        footer=f"Generated {utc(casebook.generated_at)} for {casebook.generated_by}",
        fonts=fonts,
    )
    document.build(_story(casebook, styles), canvasmaker=maker)
    return buffer.getvalue()
