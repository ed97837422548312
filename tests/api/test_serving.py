"""`yizhan serve --workers N`: each worker's own SO_REUSEPORT socket, TCP_NODELAY on every
accepted connection, a supervisor that replaces a dead worker and refuses a taken port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from api.server.supervisor import listening_socket
from tests.api.admin_fixtures import cli, seed_store
from tests.api.test_workers import _descendants, free_port, serving, wait_ready

pytestmark = pytest.mark.slow


def test_connections_accepted_by_a_worker_socket_have_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP; uvicorn's own
    shared socket has protocol 0, which left every keep-alive response waiting ~40 ms."""

    async def accept_one() -> int:
        sock = listening_socket("127.0.0.1", 0)
        port = sock.getsockname()[1]
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        async with server:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await asyncio.wait_for(seen, 5)
            writer.close()
        return nodelay

    assert asyncio.run(accept_one()) != 0


def test_worker_sockets_share_one_port() -> None:
    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)  # a plain socket would get EADDRINUSE
    assert second.getsockname()[1] == port
    assert first.proto == second.proto == socket.IPPROTO_TCP
    first.close()
    second.close()


def _workers(server_pid: int) -> list[int]:
    """Worker processes (spawn also starts a resource tracker: not a worker)."""
    found = []
    for pid in _descendants(server_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command:
            found.append(pid)
    return found


def test_a_killed_worker_is_replaced_and_serving_goes_on(tmp_path: Path) -> None:
    db = seed_store(tmp_path)
    with serving(db, tmp_path / "serve.log", "--workers", "2") as server:
        wait_ready(server)
        deadline = time.monotonic() + 30
        while server.text_log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.text_log()
            time.sleep(0.05)
        before = _workers(server.process.pid)
        assert len(before) == 2, before
        os.kill(before[0], signal.SIGKILL)
        while server.text_log().count("Application startup complete") < 3:
            assert time.monotonic() < deadline + 30, server.text_log()
            time.sleep(0.05)
        after = _workers(server.process.pid)
        assert len(after) == 2 and before[0] not in after and before[1] in after
        for _ in range(10):  # new connections, whichever worker takes them
            assert httpx.get(f"{server.url}/healthz", timeout=5.0).status_code == 200
        assert server.process.poll() is None
    assert "exited with -9; starting another" in server.text_log()


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    db = seed_store(tmp_path)
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = cli("serve", "--db", db, "--port", str(port), "--workers", "2", check=False)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
