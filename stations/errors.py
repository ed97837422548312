"""The domain's exception hierarchy; the API maps each category to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field


class YizhanError(Exception):
    """Base of every error Yizhan raises on purpose; ``str(exc)`` is safe to show a user.
    ``zh``: the same in Chinese, where the raiser has it (answers prefer it for a reader who
    prefers Chinese)."""

    zh: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one field of an input; ``reason_zh``: the reason in Chinese, where
    there is one (the field name stays as it is)."""

    field: str
    reason: str
    reason_zh: str | None = dataclass_field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"

    def chinese(self) -> str:
        return f"{self.field}：{self.reason_zh or self.reason}"


class InvalidInput(YizhanError):
    """Input that breaks the contract; carries every problem found, each naming its field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))
        self.zh = "；".join(p.chinese() for p in problems)


class InvalidStation(InvalidInput):
    """A station record that does not validate."""


class UnsupportedMediaType(InvalidInput):
    """An upload whose declared or sniffed type is not one we take; the API maps it to 415."""


class StationNotFound(YizhanError):
    def __init__(self, station_id: str) -> None:
        self.station_id = station_id
        super().__init__(f"no station with id {station_id!r}")
        self.zh = f"没有编号为“{station_id}”的站点"


class StoreUnavailable(YizhanError):
    """The store cannot be opened or read (missing file, not a Yizhan store, locked)."""


class ImportFileError(YizhanError):
    """An import file that cannot be read at all (wrong format, bad encoding, bad header)."""


class VersionMismatch(YizhanError):
    """A write based on a version that is no longer current (someone else wrote first)."""

    def __init__(self, station_id: str, expected: int, current: int) -> None:
        self.station_id = station_id
        self.expected = expected
        self.current_version = current
        stale = (
            f"not {expected}: someone changed it since you read it"
            if expected >= 0
            else "and your If-Match does not name a version"
        )
        super().__init__(
            f"station {station_id!r} is at version {current}, {stale}. Fetch it again, "
            f'reapply your change, and send If-Match: "{current}"'
        )
        self.zh = (
            f"站点“{station_id}”已是第 {current} 版，有同事在您读取之后修改过它。请重新读取，"
            f'再做一次您的修改，并发送 If-Match: "{current}"'
        )


class Forbidden(YizhanError):
    """A valid token asked for a write outside its role or districts."""


class TokenNotFound(YizhanError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no token named {name!r}")


class VersionNotFound(YizhanError):
    def __init__(self, station_id: str, version: int) -> None:
        super().__init__(f"station {station_id!r} has no recorded version {version}")


class StationExists(YizhanError):
    def __init__(self, station_id: str) -> None:
        super().__init__(
            f"a station with id {station_id!r} exists already; PATCH it, or leave id out to "
            "get a new one"
        )


class LikelyDuplicate(StationExists):
    """A new station would be a likely duplicate (``stations.files.duplicates``) of a station
    that is not retired: a conflict with it, like a taken id."""

    def __init__(self, near_id: str, near_name: str, distance_m: float) -> None:
        self.near_id, self.near_name, self.distance_m = near_id, near_name, distance_m
        YizhanError.__init__(
            self,
            f"station {near_id!r} ({near_name}) is {distance_m:.1f} m away with a similar name: "
            "it is likely the same station, so edit it (PATCH) instead; if they are two "
            "stations, create again with ?allow_duplicates=true",
        )
        self.zh = (
            f"{distance_m:.1f} 米外已有名称相近的站点“{near_name}”（{near_id}），很可能是同一个"
            "站点，请修改它；如果确实是两个站点，请加上 ?allow_duplicates=true 再新建"
        )


class PhotoNotFound(YizhanError):
    def __init__(self, photo_id: str) -> None:
        self.photo_id = photo_id
        super().__init__(f"no photo with id {photo_id!r}")


class ReportNotFound(YizhanError):
    def __init__(self, report_id: object) -> None:
        super().__init__(f"no rider report with id {report_id!r}")


class RateLimited(YizhanError):
    """A client sent more than its share (of rider reports) in a window; try again later."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)
