"""Human-readable documents made from the store: the casebook PDF.

This layer sits below the store in DESIGN.md's order, like ``interop/``: it reads through the
store's public API (``remission.store``) and nothing below it, and the API, the web pages and the
command line use it.
"""

from __future__ import annotations

from remission.documents.casebook_export import PDF_FORMAT, casebook_pdf_bytes, write_casebook_pdf
from remission.documents.casebook_pdf import casebook_pdf
from remission.documents.pdf_fonts import Fonts, pdf_fonts

__all__ = ["PDF_FORMAT", "Fonts", "casebook_pdf", "casebook_pdf_bytes", "pdf_fonts", "write_casebook_pdf"]
