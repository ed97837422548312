"""The report of an import: how many rows it read, created, updated and left unchanged, and
every rejected row and likely duplicate that stopped it (or would have)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stations.files.duplicates import Duplicate


@dataclass(frozen=True, slots=True)
class Rejection:
    """One problem with one row: ``row`` is the CSV line, GeoJSON feature or Excel row;
    ``reason_zh`` the reason in Chinese, where there is one."""

    row: int
    field: str
    reason: str
    reason_zh: str | None = None

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RowConversion:
    row: int
    field: str
    given: str
    saved: str


@dataclass(slots=True)
class ImportReport:
    """What an import did or, when it wrote nothing, would do. The counts are filled when every
    row is valid (also in a dry run, and when only likely duplicates stopped the import)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    allow_duplicates: bool = False
    out_of_scope: int = 0  # how many rejections are rows outside the token's districts
    #: Columns with values that Yizhan records itself (verified_at, …): not imported.
    set_aside: set[str] = field(default_factory=set)
    #: Values read from how people write them (a Chinese hours phrase into OSM syntax).
    conversions: list[RowConversion] = field(default_factory=list)

    @property
    def duplicates_block(self) -> bool:
        return bool(self.duplicates) and not self.allow_duplicates

    @property
    def blocked(self) -> bool:
        """Nothing was (or, in a dry run, would be) written because of the problems found."""
        return bool(self.rejected) or self.duplicates_block

    @property
    def only_out_of_scope(self) -> bool:
        """The only problem: rows outside the token's districts (a 403, not a 422)."""
        return (
            bool(self.rejected)
            and self.out_of_scope == len(self.rejected)
            and not self.duplicates_block
        )

    def summary(self) -> str:
        verb = "would be" if self.dry_run or not self.written else "were"
        state = "written" if self.written else "nothing written"
        duplicates = ""
        if self.duplicates:
            allowed = " (allowed)" if self.allow_duplicates else ""
            duplicates = f", {len(self.duplicates)} likely duplicates{allowed}"
        aside = ""
        if self.set_aside:
            aside = (
                f"; the values of {', '.join(sorted(self.set_aside))} were left aside: Yizhan "
                "records them itself (verify a station, mark an amenity out of order)"
            )
        return (
            f"{self.rows} rows: {self.created} {verb} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} problems{duplicates} ({state})"
            f"{aside}"
        )
