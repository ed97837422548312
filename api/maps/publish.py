"""Publish station maps as files: ``DIR/index.html``, or one page per district plus an index.

Only ``active`` stations are published: a ``closed_temporarily`` station is left out (a printed
map or a saved page cannot say when it reopens, and would send a rider to a shut door), as the
``export`` command does. Every page is written to a temporary file and renamed into place, so a
reader never sees half a page.

With photos (``yizhan map --photos``), each station's newest photo's thumbnail is inlined into
its popup as a ``data:`` JPEG, and each page states how many it holds and the bytes they add.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Final

from api.maps.hours import HORIZON, horizon_start
from api.maps.inert import html_text
from api.maps.payload import PhotoSummary, Thumbnail, photo_summary
from api.maps.render import page_html, render_map
from api.maps.texts import TEXT, Lang, Tiles
from stations.districts import district_name
from stations.errors import PhotoNotFound, StationNotFound
from stations.hours import SHANGHAI
from stations.model import Station, StationId, Status

if TYPE_CHECKING:
    from stations.store.photos import PhotoStore

INDEX: Final = "index.html"
_DISTRICT_PAGE: Final = re.compile(r"^district-(\d{6}|x[0-9a-f]{12})\.html$")


@dataclass(frozen=True, slots=True)
class Page:
    path: Path
    stations: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Publication:
    index: Path
    pages: tuple[Page, ...]  # every file written, the index included
    stations: int  # active stations published
    photos: PhotoSummary | None = None  # the thumbnails inlined, over all pages; None: none asked
    hours_until: datetime | None = None  # the pages say "status unknown" from then on


def publishable(stations: Sequence[Station]) -> list[Station]:
    """The stations a map shows: status ``active``, ordered by id."""
    return sorted((s for s in stations if s.status is Status.ACTIVE), key=lambda s: s.id)


def data_date_of(stations: Sequence[Station]) -> date | None:
    """The day (Asia/Shanghai) of the newest change among ``stations``; None for none."""
    if not stations:
        return None
    return max(s.updated_at for s in stations).astimezone(SHANGHAI).date()


def district_page_name(district_code: str) -> str:
    """``district-610103.html``; a code that is not six digits (the store validates it is) gets
    a hashed name, so no data ever shapes a path."""
    if re.fullmatch(r"\d{6}", district_code):
        return f"district-{district_code}.html"
    return f"district-x{sha256(district_code.encode('utf-8')).hexdigest()[:12]}.html"


def newest_thumbnails(
    store: PhotoStore, station_ids: Iterable[StationId]
) -> dict[StationId, Thumbnail]:
    """Each station's newest photo's thumbnail, for the stations that have one. A photo deleted
    while we read gives way to the next newest (and a station gone, to none)."""
    thumbnails: dict[StationId, Thumbnail] = {}
    for station_id in station_ids:
        try:
            photos = store.photos_of(station_id)
        except StationNotFound:
            continue
        for photo in photos:
            try:
                jpeg = store.photo_bytes(photo.id, "thumbnail")
            except PhotoNotFound:
                continue
            thumbnails[station_id] = Thumbnail(jpeg, photo.thumb_width, photo.thumb_height)
            break
    return thumbnails


def publish(
    stations: Sequence[Station],
    out_dir: Path,
    *,
    tiles: Tiles = Tiles.OSM,
    lang: Lang = "zh",
    coverage_m: Sequence[int] = (),
    by_district: bool = False,
    photos: Mapping[StationId, Thumbnail] | None = None,
    now: datetime | None = None,
) -> Publication:
    """Write the map page(s) of the active ``stations`` into ``out_dir`` (created if missing).

    Without ``by_district``: ``index.html`` with every active station. With it: one
    ``district-<adcode>.html`` per district and ``index.html`` linking them with their counts;
    districts are named (``stations.districts.district_name``: 陕西省西安市碑林区), files keep
    the code.
    District pages left from an earlier publication into the same directory are removed, so a
    district that lost its last station does not keep a stale page. Every page shows the same
    data date: that of the newest change among the published stations. ``photos`` (station
    id → thumbnail, e.g. from ``newest_thumbnails``) inlines them into the popups; ``now`` is
    the build time closures are compared with (default: the current time).
    """
    published = publishable(stations)
    when = data_date_of(published)
    built = datetime.now(UTC) if now is None else now
    render = partial(
        render_map,
        tiles=tiles,
        lang=lang,
        coverage_m=coverage_m,
        data_date=when,
        now=built,
        photos=photos,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: list[Page] = []
    if by_district:
        counts = Counter(s.district_code for s in published)
        for code in sorted(counts):
            in_district = [s for s in published if s.district_code == code]
            title = f"{TEXT[lang]['title']} · {district_name(code)}"
            html = page_html(render(in_district, title=title, district_code=code))
            pages.append(_write(out_dir / district_page_name(code), html, len(in_district)))
        index_html = district_index_html(counts, lang=lang, data_date=when)
    else:
        index_html = page_html(render(published))
    pages.append(_write(out_dir / INDEX, index_html, len(published)))
    _remove_stale_district_pages(out_dir, keep={p.path.name for p in pages})
    return Publication(
        index=out_dir / INDEX,
        pages=tuple(pages),
        stations=len(published),
        photos=None if photos is None else photo_summary(published, photos),
        hours_until=horizon_start(built) + HORIZON,
    )


def district_index_html(counts: Counter[str], *, lang: Lang, data_date: date | None) -> str:
    """The index of a by-district publication: a plain page (no script) linking each
    district's page, by the district's name, with its station count; in code order. Data
    strings pass through ``html_text``."""
    text = TEXT[lang]
    rows = "\n".join(
        f'<tr><td><a href="{html_text(district_page_name(code))}">'
        f"{html_text(district_name(code))}</a></td><td>{counts[code]}</td></tr>"
        for code in sorted(counts)
    )
    when = f"<p>{html_text(text['data_date'])} {data_date.isoformat()}</p>" if data_date else ""
    title = html_text(text["index_title"])
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 15px/1.5 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 1rem; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: 0 12px; border-bottom: 1px solid #ddd; text-align: left; }}
th {{ padding: 8px 12px; }}
td + td, th + th {{ text-align: right; }}
td a {{ display: flex; align-items: center; min-height: 44px; }}
</style>
</head>
<body>
<h1>{title}</h1>
{when}
<table>
<thead><tr><th>{html_text(text["district"])}</th><th>{html_text(text["stations"])}</th></tr></thead>
<tbody>
{rows}
</tbody>
<tfoot><tr><th>{html_text(text["total"])}</th><th>{sum(counts.values())}</th></tr></tfoot>
</table>
</body>
</html>
"""


def _write(path: Path, html: str, stations: int) -> Page:
    data = html.encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        tmp.chmod(0o644)  # mkstemp makes 0600; a published page is for everyone
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Page(path=path, stations=stations, size_bytes=len(data))


def _remove_stale_district_pages(out_dir: Path, *, keep: set[str]) -> None:
    for old in out_dir.iterdir():
        if _DISTRICT_PAGE.match(old.name) and old.name not in keep and old.is_file():
            old.unlink()
