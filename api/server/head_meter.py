"""A request head measured as its bytes arrive, before uvicorn's parser holds them
(``api.server.protocol`` refuses a request line over its limit with a 414, a head with a 431).
"""

from __future__ import annotations

from typing import Final

_LINE_ENDS: Final = (b"\n\r\n", b"\n\n")  # the blank line that ends a head


class HeadMeter:
    """Sizes of a request head fed to it as its bytes arrive: the request line (up to its line
    feed, without a CR) and the whole head (up to and including the blank line)."""

    __slots__ = ("_tail", "ended", "line", "max_head", "max_line", "size")

    def __init__(self, max_line: int, max_head: int) -> None:
        self.max_line, self.max_head = max_line, max_head
        self.size = 0  # head bytes seen so far
        self.line: int | None = None  # the request line's length, once its end has arrived
        self.ended = False  # the blank line has arrived: what follows is a body
        self._tail = b""  # the last two head bytes: a line end can span two reads

    def feed(self, data: bytes) -> int | None:
        """Take the next bytes; the status to refuse with (414 or 431) once a limit is passed."""
        end = self._end_of_head(data)
        head = data if end is None else data[:end]
        if self.line is None:
            newline = head.find(b"\n")
            if newline >= 0:
                previous = head[newline - 1 : newline] if newline else self._tail[-1:]
                self.line = self.size + newline - (previous == b"\r")
            elif self.size + len(head) > self.max_line:
                return 414
        self.size += len(head)
        self._tail = (self._tail + head[-2:])[-2:]
        self.ended = end is not None
        if self.line is not None and self.line > self.max_line:
            return 414
        return 431 if self.size > self.max_head else None

    def _end_of_head(self, data: bytes) -> int | None:
        """Where in ``data`` the head ends (just past its blank line), if it does."""
        if self._tail:  # a head in one read (the usual case) has no earlier bytes to join
            spanning = self._tail + data[:2]
            found = [at + len(end) for end in _LINE_ENDS if (at := spanning.find(end)) >= 0]
            if found:
                return min(found) - len(self._tail)
        found = [at + len(end) for end in _LINE_ENDS if (at := data.find(end)) >= 0]
        return min(found) if found else None
