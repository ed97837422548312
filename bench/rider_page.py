"""The rider's page on a slow phone network: bytes of a first and a repeat visit, and the time
from a position to the first result (issue 12, item 5).

Run from the repository root (``make bench-rider-page`` does)::

    .venv/bin/python bench/rider_page.py [--profiles slow4g,3g] [--runs 10] [--quiet-ms 1000]
                                         [--cpu-slowdown 1] [--csv stations/data/demo_stations.csv]
                                         [--chromium /usr/bin/chromium]

It needs Debian's Chromium at /usr/bin/chromium (``make chromium``); Playwright's own browser
download is never used. What it does, loopback only:

1. Imports the demo stations through the public command line (``yizhan import CSV --db
   TMP/s.gpkg``, a temporary directory removed at exit) and starts ``yizhan serve`` on a free
   port (its output goes to a file there); ready when ``GET /healthz`` answers 200.
2. Starts a counting TCP proxy in this process on another free port: the browser talks to the
   server only through it (the page's origin is the proxy's ``http://127.0.0.1:PORT``, a secure
   context, so the service worker runs). It counts every byte each way and splits them per
   HTTP/1.1 exchange (request line, status, bytes): the server's side of the truth, which also
   sees what DevTools does not show on the page or the worker (the browser's own fetch of
   ``/sw.js`` on registration and on update checks).
3. Launches headless Chromium with the tests' flags (tests/api/test_rider_page.py). Every host
   but 127.0.0.1 resolves to nothing (``--host-resolver-rules``), so a map tile request is
   aborted inside the browser before any connection: tiles never count and nothing leaves the
   machine; DevTools' ``Network.loadingFailed`` events for other hosts are the "tiles blocked"
   count. (Playwright's ``route`` is not used for this: routing turns the HTTP cache off and
   passes every request through Playwright, which would change what is measured.)
4. For each network profile, a fresh browser context (empty HTTP cache, no service worker, no
   storage): a phone (390×844, touch, zh-CN, Asia/Shanghai) allowed to locate, at 34.2610 N
   108.9423 E (碑林区, Xi'an, among the demo stations). A DevTools session on the page
   (``context.new_cdp_session(page)``) enables ``Network``, sets
   ``Network.emulateNetworkConditions`` and auto-attaches (``Target.setAutoAttach``, paused on
   start, non-flat: Playwright's CDPSession cannot address a flat child session) to the service
   worker's target, which gets the same ``Network.enable`` and conditions: DevTools throttles
   per target, and the worker's fetches (its precache, the nearest-station answers it passes
   through) would otherwise go unthrottled and unseen. Playwright's own session may let the
   worker run before these commands arrive; when any worker request of the first visit then
   reaches the server unseen by DevTools (so unthrottled), the first visit is done again in a
   fresh context (up to 3 attempts, each said). That the timed searches go through the
   throttled worker is checked and printed (nearest requests seen on its target).

   a. First visit: ``GET /`` until the page is idle: the load event, the service worker
      installed and controlling the page, then no request in flight (DevTools on both targets,
      and the proxy) for ``--quiet-ms``. Bytes: the sum of ``encodedDataLength`` of
      ``Network.loadingFinished`` (headers included) on the page and on the worker (its
      precache: included, and shown apart), and the proxy's server → browser bytes. The target
      is judged on the proxy's figure: all a phone downloads before map tiles, ``/sw.js``
      included.
   b. One tap on the locate button, so the page keeps an answer (as after a rider's first use).
   c. Repeat visit: a reload in the same context, the worker active. Each request's source
      (service worker's cache, service worker → network, memory cache, disk cache, network) as
      DevTools reports it, with the proxy's bytes. The page's own files must cost 0 bytes from
      the network (judged on the proxy; DevTools' count is printed beside it); the
      nearest-station answer (the page asks again for its kept position) and the browser's
      update check of ``/sw.js`` (the Service Workers spec's, not the page's) are shown apart
      and allowed.
   d. ``--runs`` times: the kept answer removed, a reload (served by the worker), a
      MutationObserver on ``#list`` and a capturing click listener installed, then a tap on
      ``#locate``; the time is ``performance.now()`` in the page from the click to the first
      ``#list .result`` card in the DOM. The emulated geolocation answers at once, so this is
      the search: the fetch through the service worker (network-first) to the server and back
      over the throttled link, and the rendering. p50 and max are printed, and the nearest
      request's own time (Resource Timing, as the page saw it).

Targets (the first profile, Slow 4G by default): first visit ≤ 200 KB before map tiles (200 KB
= 200,000 bytes; the script says so when the figure falls between that and 204,800, 200 KiB);
repeat visit, the page's files 0 bytes from the network; position → first result ≤ 1.5 s,
judged on p50 (the max is printed next to it, not judged). Other profiles' figures are printed,
not judged. Printed too, not judged: the Content-Encoding of the first visit's answers, its
largest files, and a what-if: the same first visit had its 200 bodies been gzip-compressed
(level 6, computed here from the server's bodies).

Profiles (``Network.emulateNetworkConditions``; 1 kbps = 1,000 bit/s as the brief counts, 1.6
Mbps = 1,638,400 bit/s as Lighthouse writes 1.6 × 1024 kbps):
``slow4g`` is Lighthouse's mobile preset "Slow 4G": 150 ms RTT, 1.6 Mbps down (204,800 B/s),
750 kbps up (93,750 B/s); ``3g`` is "Regular 3G"-like: 300 ms, 750 kbps down (93,750 B/s), 250
kbps up (31,250 B/s).

Timing notes: DevTools throttling delays each request's response by the latency and meters
each body through the throughput; it does not model TCP slow start or connection set-up (which
is why Lighthouse's own DevTools mode multiplies the RTT by 3.75), and responses share the
throughput per target, not one radio: these are figures for a phone on a steady link, not a
field measurement. Map tiles fail at once here, where on a phone they compete for the link. The
browser's own fetch of ``/sw.js`` is not throttled (it belongs to no target). ``--cpu-slowdown``
(``Emulation.setCPUThrottlingRate``, Lighthouse uses 4) is off by default. Chromium, the
server and this script share the machine's cores with whatever else runs on it; the load
average is printed. This is a script, not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Geolocation,
    Page,
    ViewportSize,
    sync_playwright,
)

_ROOT: Final = Path(__file__).resolve().parents[1]
DEMO_CSV: Final = _ROOT / "stations" / "data" / "demo_stations.csv"
CHROMIUM: Final = Path("/usr/bin/chromium")
#: As tests/api/test_rider_page.py launches it: every host but 127.0.0.1 resolves to nothing.
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
PHONE: Final[ViewportSize] = {"width": 390, "height": 844}
#: A rider in 碑林区, Xi'an, among the demo stations (WGS-84), located to 20 m.
RIDER: Final[Geolocation] = {"latitude": 34.2610, "longitude": 108.9423, "accuracy": 20}
API: Final = "/v1/"
NEAREST: Final = "/v1/stations/nearest"
SERVICE_WORKER: Final = "/sw.js"
FIRST_VISIT_TARGET_B: Final = 200_000
FIRST_RESULT_TARGET_MS: Final = 1500.0
STARTUP_S: Final = 60.0
ATTEMPTS: Final = 3  # first visits, when the worker's DevTools session comes too late
WAIT_S: Final = 30.0


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<58} {value:>24}  {note}".rstrip(), flush=True)


def kb(n: float) -> str:
    return f"{n:,.0f} B ({n / 1000:,.1f} KB)"


@dataclass
class Targets:
    """Every target of the run, printed together at the end."""

    rows: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, label: str, value: str, met: bool) -> None:
        self.rows.append((label, value, met))

    def print(self, title: str) -> bool:
        section(title)
        for label, value, met in self.rows:
            row(label, value, "MET" if met else "NOT MET")
        return all(met for _l, _v, met in self.rows)


# --------------------------------------------------------------------------------------------
# Network profiles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    latency_ms: float
    down_bps: int  # bits per second
    up_bps: int
    connection: str  # Network.ConnectionType

    def conditions(self) -> dict[str, Any]:
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": self.down_bps / 8,
            "uploadThroughput": self.up_bps / 8,
            "connectionType": self.connection,
        }

    def describe(self) -> str:
        return (
            f"{self.latency_ms:.0f} ms RTT; down {self.down_bps:,} bit/s "
            f"({self.down_bps // 8:,} B/s); up {self.up_bps:,} bit/s ({self.up_bps // 8:,} B/s)"
        )


PROFILES: Final = {
    "slow4g": Profile("slow4g", 'Lighthouse "Slow 4G"', 150, 1_638_400, 750_000, "cellular4g"),
    "3g": Profile("3g", '"Regular 3G"-like', 300, 750_000, 250_000, "cellular3g"),
}


# --------------------------------------------------------------------------------------------
# The counting proxy: the server's side of every byte
# --------------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One HTTP/1.1 request and its response, as they crossed the proxy."""

    conn: int
    method: str
    target: str  # path and query
    sent: int  # browser → server bytes, request line and headers included
    received: int = 0  # server → browser bytes, status line and headers included
    status: int | None = None
    encoding: str | None = None  # Content-Encoding of the response
    done: bool = False


class CountingProxy:
    """``127.0.0.1:port`` → the server, one thread per direction of each connection."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.exchanges: list[Exchange] = []
        self.up = 0  # browser → server, all bytes
        self.down = 0  # server → browser, all bytes
        self.connections = 0
        self.last_activity = time.monotonic()
        self.problems: list[str] = []
        self._sockets: list[socket.socket] = []
        self._ids = count(1)
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def close(self) -> None:
        with suppress(OSError):
            self.listener.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()

    def mark(self) -> tuple[int, int, int]:
        with self.lock:
            return len(self.exchanges), self.up, self.down

    def since(self, mark: tuple[int, int, int]) -> tuple[list[Exchange], int, int]:
        """The exchanges begun since ``mark``, and the bytes up and down since then."""
        with self.lock:
            return list(self.exchanges[mark[0] :]), self.up - mark[1], self.down - mark[2]

    def in_flight(self) -> int:
        with self.lock:
            return sum(not e.done for e in self.exchanges)

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError as exc:
                self.problems.append(f"upstream connect: {exc}")
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = next(self._ids)
            with self.lock:
                self.connections += 1
                self._sockets += [client, server]
            pending: deque[Exchange] = deque()
            requests, responses = _Requests(self, conn, pending), _Responses(self, conn, pending)
            for src, dst, parser in ((client, server, requests), (server, client, responses)):
                threading.Thread(
                    target=self._pump, args=(src, dst, parser), name=f"proxy-{conn}", daemon=True
                ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, parser: _Parser) -> None:
        try:
            while data := src.recv(65536):
                parser.feed(data)  # before forwarding: a request is known before its answer
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            parser.closed()


class _Parser:
    def __init__(self, proxy: CountingProxy, conn: int, pending: deque[Exchange]) -> None:
        self.proxy = proxy
        self.conn = conn
        self.pending = pending
        self.buf = bytearray()

    def feed(self, data: bytes) -> None:
        raise NotImplementedError

    def closed(self) -> None:
        pass


class _Requests(_Parser):
    """Browser → server: request heads (and any body) split into exchanges."""

    body_left = 0
    current: Exchange | None = None

    def feed(self, data: bytes) -> None:
        with self.proxy.lock:
            self.proxy.up += len(data)
            self.proxy.last_activity = time.monotonic()
            self.buf += data
            while self.buf:
                if self.body_left:
                    take = min(self.body_left, len(self.buf))
                    if self.current:
                        self.current.sent += take
                    del self.buf[:take]
                    self.body_left -= take
                    continue
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buf[: end + 4])
                del self.buf[: end + 4]
                method, target, *_ = (head.split(b"\r\n", 1)[0].decode("latin-1") + "  ").split(" ")
                self.current = Exchange(self.conn, method, target, sent=len(head))
                self.body_left = _content_length(head) or 0
                self.proxy.exchanges.append(self.current)
                self.pending.append(self.current)


class _Responses(_Parser):
    """Server → browser: each response's bytes to the oldest unanswered request."""

    state = "head"
    left = 0
    current: Exchange | None = None

    def feed(self, data: bytes) -> None:
        with self.proxy.lock:
            self.proxy.down += len(data)
            self.proxy.last_activity = time.monotonic()
            self.buf += data
            self._parse()

    def _take(self, n: int) -> None:
        if self.current:
            self.current.received += n
        del self.buf[:n]

    def _finish(self) -> None:
        if self.current:
            self.current.done = True
        self.current, self.state = None, "head"

    def _parse(self) -> None:
        while self.buf:
            if self.state == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buf[: end + 4])
                status = int(head.split(b" ", 2)[1])
                if 100 <= status < 200:  # an interim answer: the request waits for its own
                    if self.pending:
                        self.pending[0].received += len(head)
                    del self.buf[: len(head)]
                    continue
                if not self.pending:
                    self.proxy.problems.append(f"connection {self.conn}: an unasked response")
                    self.pending.append(Exchange(self.conn, "?", "?", sent=0))
                self.current = self.pending.popleft()
                self.current.status = status
                encoding = re.search(rb"(?im)^content-encoding:\s*([^\r\n]+)", head)
                self.current.encoding = encoding.group(1).decode("latin-1") if encoding else None
                self._take(len(head))
                length = _content_length(head)
                if self.current.method == "HEAD" or status in (204, 304):
                    self._finish()
                elif re.search(rb"(?im)^transfer-encoding:.*chunked", head):
                    self.state = "chunk-size"
                elif length is not None:
                    self.state, self.left = "body", length
                    if not length:
                        self._finish()
                else:
                    self.state = "until-close"
            elif self.state in ("body", "chunk-data"):
                take = min(self.left, len(self.buf))
                self._take(take)
                self.left -= take
                if not self.left:
                    if self.state == "body":
                        self._finish()
                    else:
                        self.state = "chunk-size"
            elif self.state in ("chunk-size", "trailer"):
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(self.buf[:end])
                self._take(end + 2)
                if self.state == "trailer":
                    if not line:
                        self._finish()
                else:
                    size = int(line.split(b";")[0], 16)
                    self.state = "trailer" if size == 0 else "chunk-data"
                    self.left = size + 2 if size else 0
            else:  # until-close
                self._take(len(self.buf))

    def closed(self) -> None:
        with self.proxy.lock:
            if self.current and self.state == "until-close":
                self._finish()
            for orphan in self.pending:  # asked, never answered on this connection
                orphan.done = True
            self.pending.clear()


def _content_length(head: bytes) -> int | None:
    found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return int(found.group(1)) if found else None


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


def yizhan_command(*args: str) -> list[str]:
    """The public command line; ``python -m api.cli`` where the console script is missing."""
    script = Path(sys.executable).with_name("yizhan")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    return [*cli, *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """This machine's YIZHAN_* settings left out: the server runs with its defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_ROOT), env.get("PYTHONPATH"))))
    return env


def import_demo(csv: Path, db: Path) -> str:
    done = subprocess.run(
        yizhan_command("import", str(csv), "--db", str(db)),
        cwd=_ROOT, env=clean_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"yizhan import failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


@contextmanager
def serving(db: Path, log: Path) -> Iterator[str]:
    """``yizhan serve`` on a free loopback port in its own process group; its URL."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            yizhan_command("serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)),
            cwd=_ROOT, env=clean_env(), stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"yizhan serve exited ({proc.returncode}):\n{tail}")
            with suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"yizhan serve not ready after {STARTUP_S:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group this script started
                proc.wait()


# --------------------------------------------------------------------------------------------
# What DevTools sees: the page's target and the service worker's
# --------------------------------------------------------------------------------------------


WORKER_SOURCES: Final = {
    "cache-storage": "service worker cache",
    "network": "service worker → network",
    "http-cache": "service worker → HTTP cache",
}


@dataclass
class Seen:
    """One request as DevTools saw it on one target."""

    target: str  # "page" or "worker"
    url: str
    started: float
    status: int | None = None
    encoded: int | None = None  # encodedDataLength at Network.loadingFinished
    failed: str | None = None
    from_worker: bool = False
    worker_source: str | None = None  # Network.ServiceWorkerResponseSource
    from_disk: bool = False
    from_memory: bool = False

    @property
    def done(self) -> bool:
        return self.encoded is not None or self.failed is not None

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def source(self) -> str:
        if self.url.startswith("data:"):
            return "inline (data: URL)"
        if self.failed:
            return f"blocked ({self.failed})"
        if self.from_worker:
            return WORKER_SOURCES.get(self.worker_source or "", f"sw ({self.worker_source})")
        if self.from_memory:
            return "memory cache"
        if self.from_disk:
            return "disk cache"
        return "network"

    def on_network(self) -> bool:
        """Fetched from the server, not from a cache or the service worker."""
        return not (self.failed or self.from_worker or self.from_memory or self.from_disk) and (
            not self.url.startswith("data:")
        )


class Probe:
    """A DevTools session on a page: throttles it and every worker it starts, and records each
    request of both (the worker's through ``Target.sendMessageToTarget``, non-flat: Playwright's
    CDPSession cannot address a flat child session)."""

    def __init__(self, context: BrowserContext, page: Page, profile: Profile, cpu: float):
        self.profile = profile
        self.cdp: CDPSession = context.new_cdp_session(page)
        self.seen: list[Seen] = []
        self.by_id: dict[tuple[str, str], Seen] = {}
        self.workers: list[str] = []
        self.problems: list[str] = []
        self.last_event = time.monotonic()
        self._ids = count(1)
        for method in ("requestWillBeSent", "responseReceived", "loadingFinished",
                       "loadingFailed", "requestServedFromCache"):  # fmt: skip
            self.cdp.on(f"Network.{method}", self._page_event(f"Network.{method}"))
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._from_worker)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", profile.conditions())
        if cpu != 1:
            self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
        self.cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False},
        )

    def mark(self) -> int:
        return len(self.seen)

    def since(self, mark: int) -> list[Seen]:
        return self.seen[mark:]

    def in_flight(self, origin: str) -> int:
        return sum(not s.done and s.url.startswith(origin) for s in self.seen)

    def _page_event(self, method: str) -> Callable[[dict[str, Any]], None]:
        return lambda params: self._event("page", method, params)

    def _post(self, session: str, method: str, params: dict[str, Any] | None = None) -> None:
        message = {"id": next(self._ids), "method": method, "params": params or {}}
        self.cdp.send(
            "Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(message)}
        )

    def _attached(self, params: dict[str, Any]) -> None:
        """A worker of the page: throttle it like the page before it runs a line."""
        session, info = params["sessionId"], params["targetInfo"]
        self.workers.append(f"{info['type']} {info.get('url', '')}")
        self._post(session, "Network.enable")
        self._post(session, "Network.emulateNetworkConditions", self.profile.conditions())
        self._post(session, "Runtime.runIfWaitingForDebugger")

    def _from_worker(self, params: dict[str, Any]) -> None:
        message = json.loads(params["message"])
        if "error" in message:
            self.problems.append(f"worker session: {message['error']}")
        elif message.get("method", "").startswith("Network."):
            self._event("worker", message["method"], message["params"])

    def _event(self, target: str, method: str, p: dict[str, Any]) -> None:
        self.last_event = time.monotonic()
        key = (target, p["requestId"])
        if method == "Network.requestWillBeSent":
            if key in self.by_id and p.get("redirectResponse"):
                self.by_id[key].url = p["request"]["url"]
                return
            seen = Seen(target, p["request"]["url"], time.monotonic())
            self.by_id[key] = seen
            self.seen.append(seen)
            return
        seen_or_none = self.by_id.get(key)
        if seen_or_none is None:
            return  # begun before this session listened
        seen = seen_or_none
        if method == "Network.responseReceived":
            r = p["response"]
            seen.status = r.get("status")
            seen.from_worker = bool(r.get("fromServiceWorker"))
            seen.worker_source = r.get("serviceWorkerResponseSource")
            seen.from_disk = bool(r.get("fromDiskCache"))
        elif method == "Network.requestServedFromCache":
            seen.from_memory = True
        elif method == "Network.loadingFinished":
            seen.encoded = int(p["encodedDataLength"])
        elif method == "Network.loadingFailed":
            seen.failed = p.get("blockedReason") or p.get("errorText") or "failed"


# --------------------------------------------------------------------------------------------
# Driving the page
# --------------------------------------------------------------------------------------------

CONTROLLED: Final = """limit => navigator.serviceWorker.controller ? true : new Promise(done => {
    navigator.serviceWorker.addEventListener("controllerchange", () => done(true));
    setTimeout(() => done(false), limit);
})"""
#: From the click on #locate (a capturing listener on window, so before the page's own) to the
#: first result card in #list (a MutationObserver: its callback runs as soon as the card is in
#: the DOM, before paint), both in performance.now() milliseconds.
WATCH: Final = """() => {
    const list = document.getElementById("list");
    const w = window.__yizhanBench = {click: null, shown: null};
    w.done = new Promise(resolve => {
        const observer = new MutationObserver(() => {
            if (w.shown === null && list.querySelector(".result")) {
                w.shown = performance.now();
                observer.disconnect();
                resolve();
            }
        });
        observer.observe(list, {childList: true, subtree: true});
    });
    window.addEventListener("click", event => {
        if (w.click === null && event.target.closest && event.target.closest("#locate")) {
            w.click = performance.now();
        }
    }, true);
    return list.querySelector(".result") === null;
}"""
WATCHED: Final = """limit => Promise.race([
    window.__yizhanBench.done,
    new Promise(resolve => setTimeout(resolve, limit)),
]).then(() => {
    const w = window.__yizhanBench;
    const asked = performance.getEntriesByType("resource")
        .filter(e => e.name.includes("/v1/stations/nearest")).pop();
    const cards = document.querySelectorAll("#list .result").length;
    return {click: w.click, shown: w.shown, cards: cards,
            fetch_ms: asked ? asked.responseEnd - asked.startTime : null};
})"""


def wait_idle(page: Page, probe: Probe, proxy: CountingProxy, origin: str, quiet_s: float) -> bool:
    """Until no request is in flight, on either DevTools target or the proxy, for ``quiet_s``
    (``page.wait_for_timeout`` lets Playwright deliver DevTools events meanwhile)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        busy = probe.in_flight(origin) or proxy.in_flight()
        last = max(probe.last_event, proxy.last_activity)
        if not busy and time.monotonic() - last >= quiet_s:
            return True
        page.wait_for_timeout(50)
    return False


def wait_ready(page: Page) -> None:
    page.wait_for_selector("html[data-rider-ready]", state="attached", timeout=WAIT_S * 1000)


def locate(page: Page) -> dict[str, Any]:
    """Tap the locate button and wait for the first result card (watched from the click)."""
    if not page.evaluate(WATCH):
        raise SystemExit("results were on the page before the tap")
    page.locator("#locate").tap()
    got: dict[str, Any] = page.evaluate(WATCHED, WAIT_S * 1000)
    if got["shown"] is None or got["click"] is None:
        raise SystemExit(f"no result card within {WAIT_S:.0f} s of the tap: {got}")
    return got


@dataclass
class Phase:
    """What one step cost: DevTools' requests and the proxy's exchanges."""

    seen: list[Seen]
    exchanges: list[Exchange]
    up: int
    down: int
    seconds: float

    def tiles(self, origin: str, *, blocked: bool = True) -> Counter[str]:
        """Requests to other hosts (map tiles), by host: the blocked ones, or the others."""
        return Counter(
            urlsplit(s.url).hostname or "?"
            for s in self.seen
            if not s.url.startswith((origin, "data:")) and bool(s.failed) == blocked
        )

    def matched(self, origin: str) -> list[tuple[Exchange, Seen | None]]:
        """Each exchange with the DevTools request that made it (by URL and size), if any."""
        waiting: dict[str, deque[Seen]] = {}
        for s in self.seen:
            if s.url.startswith(origin) and s.on_network():
                waiting.setdefault(s.path, deque()).append(s)
        found: list[tuple[Exchange, Seen | None]] = []
        for e in self.exchanges:
            queue = waiting.get(e.target)
            if not queue:
                found.append((e, None))
                continue
            # Two requests for one URL at once (the page's and the worker's): by their size.
            same = next((s for s in queue if s.encoded == e.received), queue[0])
            queue.remove(same)
            found.append((e, same))
        return found


@contextmanager
def measured(page: Page, probe: Probe, proxy: CountingProxy) -> Iterator[list[Phase]]:
    """The requests and bytes of what runs inside, appended as one Phase on the way out."""
    out: list[Phase] = []
    p_mark, x_mark, t0 = probe.mark(), proxy.mark(), time.perf_counter()
    yield out
    exchanges, up, down = proxy.since(x_mark)
    out.append(Phase(probe.since(p_mark), exchanges, up, down, time.perf_counter() - t0))


def print_exchanges(phase: Phase, origin: str) -> None:
    print(f"  {'request (proxy: server side)':<62} {'by':<14} {'status':>6} {'DevTools B':>11}"
          f" {'wire B':>9}")  # fmt: skip
    for exchange, seen in phase.matched(origin):
        by = seen.target if seen else "browser"
        devtools = f"{seen.encoded:,}" if seen and seen.encoded is not None else "—"
        print(f"  {exchange.method + ' ' + exchange.target:<62.62} {by:<14} "
              f"{exchange.status or '—'!s:>6} {devtools:>11} {exchange.received:>9,}")  # fmt: skip


def print_sources(phase: Phase, origin: str) -> None:
    print(f"  {'request (DevTools)':<62} {'by':<7} {'source':<28} {'DevTools B':>11}")
    for s in phase.seen:
        if not (s.url.startswith(origin) or s.url.startswith("data:")):
            continue  # tiles: counted apart
        shown = s.path if s.url.startswith(origin) else s.url[:40] + "…"
        devtools = f"{s.encoded:,}" if s.encoded is not None else "—"
        print(f"  {shown:<62.62} {s.target:<7} {s.source():<28} {devtools:>11}")


def tiles_row(phase: Phase, origin: str) -> None:
    blocked = phase.tiles(origin)
    row("map tile requests blocked (not counted)", f"{sum(blocked.values())}",
        ", ".join(f"{host} ×{n}" for host, n in blocked.most_common()) or "none asked")  # fmt: skip
    if other := phase.tiles(origin, blocked=False):
        print(f"  ! requests to other hosts not blocked: {dict(other)}")


# --------------------------------------------------------------------------------------------
# One profile: first visit, repeat visit, position → first result
# --------------------------------------------------------------------------------------------


@dataclass
class Figures:
    first_wire: int = 0
    first_paths: list[str] = field(default_factory=list)
    repeat_page_files: int = 0
    first_result_ms: list[float] = field(default_factory=list)
    fetch_ms: list[float] = field(default_factory=list)


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    probe: Probe
    errors: list[str]


def open_phone(browser: Browser, profile: Profile, cpu: float) -> Phone:
    """A fresh context (empty HTTP cache, no service worker, no storage) allowed to locate."""
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True,
        has_touch=True, geolocation=RIDER, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    return Phone(context, page, Probe(context, page, profile, cpu), errors)


def first_visit(
    phone: Phone, proxy: CountingProxy, origin: str, quiet_s: float
) -> tuple[Phase, float, float, bool]:
    """``GET /`` until idle; the phase, the load event's and the worker's times, and idle."""
    page, probe = phone.page, phone.probe
    with measured(page, probe, proxy) as phases:
        t0 = time.perf_counter()
        page.goto(origin + "/", wait_until="load", timeout=WAIT_S * 1000)
        loaded = time.perf_counter() - t0
        wait_ready(page)
        if not page.evaluate(CONTROLLED, WAIT_S * 1000):
            raise SystemExit(f"no service worker controls the page after {WAIT_S:.0f} s")
        controlled = time.perf_counter() - t0
        idle = wait_idle(page, probe, proxy, origin, quiet_s)
    return phases[0], loaded, controlled, idle


def escaped(phase: Phase, origin: str) -> list[Exchange]:
    """Exchanges DevTools saw on neither target, but the browser's own fetch of /sw.js."""
    return [e for e, s in phase.matched(origin) if s is None and e.target != SERVICE_WORKER]


def run_profile(
    browser: Browser,
    proxy: CountingProxy,
    origin: str,
    profile: Profile,
    args: argparse.Namespace,
    detailed: bool,
) -> Figures:
    figures = Figures()
    quiet_s = args.quiet_ms / 1000

    # -- 1. first visit ----------------------------------------------------------------------
    section(f"First visit, {profile.name} — fresh context, empty cache, no service worker")
    for attempt in range(1, ATTEMPTS + 1):
        phone = open_phone(browser, profile, args.cpu_slowdown)
        first, loaded, controlled, idle = first_visit(phone, proxy, origin, quiet_s)
        missed = escaped(first, origin)
        if not missed or attempt == ATTEMPTS:
            break
        print(
            f"  (attempt {attempt}: {len(missed)} of the service worker's requests began before "
            "its DevTools session was on, unthrottled: a fresh context again)"
        )
        phone.context.close()
    try:
        page, probe = phone.page, phone.probe
        if detailed:
            print_exchanges(first, origin)
        by_page = [s for s in first.seen if s.target == "page" and s.url.startswith(origin)]
        by_worker = [s for s in first.seen if s.target == "worker"]
        page_b = sum(s.encoded or 0 for s in by_page)
        worker_b = sum(s.encoded or 0 for s in by_worker)
        browser_own = [e for e, s in first.matched(origin) if s is None]
        figures.first_wire = first.down
        figures.first_paths = [e.target for e in first.exchanges if e.status == 200]
        row("the page's requests (DevTools encodedDataLength)", kb(page_b), f"n={len(by_page)}")
        row("the service worker's requests (DevTools): included", kb(worker_b),
            f"n={len(by_worker)}: its precache"
            + (" and its script as the worker saw it" if any(
                s.path == SERVICE_WORKER for s in by_worker) else ""))  # fmt: skip
        row("page + service worker (DevTools)", kb(page_b + worker_b))
        row("seen by neither target: the browser's own fetches",
            kb(sum(e.received for e in browser_own)),
            ", ".join(e.target for e in browser_own[:4])
            + (f" and {len(browser_own) - 4} more" if len(browser_own) > 4 else ""))  # fmt: skip
        if missed:
            print(f"  ! {len(missed)} worker requests escaped DevTools (and its throttling) "
                  f"in every attempt: counted by the proxy only")  # fmt: skip
        row("on the wire, server → browser (proxy): judged", kb(first.down),
            f"{len(first.exchanges)} exchanges")  # fmt: skip
        row("on the wire, browser → server (proxy)", kb(first.up), "request heads")
        largest = sorted(first.exchanges, key=lambda e: -e.received)[:3]
        row("largest", ", ".join(f"{e.target.rsplit('/', 1)[-1] or '/'}" for e in largest),
            ", ".join(f"{e.received:,} B" for e in largest))  # fmt: skip
        encodings = Counter(e.encoding or "none" for e in first.exchanges if e.status == 200)
        row("Content-Encoding of the 200 answers", ", ".join(
            f"{k} ×{n}" for k, n in encodings.most_common()))  # fmt: skip
        tiles_row(first, origin)
        row("load event / service worker controlling / idle",
            f"{loaded:5.2f} / {controlled:5.2f} / {first.seconds:5.2f} s",
            f"idle: nothing in flight for {args.quiet_ms:.0f} ms" if idle
            else f"not idle after {WAIT_S:.0f} s")  # fmt: skip

        # -- the rider locates once, so the page keeps an answer --------------------------------
        with measured(page, probe, proxy) as phases:
            got = locate(page)
            wait_idle(page, probe, proxy, origin, quiet_s)
        asked = [e for e in phases[0].exchanges if e.target.startswith(NEAREST)]
        row("then one tap on the locate button: the answer (proxy)",
            kb(sum(e.received for e in asked)),
            f"{got['cards']} cards in {got['shown'] - got['click']:.0f} ms, kept")  # fmt: skip

        # -- 2. repeat visit ---------------------------------------------------------------------
        section(f"Repeat visit, {profile.name} — reload, the service worker active")
        with measured(page, probe, proxy) as phases:
            page.reload(wait_until="load", timeout=WAIT_S * 1000)
            wait_ready(page)
            wait_idle(page, probe, proxy, origin, quiet_s)
        repeat = phases[0]
        if detailed:
            print_sources(repeat, origin)
            print_exchanges(repeat, origin)
        own = [e for e in repeat.exchanges if not e.target.startswith((API, SERVICE_WORKER))]
        api = [e for e in repeat.exchanges if e.target.startswith(API)]
        update = [e for e in repeat.exchanges if e.target.startswith(SERVICE_WORKER)]
        page_net = [s for s in repeat.seen if s.target == "page" and s.url.startswith(origin)
                    and s.on_network() and not s.path.startswith(API)]  # fmt: skip
        figures.repeat_page_files = sum(e.received for e in own)
        sources = Counter(s.source() for s in repeat.seen if s.target == "page"
                          and s.url.startswith(origin) and not s.path.startswith(API))  # fmt: skip
        row("the page's files: where they came from (DevTools)", f"n={sum(sources.values())}",
            "; ".join(f"{k} ×{n}" for k, n in sources.most_common()))  # fmt: skip
        row("the page's files from the network (proxy): judged", kb(figures.repeat_page_files),
            f"{len(own)} exchanges; DevTools: {len(page_net)} from the network, "
            f"{sum(s.encoded or 0 for s in page_net):,} B")  # fmt: skip
        row("the nearest-station answer (allowed)", kb(sum(e.received for e in api)),
            f"{len(api)} exchange(s)")  # fmt: skip
        row("the browser's update check of /sw.js (allowed)",
            kb(sum(e.received for e in update)),
            ", ".join(f"HTTP {e.status}" for e in update) or "none on this reload")  # fmt: skip
        tiles_row(repeat, origin)
        row("reload until idle", f"{repeat.seconds:5.2f} s")

        # -- 3. position → first result ----------------------------------------------------------
        section(f"Position → first result, {profile.name} — {args.runs} taps, each after a "
                "reload without a kept answer")  # fmt: skip
        reached = throttled = 0
        for _ in range(args.runs):
            page.evaluate("() => localStorage.removeItem('yizhan.rider.last')")
            page.reload(wait_until="load", timeout=WAIT_S * 1000)
            wait_ready(page)
            with measured(page, probe, proxy) as phases:
                got = locate(page)
            reached += sum(e.target.startswith(NEAREST) for e in phases[0].exchanges)
            throttled += sum(
                s.target == "worker" and s.path.startswith(NEAREST) for s in phases[0].seen
            )
            figures.first_result_ms.append(got["shown"] - got["click"])
            if got["fetch_ms"] is not None:
                figures.fetch_ms.append(got["fetch_ms"])
        ms = figures.first_result_ms
        row("click → first result card in the DOM, p50 / max",
            f"{statistics.median(ms):6.0f} / {max(ms):6.0f} ms",
            f"min {min(ms):.0f} ms, n={len(ms)}")  # fmt: skip
        if figures.fetch_ms:
            row("of which the nearest request (Resource Timing), p50 / max",
                f"{statistics.median(figures.fetch_ms):6.0f} / {max(figures.fetch_ms):6.0f} ms",
                "the page's fetch, through the service worker")  # fmt: skip
        row("nearest requests: at the server / on the worker's target", f"{reached} / {throttled}",
            f"of {args.runs} taps (the worker's fetch is the throttled one)")  # fmt: skip
        row("each tap, ms", " ".join(f"{v:.0f}" for v in ms))
        for problem in probe.problems + phone.errors:
            print(f"  ! {problem}")
    finally:
        phone.context.close()
    return figures


def gzip_sizes(server_url: str, paths: Sequence[str]) -> tuple[int, int]:
    """What-if: the first visit's 200 bodies, as served and gzip-compressed (level 6)."""
    plain = packed = 0
    with httpx.Client(base_url=server_url, timeout=10) as client:
        for path in dict.fromkeys(paths):
            body = client.get(path).content
            plain += len(body)
            packed += len(gzip.compress(body, compresslevel=6))
    return plain, packed


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    with suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else ""
    return f"{platform.machine()}, {os.cpu_count()} CPUs {model}".strip()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--profiles", default="slow4g,3g",
                    help=f"network profiles, the first judged ({', '.join(PROFILES)}; "
                    "default slow4g,3g)")  # fmt: skip
    ap.add_argument("--runs", type=int, default=10, help="locate taps timed per profile")
    ap.add_argument("--quiet-ms", type=float, default=1000.0,
                    help="idle: no request in flight for this long (default 1000)")  # fmt: skip
    ap.add_argument(
        "--cpu-slowdown",
        type=float,
        default=1.0,
        help="Emulation.setCPUThrottlingRate (Lighthouse mobile: 4; default 1, off)",
    )
    ap.add_argument("--csv", type=Path, default=DEMO_CSV, help="stations to import")
    ap.add_argument("--chromium", type=Path, default=CHROMIUM, help="Debian's Chromium")
    args = ap.parse_args(argv)
    try:
        profiles = [PROFILES[key] for key in args.profiles.split(",")]
    except KeyError as exc:
        ap.error(f"unknown profile {exc}; known: {', '.join(PROFILES)}")
    if not 1 <= args.runs <= 100 or not 100 <= args.quiet_ms <= 10_000 or args.cpu_slowdown < 1:
        ap.error("keep it bounded: 1 ≤ --runs ≤ 100, 100 ≤ --quiet-ms ≤ 10000, --cpu-slowdown ≥ 1")
    if not args.chromium.exists():
        print(f"no {args.chromium}: run `make chromium` (apt-get install chromium)")
        return 2
    started = time.perf_counter()
    targets = Targets()
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="yizhan-bench-rider-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "s.gpkg"
        imported = import_demo(args.csv, db)
        with serving(db, tmp / "serve.log") as server_url, sync_playwright() as pw:
            proxy = CountingProxy(int(server_url.rsplit(":", 1)[1]))
            origin = f"http://127.0.0.1:{proxy.port}"
            answer = httpx.get(
                f"{server_url}{NEAREST}",
                params={"lat": RIDER["latitude"], "lon": RIDER["longitude"], "crs": "wgs84",
                        "k": 5, "open_now": "true"},
            )  # fmt: skip
            browser = pw.chromium.launch(executable_path=str(args.chromium), args=CHROMIUM_ARGS)
            try:
                section("Setup: the rider's page on a throttled phone")
                row("machine", machine(), f"load average {os.getloadavg()[0]:.2f} at start")
                row("Chromium (browser.version)", browser.version, str(args.chromium))
                for i, p in enumerate(profiles):
                    row(f"profile {p.key}{' (judged)' if i == 0 else ''}", p.name, p.describe())
                row(
                    "CPU slowdown",
                    f"{args.cpu_slowdown:g}x",
                    "Emulation.setCPUThrottlingRate" if args.cpu_slowdown != 1 else "off",
                )
                row("server (yizhan serve)", server_url, "1 worker, defaults")
                row("the browser's origin (counting proxy)", origin, "loopback, no TLS")
                row("data", f"{args.csv.name}", imported)
                row("GeoPackage / nearest answer (k=5, open_now)",
                    f"{db.stat().st_size:,} / {len(answer.content):,} B",
                    f"HTTP {answer.status_code}")  # fmt: skip
                row("phone", "390×844, touch, zh-CN",
                    f"geolocation {RIDER['latitude']}, {RIDER['longitude']} ±20 m")  # fmt: skip
                for i, p in enumerate(profiles):
                    results[p.key] = run_profile(browser, proxy, origin, p, args, detailed=i == 0)
                for problem in proxy.problems:
                    print(f"  ! proxy: {problem}")
                what_if = gzip_sizes(server_url, results[profiles[0].key].first_paths)
            finally:
                browser.close()
                proxy.close()

    judged = results[profiles[0].key]
    targets.add("first visit ≤ 200 KB before map tiles (on the wire)",
                kb(judged.first_wire), judged.first_wire <= FIRST_VISIT_TARGET_B)  # fmt: skip
    targets.add("repeat visit: the page's files 0 B from the network",
                f"{judged.repeat_page_files:,} B", judged.repeat_page_files == 0)  # fmt: skip
    ms = judged.first_result_ms
    targets.add("position → first result ≤ 1.5 s, judged on p50",
                f"p50 {statistics.median(ms):5.0f} ms",
                statistics.median(ms) <= FIRST_RESULT_TARGET_MS)  # fmt: skip
    ok = targets.print(f"Targets, judged on {profiles[0].name}")
    if FIRST_VISIT_TARGET_B < judged.first_wire <= 204_800:
        print("  (the first visit is within 204,800 bytes: MET if 200 KB means 200 KiB)")
    row("  position → first result, max (printed, not judged)", f"max {max(ms):5.0f} ms",
        "within 1.5 s" if max(ms) <= FIRST_RESULT_TARGET_MS else "over 1.5 s")  # fmt: skip
    plain, packed = what_if
    if judged.first_wire > plain:  # sent as they are: what compressing them would save
        row("  what-if, not judged: the same first visit gzip-compressed",
            f"≈ {kb(judged.first_wire - plain + packed)}",
            f"its 200 bodies {plain:,} B → {packed:,} B at gzip -6")  # fmt: skip
    for p in profiles[1:]:
        f = results[p.key]
        row(f"  {p.name}: first visit / repeat, page's files",
            f"{f.first_wire:,} / {f.repeat_page_files:,} B", "reported, not judged")  # fmt: skip
        row(f"  {p.name}: position → first result p50 / max",
            f"{statistics.median(f.first_result_ms):5.0f} / {max(f.first_result_ms):5.0f} ms",
            "reported, not judged")  # fmt: skip
    row("total wall time", f"{time.perf_counter() - started:8.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
