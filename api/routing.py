"""The ride-time engine as a serving process holds it: off (``YIZHAN_ROUTING`` unset), a sidecar
this process starts on a tile folder, or a Valhalla service at a URL. Whatever goes wrong — no
tiles, no engine installed, the sidecar not starting — the server still starts, says why in its
log and ``/readyz``, and ranks by distance with estimated ride times."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from pathlib import Path

from api.settings import Settings
from geo.position import LonLat
from geo.valhalla import RoutingUnavailable, Sidecar, engine_bin, has_tiles, ride_times
from stations.reading.catalog import Catalog
from stations.reading.locator import NearbyQuery
from stations.reading.ride_rank import RideTimes, TimedAnswer, find_by_ride_time

log = logging.getLogger("yizhan.routing")


class Routing:
    def __init__(self, settings: Settings) -> None:
        self.configured = settings.routing is not None
        self.speed_kmh = settings.ride_speed_kmh
        self.candidates = settings.routing_candidates
        self._timeout_s = settings.routing_timeout_s
        self._bin = settings.valhalla_bin
        self._target = settings.routing
        self._sidecar: Sidecar | None = None
        self.url: str | None = None
        self.state = "off" if settings.routing is None else "starting"

    def start(self) -> None:
        target = self._target
        if target is None:
            return
        if target.startswith(("http://", "https://")):
            self.url, self.state = target.rstrip("/"), "ready"
            return
        folder = Path(target)
        try:
            if not has_tiles(folder):
                raise RoutingUnavailable(
                    f"YIZHAN_ROUTING={target} holds no routing tiles: run "
                    f"`yizhan routing build --pbf EXTRACT.osm.pbf --out {target}`"
                )
            self._sidecar = Sidecar(folder, bin_dir=engine_bin(self._bin)).start()
        except RoutingUnavailable as exc:
            self.state = f"unavailable: {exc}"
            log.warning("ride times are estimated from distance: %s", exc)
            return
        self.url, self.state = self._sidecar.url, "ready"
        log.info("ride times from the Valhalla sidecar at %s (tiles %s)", self.url, folder)

    def stop(self) -> None:
        if self._sidecar is not None:
            self._sidecar.stop()
            self._sidecar = None

    @property
    def rides(self) -> RideTimes | None:
        """Ride times from the engine, or None when there is no engine to ask."""
        if self.url is None:
            return None
        return partial(ride_times, self.url, speed_kmh=self.speed_kmh, timeout_s=self._timeout_s)

    def rank(self, catalog: Catalog, origin: LonLat, query: NearbyQuery) -> TimedAnswer:
        """The stations ``query`` finds from ``origin``, ranked by ride time with this engine
        and its settings (speed, candidates), or estimated when there is no engine — and then,
        if one was configured, the answer says why it is not there."""
        answer = find_by_ride_time(
            catalog, origin, query, self.rides,
            speed_kmh=self.speed_kmh, candidates=self.candidates,
        )  # fmt: skip
        if self.configured and self.url is None:
            answer = replace(answer, fallback=self.state)
        return answer
