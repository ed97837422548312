"""Run the HTTP server: one uvicorn process, or several worker processes on one port.

With ``--workers N`` uvicorn's own supervisor binds one socket in the parent and shares it with
its workers. That loses twice (bench/http_load.py):

* its socket is made with protocol 0, and asyncio only sets TCP_NODELAY on accepted sockets
  whose protocol is IPPROTO_TCP (uvicorn issue #3149): every keep-alive response then waits for
  Nagle + delayed ACK on every request;
* the workers race to accept on the shared socket, and one of them takes nearly every
  connection of a burst, so a second worker adds nothing.

So each worker here binds its own ``SO_REUSEPORT`` socket (created with IPPROTO_TCP) and the
kernel spreads new connections over the workers by their address hash. The parent only
supervises: it restarts a worker that dies, and on SIGTERM/SIGINT stops them all gracefully.

Either way every process serves with the same limits on slow, oversized and surplus clients
(api/server/limits.py, api/server/protocol.py), after raising its soft limit on open files.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Final

import uvicorn

from api.server.limits import ServerLimits, raise_fd_limit, server_limits
from api.server.protocol import protocol_class
from api.settings import Settings

log = logging.getLogger("yizhan.serve")

APP: Final = "api.app:create_app"
#: A worker that dies within this many seconds of starting counts as failing to start.
_QUICK_DEATH_S: Final = 5.0
_MAX_QUICK_DEATHS: Final = 5
_STOP_GRACE_S: Final = 10.0


def http_stack() -> str:
    """The event loop and HTTP parser every server here runs on: asyncio's loop (see
    ``uvicorn_options``) and httptools when installed (pyproject.toml installs it), else h11."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        __import__("httptools")
        parser = f"httptools {version('httptools')}"
    except (ImportError, PackageNotFoundError):
        parser = "h11"
    return f"asyncio + {parser}"


def uvicorn_options(limits: ServerLimits) -> dict[str, Any]:
    """Options shared by every way of serving (the HTTP benchmark's ceiling uses them too)."""
    return {
        "factory": True,
        "log_level": "info",
        # uvicorn's access log prints raw query strings (rider positions to the centimetre);
        # api/middleware/access_log.py writes a structured one with positions rounded to ~100 m.
        "access_log": False,
        "http": protocol_class(limits),
        # asyncio's loop, not uvloop even where it is installed: with this protocol uvloop
        # served 3,340 req/s at 64 connections but held some connections ~0.6 s (p99 182 ms
        # against 29 ms; bench/http_load.py, issue 16's notes), which riders would feel.
        "loop": "asyncio",
        "backlog": limits.backlog,
        # The protocol refuses a head over the limit as it arrives (431); h11 would cut one
        # that arrives in pieces at 16 KiB with a 400 and a reset.
        "h11_max_incomplete_event_size": limits.max_request_head,
    }


def serve(host: str, port: int, workers: int, app: str = APP) -> int:
    """Serve until stopped; returns the exit status. Limits come from YIZHAN_* variables (a
    bad one raises SettingsError before anything listens)."""
    limits = server_limits(Settings.from_env(), raise_fd_limit())  # workers inherit the rlimit
    print(f"Limits: {limits.describe()}", file=sys.stderr)
    print(f"HTTP stack: {http_stack()}", file=sys.stderr)
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, **uvicorn_options(limits))
        return 0
    return _Supervisor(host, port, workers, app, limits).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound with SO_REUSEPORT: one per worker, all on the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, app: str, limits: ServerLimits) -> None:
    sock = listening_socket(host, port)
    config = uvicorn.Config(app, host=host, port=port, **uvicorn_options(limits))
    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    def __init__(self, host: str, port: int, workers: int, app: str, limits: ServerLimits) -> None:
        self.host, self.port, self.count, self.app = host, port, workers, app
        self.limits = limits
        self.context = multiprocessing.get_context("spawn")  # no forked threads or sockets
        self.workers: list[tuple[BaseProcess, float]] = []
        self.stopping = False
        self.quick_deaths = 0

    def run(self) -> int:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
        # Bound (never listening) for the whole run: a taken port fails here, in one line, and
        # no other program can slip onto the port between worker restarts.
        try:
            guard = listening_socket(self.host, self.port)
        except OSError as exc:
            print(f"yizhan: cannot listen on {self.host}:{self.port}: {exc}", file=sys.stderr)
            return 2
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        try:
            for _ in range(self.count):
                self.workers.append(self._start())
            while not self.stopping:
                time.sleep(0.2)
                if not self._replace_dead():
                    return 1
        finally:
            self._stop_all()
            guard.close()
        return 0

    def _start(self) -> tuple[BaseProcess, float]:
        process = self.context.Process(
            target=_worker,
            args=(self.host, self.port, self.app, self.limits),
            name="yizhan-worker",
        )
        process.start()
        log.info("started worker process %s", process.pid)
        return process, time.monotonic()

    def _replace_dead(self) -> bool:
        """Restart dead workers; False after too many deaths right at start (a broken setup
        would otherwise be restarted forever)."""
        for i, (process, started) in enumerate(self.workers):
            if process.is_alive() or self.stopping:
                continue
            log.warning("worker %s exited with %s; starting another", process.pid,
                        process.exitcode)  # fmt: skip
            if time.monotonic() - started < _QUICK_DEATH_S:
                self.quick_deaths += 1
                if self.quick_deaths >= _MAX_QUICK_DEATHS:
                    log.error("workers keep dying at start; giving up (see the messages above)")
                    return False
            self.workers[i] = self._start()
        return True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        for process, _ in self.workers:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)  # uvicorn finishes open requests
        deadline = time.monotonic() + _STOP_GRACE_S
        for process, _ in self.workers:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
