"""The XML parts of a workbook, streamed: expat events by element local name, under the limits
on nesting, different names and tag sizes, fed in chunks so that a caller can hand rows on."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Final
from xml.parsers import expat

from stations.files.limits import (
    MAX_XLSX_FORMATS,
    MAX_XML_DEPTH,
    MAX_XML_NAMES,
    MAX_XML_TOKEN_BYTES,
    Cancelled,
    stop_if_cancelled,
)
from stations.files.xlsx.archive import mib

_CHUNK: Final = 1 << 16


class Events:
    """Expat handlers of one XML part; elements arrive by local name (any prefix dropped), at
    most MAX_XML_DEPTH deep, with at most MAX_XML_NAMES different names in the part."""

    def __init__(self) -> None:
        self.depth = 0
        self._local: dict[str, str] = {}  # element name → local name
        self._attributes: set[str] = set()  # attribute names seen

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise ValueError(f"XML elements nested more than {MAX_XML_DEPTH} deep")
        if attrs and not self._attributes.issuperset(attrs):
            self._learn(attrs)
        self.opened(self._local.get(name) or self._localise(name), attrs)

    def end(self, name: str) -> None:
        self.depth -= 1
        self.closed(self._local.get(name) or self._localise(name))

    def _localise(self, name: str) -> str:
        self._count_names(1)
        local = self._local[name] = name.rpartition(":")[2]
        return local

    def _learn(self, attrs: dict[str, str]) -> None:
        self._count_names(len(attrs))
        self._attributes.update(attrs)

    def _count_names(self, more: int) -> None:
        if len(self._local) + len(self._attributes) + more > MAX_XML_NAMES:
            raise ValueError(f"more than {MAX_XML_NAMES:,} different XML names in one part")

    def opened(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def closed(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def feed(
    archive: zipfile.ZipFile, part: str, events: Events, cancelled: Cancelled | None
) -> Iterator[None]:
    """Parse ``part`` into ``events`` chunk by chunk, yielding after each chunk so that the
    caller can hand on what the handlers collected."""
    parser = expat.ParserCreate()
    parser.buffer_text = True  # one text event per text node (up to a chunk), not per line
    parser.buffer_size = _CHUNK
    parser.StartElementHandler = events.start
    parser.EndElementHandler = events.end
    parser.CharacterDataHandler = events.text
    parser.StartDoctypeDeclHandler = _no_doctype  # so no entity can be declared, let alone grow
    fed = 0
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - parser.CurrentByteIndex > MAX_XML_TOKEN_BYTES:
                raise ValueError(f"{part} has a tag over {mib(MAX_XML_TOKEN_BYTES)} long")
            stop_if_cancelled(cancelled)
            yield
    parser.Parse(b"", True)
    yield


def _no_doctype(*_: object) -> None:
    raise ValueError("a document type declaration, which a workbook never has")


def parse(archive: zipfile.ZipFile, part: str, events: Events, cancelled: Cancelled | None) -> None:
    """Parse ``part`` into ``events`` whole."""
    for _ in feed(archive, part, events, cancelled):
        pass


class Elements(Events):
    """The attributes of every element with one of ``names``, in document order."""

    def __init__(self, *names: str) -> None:
        super().__init__()
        self.names = frozenset(names)
        self.found: list[tuple[str, dict[str, str]]] = []

    def opened(self, name: str, attrs: dict[str, str]) -> None:
        if name in self.names:
            if len(self.found) >= MAX_XLSX_FORMATS:
                raise ValueError(f"more than {MAX_XLSX_FORMATS:,} {name} elements")
            self.found.append((name, attrs))


def attr(attrs: dict[str, str], local: str) -> str | None:
    """An attribute by local name (``r:id`` is ``id``)."""
    for name, value in attrs.items():
        if name.rpartition(":")[2] == local:
            return value
    return None
