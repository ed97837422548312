"""The credit OpenStreetMap's licence (ODbL 1.0) asks of every answer, map or export made from its
data: the routing tiles' roads, the service points imported from it."""

from __future__ import annotations

from typing import Final

OSM_ATTRIBUTION: Final = "© OpenStreetMap contributors"
OSM_LICENCE_URL: Final = "https://www.openstreetmap.org/copyright"
