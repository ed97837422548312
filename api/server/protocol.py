"""uvicorn's HTTP protocol with deadlines and size limits on what a client sends.

uvicorn (measured with 0.54, h11) keeps a connection open for as long as its client takes to
send a request head or body, so a few hundred slow clients hold as many sockets forever; it
reads a request line or head of any size that arrives in one piece, and one that arrives in
several is cut at 16 KiB with a 400 and a close that resets the connection while the client is
still sending, so the client sees a reset instead of an answer. This protocol class adds, per
connection:

* a head deadline: the request head must arrive whole within ``header_timeout_s`` of the
  connection's opening (on a kept-alive connection, of the request's first byte; uvicorn's own
  5 s keep-alive closes one idle between requests). Part of a head and no more: 408; nothing
  at all: a plain close, as uvicorn's keep-alive does (a 408 there could answer a request the
  client is sending at that very moment);
* a body deadline: the body may pause at most ``body_timeout_s`` between bytes, 408 after, even
  while the application waits in ``receive()`` (it then sees the client disconnect);
* head sizes measured as the bytes arrive, before the parser holds them
  (``api.server.head_meter``): a request line over ``max_request_line`` is a 414, a head over
  ``max_request_head`` a 431;
* a connection cap: a connection opened beyond ``max_connections`` is answered 503 with
  Retry-After at once, without waiting for its request (uvicorn's ``limit_concurrency`` waits
  for one, so connections that never send one pile up until the descriptors run out); beyond
  ``max_open`` it is reset.

Every refusal is problem+json with ``Connection: close`` (``api.server.refusals``), followed
by a lingering close: the server stops writing and reads (and drops) what the client still
sends for up to LINGER_S, so that closing does not reset the connection before the client has
read the answer.

Only attributes uvicorn's h11 and httptools protocols share are used (``cycle``, ``flow``,
``connections``, ``on_response_complete``), so the class is built on uvicorn's ``auto`` choice:
httptools when it is installed, h11 otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import TYPE_CHECKING, ClassVar, Final, cast

from api.server.head_meter import HeadMeter
from api.server.limits import ServerLimits
from api.server.refusals import Refusals

if TYPE_CHECKING:  # the shared interface, for the type checker; at run time a mixin
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol
else:
    _Protocol = object

#: How long a refused connection is read (and dropped) before it is closed regardless.
LINGER_S: Final = 2.0
#: Refusals are logged as counts, at most once per this many seconds: a flood of slow clients
#: must not become a flood of log lines.
REPORT_EVERY_S: Final = 10.0

_HEAD, _BODY, _APP = "head", "body", "app"


class RefusalLog:
    """Counts refusals by kind (a status, or "reset") and logs the counts: at once for the
    first, then at most once per REPORT_EVERY_S."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.counts: Counter[str] = Counter()
        self.next_report = 0.0
        self.flush: asyncio.TimerHandle | None = None

    def add(self, kind: str, loop: asyncio.AbstractEventLoop) -> None:
        self.counts[kind] += 1
        if loop.time() >= self.next_report:
            self._report(loop)
        elif self.flush is None:
            self.flush = loop.call_at(self.next_report, self._report, loop)

    def _report(self, loop: asyncio.AbstractEventLoop) -> None:
        self.flush = None
        counts = ", ".join(f"{n} × {kind}" for kind, n in sorted(self.counts.items()))
        self.logger.warning("Refused slow, oversized or surplus clients: %s", counts)
        self.counts.clear()
        self.next_report = loop.time() + REPORT_EVERY_S


class _Deadlines(_Protocol):
    """The limits, mixed into uvicorn's protocol class (see ``protocol_class``)."""

    limits: ClassVar[ServerLimits]
    refusals: ClassVar[Refusals]
    refusal_log: ClassVar[RefusalLog]

    # Per connection.
    _waiting: tuple[str, object] = ("", None)  # what the connection waits for, for which cycle
    _deadline: float | None = None  # when the current wait runs out
    _timer: asyncio.TimerHandle | None = None  # fires at or before the deadline
    _meter: HeadMeter | None = None  # measures the next head, when where it starts is known
    _refused = False
    _linger: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        open_now = len(self.connections)  # this one included
        if open_now > self.limits.max_open:
            self.transport.abort()
            self.refusal_log.add("reset", self.loop)
        elif open_now > self.limits.max_connections:
            self._refuse(self.refusals.busy, 503)
        else:
            self._follow()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # read and dropped while lingering
        if self._meter is not None:
            if self._meter.size == 0 and self.cycle is not None:
                # The first byte of a request on a kept-alive connection: its head gets the
                # whole header timeout from now (the wait before it is uvicorn's keep-alive).
                self._set_deadline(self.loop.time() + self.limits.header_timeout_s)
            status = self._meter.feed(data)
            if status == 414:
                self._refuse(self.refusals.line_too_long, status)
                return
            if status == 431:
                self._refuse(self.refusals.head_too_large, status)
                return
            if self._meter.ended:
                self._meter = None  # the rest is a body, the parser's business
        elif self._waiting[0] == _BODY:
            self._deadline = self.loop.time() + self.limits.body_timeout_s
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._timer, self._linger):
            if timer is not None:
                timer.cancel()
        self._timer = self._linger = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if not self._refused:  # a refused connection closes by itself within LINGER_S
            super().shutdown()

    def _follow(self) -> None:
        """Set the deadline for what the connection waits for now; called after every event
        that can change it."""
        if self._refused or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            waiting = (_HEAD, cycle)
        elif cycle.more_body:
            waiting = (_BODY, cycle)
        else:
            waiting = (_APP, cycle)  # the application has the request: its time, not ours
        if waiting == self._waiting:
            return
        self._waiting = waiting
        self._meter = None
        now = self.loop.time()
        if waiting[0] == _HEAD:
            # After an early answer (e.g. a 401 before the body was read) the rest of the old
            # body still comes first: the next head's start is unknown, so it is not measured
            # (the parser's own limit applies), but the deadline is.
            if cycle is None or not cycle.more_body:
                limits = self.limits
                self._meter = HeadMeter(limits.max_request_line, limits.max_request_head)
            self._set_deadline(now + self.limits.header_timeout_s)
        elif waiting[0] == _BODY:
            self._set_deadline(now + self.limits.body_timeout_s)
        else:
            self._deadline = None

    def _set_deadline(self, deadline: float) -> None:
        # One timer per connection, moved only when the deadline comes earlier: a timer that
        # fires before a later deadline re-arms itself for it (no timer churn per request).
        self._deadline = deadline
        if self._timer is None or self._timer.when() > deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None or self._refused or self.transport.is_closing():
            return
        if self.transport.get_protocol() is not self:
            return  # upgraded (a WebSocket): the connection is no longer an HTTP one
        now = self.loop.time()
        if now < deadline:
            self._timer = self.loop.call_at(deadline, self._on_timer)
        elif self._waiting[0] == _HEAD:
            self._head_expired()
        elif self._waiting[0] == _BODY:
            self._body_expired(now)

    def _head_expired(self) -> None:
        if self._meter is not None and self._meter.size > 0:
            self._refuse(self.refusals.head_timeout, 408)
        else:
            self.transport.close()  # idle: closed as uvicorn closes an idle kept-alive one

    def _body_expired(self, now: float) -> None:
        if self.flow.read_paused:
            # uvicorn stopped reading because the application has not taken what arrived:
            # the wait is the application's, not the client's.
            self._set_deadline(now + self.limits.body_timeout_s)
        elif self.cycle.response_started:
            self.transport.close()  # too late for a 408
        else:
            self._refuse(self.refusals.body_timeout, 408)

    def _refuse(self, response: bytes, status: int) -> None:
        """Answer ``response``, then close lingering (see the module's docstring)."""
        self._refused = True
        self._deadline = None
        self._unset_keepalive_if_required()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # The application sees a client that went away: receive() gives http.disconnect
            # and its answer, if any, goes nowhere (as when uvicorn loses a connection).
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.write(response)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()  # read to the client's EOF, which closes the transport
        self._linger = self.loop.call_later(LINGER_S, self.transport.abort)
        self.refusal_log.add(str(status), self.loop)


def protocol_class(limits: ServerLimits) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (its ``auto`` choice) with ``limits``; for ``uvicorn.Config``'s
    ``http`` option."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    namespace = {
        "limits": limits,
        "refusals": Refusals.for_limits(limits),
        "refusal_log": RefusalLog(logging.getLogger("uvicorn.error")),  # as uvicorn's own
    }
    return cast(
        "type[asyncio.Protocol]",
        type("YizhanHTTPProtocol", (_Deadlines, AutoHTTPProtocol), namespace),
    )
