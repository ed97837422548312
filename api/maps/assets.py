"""The page's code and styles, inlined: vendored Leaflet 1.9.4, Leaflet.markercluster 1.5.3 and
geographiclib-geodesic 2.2.0 (pinned by SHA-256, licences copied into the page) plus our own
script and stylesheet.

Nothing is loaded from a CDN: CDNs are slow or blocked for many riders in mainland
China and absent offline. Inlining (rather than files beside the page) keeps one file that
works when saved, shared in WeChat or served by ``GET /map``. See ``vendor/README.md``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from importlib.resources import files
from typing import Final, NamedTuple

_PACKAGE: Final = files("api.maps")

#: Vendored file → SHA-256 of the bytes in the npm tarball (vendor/README.md).
PINNED: Final[dict[str, str]] = {
    "leaflet/LICENSE": "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
    "leaflet/leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "leaflet/leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet/images/layers-2x.png": (
        "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf"
    ),
    "leaflet/images/layers.png": (
        "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6"
    ),
    "leaflet/images/marker-icon.png": (
        "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437"
    ),
    "leaflet.markercluster/MIT-LICENCE.txt": (
        "3133dacd38250bd1f524d8166cc60a016a382522e062fce143691c65bf5e4b3d"
    ),
    "leaflet.markercluster/MarkerCluster.css": (
        "614dea0a98ff3f4ead74f04918f6b1d1b9ba435c25b5fc23b21a394d1e3e4d87"
    ),
    "leaflet.markercluster/MarkerCluster.Default.css": (
        "61258232d98d64dc2a7b1e02130d67421bc5b9bda5994eef70228ff97570c170"
    ),
    "leaflet.markercluster/leaflet.markercluster.js": (
        "1e4e1d22972a3926f48598e0caf14e3fe7049835d428a344fed4f9e3665b3508"
    ),
    "geographiclib-geodesic/LICENSE.txt": (
        "8df0455c90f6bb3efbabf3e225122654c438a09c2be5635cdd79472a0970247e"
    ),
    "geographiclib-geodesic/geographiclib-geodesic.min.js": (
        "06e3512904b346575f475f14d0b27ea0979dbcd2b0eddebf5f1eeefd234395b5"
    ),
}

_SCRIPTS: Final = (
    "leaflet/leaflet.js",
    "leaflet.markercluster/leaflet.markercluster.js",
    # Karney's geodesics (the algorithm pyproj's Geod wraps in C): the page's "nearest to me"
    # measures distances as the API does. Defines window.geodesic.
    "geographiclib-geodesic/geographiclib-geodesic.min.js",
)
_STYLES: Final = (
    "leaflet/leaflet.css",
    "leaflet.markercluster/MarkerCluster.css",
    "leaflet.markercluster/MarkerCluster.Default.css",
)
_LICENCES: Final = (
    ("Leaflet 1.9.4 (https://leafletjs.com)", "leaflet/LICENSE"),
    (
        "Leaflet.markercluster 1.5.3 (https://github.com/Leaflet/Leaflet.markercluster)",
        "leaflet.markercluster/MIT-LICENCE.txt",
    ),
    (
        "geographiclib-geodesic 2.2.0 (https://github.com/geographiclib/geographiclib-js)",
        "geographiclib-geodesic/LICENSE.txt",
    ),
)
_CSS_URL: Final = re.compile(r"url\((images/[\w.-]+\.png)\)")
_SOURCE_MAP: Final = re.compile(r"^//# sourceMappingURL=\S+\s*$", re.MULTILINE)
#: Sequences that would end or confuse an inline <script>/<style> element.
_UNSAFE_IN_SCRIPT: Final = re.compile(r"</script|<!--", re.IGNORECASE)
_UNSAFE_IN_STYLE: Final = re.compile(r"</style", re.IGNORECASE)


class VendoredAssetChanged(RuntimeError):
    """A vendored file differs from the pinned release."""


class Assets(NamedTuple):
    """What every page inlines: one stylesheet and one script (vendored, then ours)."""

    css: str
    js: str


@functools.cache
def page_assets() -> Assets:
    """The inlined CSS and JS, read once per process; raises VendoredAssetChanged on a
    mismatch with the pinned hashes."""
    css = "\n".join([_vendored_css(name) for name in _STYLES] + [_own("static/yizhan-map.css")])
    licences = "\n".join(f"{title}\n\n{_vendored_text(path)}" for title, path in _LICENCES)
    js = "\n".join(
        [f"/*! Third-party code below, with its licences:\n\n{licences}\n*/"]
        + [_SOURCE_MAP.sub("", _vendored_text(name)) for name in _SCRIPTS]
        + [_own("static/yizhan-nearest.js"), _own("static/yizhan-map.js")]
    )
    if _UNSAFE_IN_SCRIPT.search(js) or "*/" in licences:
        raise VendoredAssetChanged("a script would end its inline <script> element early")
    if _UNSAFE_IN_STYLE.search(css):
        raise VendoredAssetChanged("a stylesheet would end its inline <style> element early")
    return Assets(css=css, js=js)


def vendored_bytes(name: str) -> bytes:
    """A vendored file's bytes, checked against ``PINNED``."""
    data = (_PACKAGE / "vendor" / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != PINNED[name]:
        raise VendoredAssetChanged(
            f"api/maps/vendor/{name} has SHA-256 {digest}, not the pinned {PINNED[name]}; "
            "restore it from the npm tarball (api/maps/vendor/README.md)"
        )
    return data


def _vendored_text(name: str) -> str:
    return vendored_bytes(name).decode("utf-8")


def _vendored_css(name: str) -> str:
    folder = name.rsplit("/", 1)[0]

    def inline(match: re.Match[str]) -> str:
        png = vendored_bytes(f"{folder}/{match.group(1)}")
        return f'url("data:image/png;base64,{base64.b64encode(png).decode("ascii")}")'

    return _CSS_URL.sub(inline, _vendored_text(name))


def _own(name: str) -> str:
    return (_PACKAGE / name).read_text(encoding="utf-8")
