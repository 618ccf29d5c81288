"""Writing ODM XML one element at a time, so an export never holds the document in memory.

A thin layer over :class:`xml.sax.saxutils.XMLGenerator` (the standard library escapes text and
attribute values); attributes whose value is ``None`` are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

#: The ODM 1.3 namespace (ODM 1.3.2 keeps the namespace of 1.3).
ODM_NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"

Attributes = Mapping[str, str | None]


class XmlWriter:
    """Elements written in document order to a binary stream (UTF-8)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._out = XMLGenerator(stream, encoding="utf-8", short_empty_elements=True)

    def declaration(self) -> None:
        """The XML declaration (only at the start of a document)."""
        self._out.startDocument()

    @contextmanager
    def element(self, tag: str, attributes: Attributes | None = None) -> Iterator[None]:
        """An element whose children are written inside the ``with`` block."""
        self._out.startElement(tag, _present(attributes))
        yield
        self._out.endElement(tag)

    def leaf(self, tag: str, attributes: Attributes | None = None, text: str | None = None) -> None:
        """An element with at most text inside."""
        self._out.startElement(tag, _present(attributes))
        if text:
            self._out.characters(text)
        self._out.endElement(tag)

    def translated(self, tag: str, text: str) -> None:
        """An element holding one ``TranslatedText`` (Description, Question, Decode, …)."""
        with self.element(tag):
            self.leaf("TranslatedText", {"xml:lang": "en"}, text)


def _present(attributes: Attributes | None) -> AttributesImpl[str]:
    return AttributesImpl({key: value for key, value in (attributes or {}).items() if value is not None})
