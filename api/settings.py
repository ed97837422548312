"""Explicit settings, read from ``YIZHAN_*`` environment variables only when asked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Final

DEFAULT_DB: Final = "data/stations.gpkg"


class SettingsError(ValueError):
    """A YIZHAN_* variable that is unknown or has a bad value."""


@dataclass(frozen=True, slots=True)
class Settings:
    # YIZHAN_DB: the store, a GeoPackage path or a postgresql:// URL (a str: Path would turn
    # "postgresql://" into "postgresql:/").
    db: str | Path = DEFAULT_DB
    host: str = "127.0.0.1"  # YIZHAN_HOST
    port: int = 8000  # YIZHAN_PORT
    workers: int = 1  # YIZHAN_WORKERS
    refresh_s: float = 0.25  # YIZHAN_REFRESH_S: how often a server checks the store for changes
    # YIZHAN_MAX_STALE_S: /readyz answers 503 once the snapshot has not been confirmed current
    # by the store for this long (the database unreachable from this process).
    max_stale_s: float = 900.0
    # Slow and numerous clients (api/server/limits.py, api/server/protocol.py):
    # YIZHAN_HEADER_TIMEOUT_S: a request head must arrive whole within this, counted from the
    # connection's opening (or, on a kept-alive connection, from its first byte); 408 after. A
    # head is a packet or two: 10 s leaves a lost one three retransmissions (1 + 2 + 4 s).
    header_timeout_s: float = 10.0
    # YIZHAN_BODY_TIMEOUT_S: a request body may pause this long between bytes; 408 after. Long
    # enough for a rider's phone to change cells; a 64 MiB import that keeps flowing is fine.
    body_timeout_s: float = 30.0
    # YIZHAN_MAX_CONNECTIONS: open connections per process; a new one beyond gets a 503. Unset:
    # derived from the open-file limit, at most 4,096.
    max_connections: int | None = None
    # Rider reports (stations/reports.py): YIZHAN_REPORTS_PER_HOUR, the reports one client
    # (address) may send an hour; YIZHAN_REPORTED_CLOSED_THRESHOLD distinct riders saying
    # closed_now or gone within YIZHAN_REPORTED_CLOSED_WINDOW_H hours mark a station
    # reported_closed.
    # Ride times (api/routing.py): YIZHAN_ROUTING, a tile folder (`yizhan routing build`; the
    # server starts the engine on it) or the URL of a Valhalla service; unset: ranking by
    # distance. YIZHAN_RIDE_SPEED_KMH: the e-bike's speed (China's limit is 25 km/h);
    # YIZHAN_ROUTING_CANDIDATES: the geodesically nearest stations timed per query;
    # YIZHAN_ROUTING_TIMEOUT_S: how long a query waits for the engine before it estimates.
    routing: str | None = None
    ride_speed_kmh: float = 20.0
    routing_candidates: int = 20
    routing_timeout_s: float = 1.0
    # YIZHAN_VALHALLA_BIN: the folder of the Valhalla engine's tools (valhalla_build_tiles,
    # valhalla_service); unset: .venv-routing/bin (``make routing``), else the PATH.
    valhalla_bin: str | None = None
    reports_per_hour: int = 10
    reported_closed_threshold: int = 3
    reported_closed_window_h: float = 6.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from YIZHAN_* variables; an unknown YIZHAN_* name is an error, so a typo
        never silently falls back to a default."""
        env = os.environ if env is None else env
        known = {f"YIZHAN_{f.name.upper()}": f for f in fields(cls)}
        unknown = sorted(k for k in env if k.startswith("YIZHAN_") and k not in known)
        if unknown:
            raise SettingsError(
                f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values: dict[str, object] = {}
        for name, f in known.items():
            if name in env:
                values[f.name] = _convert(name, env[name], f.type)
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str, kind: object) -> object:
    if kind == "int | None":  # unset means "derive it"; set, it is an int like any other
        kind = "int"
    try:
        if kind in ("int", int):
            value: object = int(raw)
            if value <= 0:  # type: ignore[operator]
                raise ValueError
            return value
        if kind in ("float", float):
            number = float(raw)
            if not number > 0:
                raise ValueError
            return number
        return raw
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid positive {kind}") from None
