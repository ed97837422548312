"""The rider page's files: what each URL serves, its ETag, and the version the service worker
caches them under.

Everything is read on first use (never at import) and kept for the life of the process, so a
deploy, which restarts it, is what changes a file. The service worker (``static/sw.js``) gets
two values written in: ``VERSION``, a hash of every file it caches and of itself, which names
its cache (a changed file means a new cache, and the old one is dropped), and ``PRECACHE``,
the URLs to fetch on install.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Final

from api.maps.assets import vendored_bytes
from api.maps.texts import TILE_SOURCES

HTML: Final = "text/html; charset=utf-8"
JS: Final = "text/javascript; charset=utf-8"  # RFC 9239
CSS: Final = "text/css; charset=utf-8"
PNG: Final = "image/png"
TEXT: Final = "text/plain; charset=utf-8"
MANIFEST: Final = "application/manifest+json"

PAGE: Final = "/"
SERVICE_WORKER: Final = "/sw.js"  # at the root: its scope is the whole site, "/" included

#: Our own files (in ``api/pages/static``) by URL, with their media types.
OWN: Final[dict[str, tuple[str, str]]] = {
    PAGE: ("rider.html", HTML),
    "/manifest.webmanifest": ("manifest.webmanifest", MANIFEST),
    "/static/rider/rider.css": ("rider.css", CSS),
    "/static/rider/words.js": ("words.js", JS),
    "/static/rider/crs.js": ("crs.js", JS),
    "/static/rider/format.js": ("format.js", JS),
    "/static/rider/map.js": ("map.js", JS),
    "/static/rider/results.js": ("results.js", JS),
    "/static/rider/report.js": ("report.js", JS),
    "/static/rider/rider.js": ("rider.js", JS),
    "/static/rider/icon-192.png": ("icon-192.png", PNG),
    "/static/rider/icon-512.png": ("icon-512.png", PNG),
}

#: Vendored Leaflet 1.9.4 (``api/maps/vendor``, checked against its pinned SHA-256) by URL. The
#: images sit beside the stylesheet as in the release, so its ``url(images/…)`` resolve.
LEAFLET: Final[dict[str, tuple[str, str]]] = {
    "/static/vendor/leaflet/leaflet.js": ("leaflet/leaflet.js", JS),
    "/static/vendor/leaflet/leaflet.css": ("leaflet/leaflet.css", CSS),
    "/static/vendor/leaflet/images/layers.png": ("leaflet/images/layers.png", PNG),
    "/static/vendor/leaflet/images/layers-2x.png": ("leaflet/images/layers-2x.png", PNG),
    "/static/vendor/leaflet/images/marker-icon.png": ("leaflet/images/marker-icon.png", PNG),
    "/static/vendor/leaflet/LICENSE": ("leaflet/LICENSE", TEXT),
}

#: Served but not cached for offline use: nobody needs the licence text without a network.
NOT_PRECACHED: Final = frozenset({"/static/vendor/leaflet/LICENSE"})

_VERSION_MARK: Final = '"__YIZHAN_VERSION__"'
_PRECACHE_MARK: Final = '["__YIZHAN_PRECACHE__"]'


#: Compressing smaller files saves less than the header costs.
_GZIP_FROM_BYTES: Final = 1024


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str  # a strong entity tag, quotes included
    gzipped: bytes | None = None  # the same, gzip-compressed once (text of 1 KiB or more)

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Asset:
        # Compressed once per process: the first visit on a slow phone link is mostly Leaflet
        # (148 KB as it is, 43 KB gzipped). mtime=0 keeps the bytes (and so the tag) stable.
        text = not media_type.startswith("image/")
        squeezed = (
            gzip.compress(body, 9, mtime=0) if text and len(body) >= _GZIP_FROM_BYTES else None
        )
        return cls(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"', squeezed)

    @property
    def gzip_etag(self) -> str:
        """The compressed representation's own tag (a strong tag names one set of bytes)."""
        return self.etag[:-1] + '-gz"'


@dataclass(frozen=True, slots=True)
class Shell:
    version: str  # names the service worker's cache
    assets: Mapping[str, Asset]  # by URL path, the service worker included


@functools.cache
def rider_shell() -> Shell:
    """Every file of the page, read once per process (vendored files checked against their
    pins: ``api.maps.assets.VendoredAssetChanged`` if one differs)."""
    package = files("api.pages") / "static"
    assets = {
        url: Asset.of((package / name).read_bytes(), kind) for url, (name, kind) in OWN.items()
    }
    assets |= {url: Asset.of(vendored_bytes(name), kind) for url, (name, kind) in LEAFLET.items()}
    precache = [url for url in assets if url not in NOT_PRECACHED]
    template = (package / "sw.js").read_text(encoding="utf-8")
    bodies = {url: assets[url].body for url in precache} | {SERVICE_WORKER: template.encode()}
    version = shell_version(bodies)
    worker = service_worker(template, version, precache)
    return Shell(version, assets | {SERVICE_WORKER: Asset.of(worker.encode(), JS)})


def shell_version(bodies: Mapping[str, bytes]) -> str:
    """16 hex digits of SHA-256 over every (URL, bytes) pair in URL order: any change to any
    file, or a file added, removed or moved, gives another version."""
    digest = hashlib.sha256()
    for url in sorted(bodies):
        body = bodies[url]
        digest.update(f"{url}\0{len(body)}\0".encode())
        digest.update(body)
    return digest.hexdigest()[:16]


def service_worker(template: str, version: str, precache: list[str]) -> str:
    """The service worker's source with its version and precache list written in (as JSON, so
    the unrendered template is valid JavaScript too)."""
    for mark in (_VERSION_MARK, _PRECACHE_MARK):
        if template.count(mark) != 1:
            raise ValueError(f"api/pages/static/sw.js must hold {mark} exactly once")
    return template.replace(_VERSION_MARK, json.dumps(version)).replace(
        _PRECACHE_MARK, json.dumps(precache)
    )


def tile_origins() -> list[str]:
    """Every origin the page's map loads tiles from (``api.maps.texts.TILE_SOURCES``)."""
    return sorted({origin for source in TILE_SOURCES.values() for origin in source.origins})


def content_security_policy() -> str:
    """The page's policy: its own scripts, styles and API only, images from itself and the
    tile servers. No inline script or style element, no eval, no other origin for fetch."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {' '.join(tile_origins())}",
            "connect-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
