"""The fonts a PDF embeds, and text turned into ReportLab paragraph markup that every font can draw.

Clinical text holds more than Latin-1: µ, ×, ⁹, —, and Korean names of signers and staff. DejaVu Sans
(Debian's ``fonts-dejavu-core``) draws the Latin, Greek, Cyrillic and symbol characters;
NanumGothic (``fonts-nanum``) the Hangul and the Han characters DejaVu lacks. Both are TrueType
files embedded (as subsets) in the PDF, so the text is also extractable. ``make system-packages``
installs both.

Without DejaVu the PDF falls back to Helvetica, one of the PDF's standard fonts, and says so: every
character outside Windows-1252 is then printed as ``?``. A character no font has is printed with
DejaVu's blank glyph; no character makes rendering fail.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: Where Debian's packages put the fonts (``fonts-dejavu-core``, ``fonts-nanum``).
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
NANUM = Path("/usr/share/fonts/truetype/nanum")


@dataclass(frozen=True)
class Fonts:
    """The registered fonts: the body font, its bold, fallbacks for missing characters, and a note."""

    regular: str
    bold: str
    #: ``(font name, code points it draws)`` tried in order for a character the body font lacks.
    fallbacks: tuple[tuple[str, frozenset[int]], ...]
    #: Says what is missing when a fallback font is in use (empty when all fonts are present).
    note: str
    #: Whether text must be reduced to Windows-1252 (the standard-font fallback).
    latin_only: bool = False

    def markup(self, text: str) -> str:
        """``text`` as paragraph markup: escaped, with runs of characters the body font lacks set in a
        fallback font that has them."""
        if self.latin_only:
            return escape(text.encode("cp1252", errors="replace").decode("cp1252"))
        parts: list[str] = []
        run: list[str] = []
        run_font: str | None = None
        for char in text:
            font = self._font_for(char)
            if font != run_font and run:
                parts.append(_wrap("".join(run), run_font))
                run = []
            run_font = font
            run.append(char)
        if run:
            parts.append(_wrap("".join(run), run_font))
        return "".join(parts)

    def _font_for(self, char: str) -> str | None:
        point = ord(char)
        if point in _points(self.regular) or point < 0x80:
            return None
        for name, points in self.fallbacks:
            if point in points:
                return name
        return None


def _wrap(text: str, font: str | None) -> str:
    shown = escape(text)
    return shown if font is None else f'<font name="{font}">{shown}</font>'


@functools.cache
def _points(font_name: str) -> frozenset[int]:
    font = pdfmetrics.getFont(font_name)
    face = getattr(font, "face", None)
    mapping = getattr(face, "charToGlyph", None)
    # A glyph index of 0 is the font's "missing" glyph, not a real one.
    return frozenset(point for point, glyph in (mapping or {}).items() if glyph)


def _register(name: str, path: Path) -> bool:
    if not path.is_file():
        return False
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return True


@functools.cache
def pdf_fonts(dejavu: Path = DEJAVU, nanum: Path = NANUM) -> Fonts:
    """Register the fonts once per process and say which are in use."""
    if not (
        _register("DejaVuSans", dejavu / "DejaVuSans.ttf")
        and _register("DejaVuSans-Bold", dejavu / "DejaVuSans-Bold.ttf")
    ):
        note = (
            f"DejaVu Sans was not found in {dejavu} (Debian package fonts-dejavu-core): this PDF uses "
            "Helvetica, and characters outside Windows-1252 are printed as ?."
        )
        return Fonts("Helvetica", "Helvetica-Bold", (), note, latin_only=True)
    pdfmetrics.registerFontFamily(
        "DejaVuSans",
        normal="DejaVuSans",
        bold="DejaVuSans-Bold",
        italic="DejaVuSans",
        boldItalic="DejaVuSans-Bold",
    )
    fallbacks: list[tuple[str, frozenset[int]]] = []
    note = ""
    if _register("NanumGothic", nanum / "NanumGothic.ttf"):
        bold = (
            "NanumGothicBold"
            if _register("NanumGothicBold", nanum / "NanumGothicBold.ttf")
            else "NanumGothic"
        )
        pdfmetrics.registerFontFamily(
            "NanumGothic", normal="NanumGothic", bold=bold, italic="NanumGothic", boldItalic=bold
        )
        fallbacks.append(("NanumGothic", _points("NanumGothic")))
    else:
        note = (
            f"NanumGothic was not found in {nanum} (Debian package fonts-nanum): Hangul is printed as "
            "blank boxes (the text is still in the PDF)."
        )
    return Fonts("DejaVuSans", "DejaVuSans-Bold", tuple(fallbacks), note)
