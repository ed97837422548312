"""The admin console's files: what each URL serves, and the page's security policy.

A sibling of the rider page's shell (``api.pages.shell``): the same :class:`Asset` (a strong
ETag, gzip-compressed once per process), read on first use, never at import, and kept for the
life of the process. The console reuses what the rider page already serves: the vendored
Leaflet under ``/static/vendor/leaflet/`` and the WGS-84 ↔ GCJ-02 port ``/static/rider/crs.js``
(checked against ``geo.crs`` by the rider page's tests). It has no service worker: every action
is a write or needs fresh data, and the one worker a site may scope to ``/`` is the rider's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.resources import files
from typing import Final

from api.pages.shell import CSS, HTML, JS, Asset, tile_origins

CONSOLE: Final = "/admin"
FILES: Final = "/static/admin"

#: Our own files (in ``api/pages/admin/static``) by URL, with their media types; the scripts in
#: the order the page loads them.
OWN: Final[dict[str, tuple[str, str]]] = {
    CONSOLE: ("admin.html", HTML),
    f"{FILES}/admin.css": ("admin.css", CSS),
    f"{FILES}/words.js": ("words.js", JS),
    f"{FILES}/core.js": ("core.js", JS),
    f"{FILES}/crs.js": ("crs.js", JS),
    f"{FILES}/hours.js": ("hours.js", JS),
    f"{FILES}/position.js": ("position.js", JS),
    f"{FILES}/list.js": ("list.js", JS),
    f"{FILES}/values.js": ("values.js", JS),
    f"{FILES}/amenities.js": ("amenities.js", JS),
    f"{FILES}/fielderrors.js": ("fielderrors.js", JS),
    f"{FILES}/conflict.js": ("conflict.js", JS),
    f"{FILES}/duplicate.js": ("duplicate.js", JS),
    f"{FILES}/history.js": ("history.js", JS),
    f"{FILES}/photos.js": ("photos.js", JS),
    f"{FILES}/form.js": ("form.js", JS),
    f"{FILES}/reports.js": ("reports.js", JS),
    f"{FILES}/files.js": ("files.js", JS),
    f"{FILES}/admin.js": ("admin.js", JS),
}


@functools.cache
def admin_assets() -> Mapping[str, Asset]:
    """Every file of the console by URL path, read once per process."""
    package = files("api.pages.admin") / "static"
    return {url: Asset.of((package / name).read_bytes(), kind) for url, (name, kind) in OWN.items()}


def content_security_policy() -> str:
    """The console's policy: its own scripts and styles, the API of its own origin, images from
    itself (station photos) and the tile servers. No inline script or style element, no eval,
    no worker, no frame; nothing may embed it."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {' '.join(tile_origins())}",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
