"""Render a station map with Folium: a pure function from stations to a ``folium.Map``, and the
finished page's HTML.

Folium builds the page skeleton (the Leaflet map and its tile layer); everything else comes
inlined from ``assets`` and the data from ``payload``:

* no CDN: Folium's default scripts and stylesheets are switched off, not replaced by links;
* data never passes through Jinja: branca parses the output of every ``MacroElement`` macro
  as a template again, so ``{{ … }}`` in a station name would be evaluated. The data block
  and the inlined code are ``_Raw`` elements, inserted verbatim;
* the page carries a Content-Security-Policy that allows exactly its own inline scripts (by
  SHA-256), styles, ``data:`` images and the tile server: even a bug that let markup through
  could not run script or load anything else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from api.maps.assets import page_assets
from api.maps.inert import html_text, script_json
from api.maps.payload import Thumbnail, leaflet_latlng, page_data
from api.maps.texts import TEXT, TILE_SOURCES, Lang, Tiles
from stations.model import Station, StationId, Status

DATA_ELEMENT_ID: Final = "yizhan-data"
_CHINA_CENTRE: Final = (105.0, 35.0)  # (lon, lat): the view of a page with no station
_INLINE_SCRIPT: Final = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_NO_LINKS: Final[list[tuple[str, str]]] = []
_CHARSET: Final = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
_ANY_SCRIPT_SRC: Final = re.compile(r"<script[^>]*\bsrc\s*=", re.IGNORECASE)


class StationMap(folium.Map):
    """A ``folium.Map`` that links no CDN script or stylesheet (ours are inlined), and knows
    its page language and tiles."""

    default_js = _NO_LINKS
    default_css = _NO_LINKS

    def __init__(self, *, lang: Lang, tile_choice: Tiles, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.yizhan_lang = lang
        self.yizhan_tiles = tile_choice


class _Raw(Element):
    """Markup inserted exactly as given, never parsed as a Jinja template."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._markup = markup

    def render(self, **kwargs: Any) -> str:
        return self._markup


class _Start(MacroElement):
    """Calls the page script on the map once Folium has created it. Holds no data."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "Yizhan.start({{ this._parent.get_name() }}, '" + DATA_ELEMENT_ID + "');"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "YizhanStart"


def render_map(
    stations: Sequence[Station],
    *,
    tiles: Tiles = Tiles.OSM,
    lang: Lang = "zh",
    coverage_m: Sequence[int] = (),
    title: str | None = None,
    data_date: date | None = None,
    now: datetime | None = None,
    photos: Mapping[StationId, Thumbnail] | None = None,
    district_code: str | None = None,
) -> StationMap:
    """Build, but do not save, the map of the ``active`` stations among ``stations``.

    Markers are drawn in the datum of ``tiles`` (WGS-84 for OpenStreetMap, GCJ-02 for Amap);
    ``coverage_m`` adds one toggleable (initially hidden) layer of geodesic circles per radius
    in metres. ``title`` defaults to the page title for ``lang``. Every string from the data is
    embedded as inert JSON (``api.maps.inert``). No stations gives a page that says so.
    ``now`` (aware; default: the current time) is the build time: closures that have ended by
    then are not shown. ``photos`` inlines one thumbnail per station id into its popup (as a
    ``data:`` image); None, the default, adds nothing. ``district_code`` says the page holds
    one district's stations (the nearest list says so, with the district's name).
    """
    published = sorted((s for s in stations if s.status is Status.ACTIVE), key=lambda s: s.id)
    title = title or TEXT[lang]["title"]
    data = page_data(
        published,
        tiles=tiles,
        lang=lang,
        coverage_m=coverage_m,
        title=title,
        data_date=data_date,
        now=datetime.now(UTC) if now is None else now,
        photos=photos,
        district_code=district_code,
    )
    m = StationMap(
        lang=lang,
        tile_choice=tiles,
        location=_centre(data["bounds"]),
        zoom_start=12 if published else 4,
        tiles=None,
        control_scale=True,
    )
    m._id = "stations"  # fixed element names: the same data gives the same bytes
    # The page script fits the view to the stations (data["bounds"]) before the tile layer is
    # added, so a phone fetches tiles for the final view only, and nothing animates on load.
    m.add_child(_Start())
    _tile_layer(tiles).add_to(m)
    _fill_page(m, title, data)
    return m


def _fill_page(m: StationMap, title: str, data: dict[str, Any]) -> None:
    """The page around the map: its title, the inlined code and the data block (verbatim)."""
    figure = m.get_root()
    assert isinstance(figure, Figure)
    figure.title = html_text(title)
    assets = page_assets()
    figure.header.add_child(
        _Raw(f"<style>\n{assets.css}\n</style>\n<script>\n{assets.js}\n</script>"),
        name="yizhan_assets",
    )
    figure.html.add_child(
        _Raw(
            f'<script type="application/json" id="{DATA_ELEMENT_ID}">{script_json(data)}</script>'
        ),
        name="yizhan_data",
    )


def _centre(bounds: list[list[float]] | None) -> list[float]:
    """[lat, lon] of the middle of ``bounds`` ([[south, west], [north, east]]), or of China
    when there are none."""
    if not bounds:
        return leaflet_latlng(*_CHINA_CENTRE)[0]
    (south, west), (north, east) = bounds
    return [(south + north) / 2, (west + east) / 2]


def _tile_layer(tiles: Tiles) -> folium.TileLayer:
    source = TILE_SOURCES[tiles]
    layer = folium.TileLayer(
        tiles=source.url,
        attr=source.attribution,
        name=tiles.value,
        subdomains=source.subdomains or "abc",
        max_zoom=source.max_zoom,
        control=False,
    )
    layer._id = tiles.value  # a fixed element name, as the map's
    return layer


def page_html(m: StationMap) -> str:
    """The finished HTML of a map from ``render_map``: language set and a
    Content-Security-Policy allowing only the page's own inline scripts, inline styles,
    ``data:`` images and the tile server."""
    # The HTML parser turns CR LF and CR into LF before a script's hash is checked.
    html: str = m.get_root().render().replace("\r\n", "\n").replace("\r", "\n")
    if _ANY_SCRIPT_SRC.search(html):
        raise ValueError("a map page must not load any script from elsewhere")
    lang = "zh-CN" if m.yizhan_lang == "zh" else "en"
    html = html.replace("<html>", f'<html lang="{lang}">', 1)
    hashes = sorted({_script_hash(body) for body in _INLINE_SCRIPT.findall(html)})
    images = " ".join(["data:", *TILE_SOURCES[m.yizhan_tiles].origins])
    policy = (
        f"default-src 'none'; script-src {' '.join(hashes)}; style-src 'unsafe-inline'; "
        f"img-src {images}; base-uri 'none'; form-action 'none'"
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return html.replace(_CHARSET, f"{_CHARSET}\n    {meta}", 1)


def _script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
