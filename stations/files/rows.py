"""What every format's reader makes of a file: raw rows (field name → value as found in the
file, numbered as a person would find them), checked against the columns an import knows.

Nothing is validated here beyond the file's structure; ``stations.editing.validation`` judges
values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from stations.editing.validation import KNOWN_FIELDS
from stations.errors import ImportFileError
from stations.model import EDITABLE_FIELDS, FIELD_STATE

#: The import columns, in file order (README: Import file).
CSV_COLUMNS: Final = ("id", *EDITABLE_FIELDS)
#: What Yizhan records itself, and the credit OpenStreetMap's licence asks of its data (on the
#: stations imported from it): exported after the import columns; an import takes a file with
#: them (a re-imported export) and leaves their values aside, saying so in its report.
STATE_COLUMNS: Final = (*FIELD_STATE, "attribution")
EXPORT_COLUMNS: Final = (*CSV_COLUMNS, *STATE_COLUMNS)
#: Pseudo-fields a reader sets when a row is broken before its fields can be read.
STRUCTURAL: Final = ("__row__", "__geometry__")
_REQUIRED_COLUMNS: Final = ("name", "kind", "lon", "lat", "district_code")


@dataclass(frozen=True, slots=True)
class RawRow:
    number: int
    values: Mapping[str, object]


def check_header(columns: list[str]) -> None:
    """Refuse a header with a column no import has, without one an import needs, or with one
    twice."""
    unknown = [c for c in columns if c not in KNOWN_FIELDS and c not in STATE_COLUMNS]
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise ImportFileError(
            f"header: {'; '.join(problems)}. Expected the columns {','.join(CSV_COLUMNS)}"
        )


def decode(data: bytes) -> str:
    """A text file's bytes as UTF-8 (a BOM is fine)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8 and try again"
        ) from exc
