"""stations.hours: explicit Shanghai instants with expected states, China's holiday breaks as PH,
and the PH rewrite checked against the library's own PH handling on a calendar it knows (FR).

Dates used (checked against chinese_calendar 1.11.0 in the tests below):
2026 Spring Festival break Feb 15 (Sun) - Feb 23 (Mon), make-up working Saturdays Feb 14 and
Feb 28; 2026 National Day break Oct 1 (Thu) - Oct 7 (Wed), make-up Sep 20 (Sun), Oct 10 (Sat).
2026-03-02 to 2026-03-08 (Mon-Sun) is an ordinary week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import opening_hours
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stations import hours
from stations.hours import (
    SHANGHAI,
    Hours,
    HoursStatus,
    InvalidOpeningHours,
    Openness,
    is_public_holiday,
)

OPEN, CLOSED, UNKNOWN = Openness.OPEN, Openness.CLOSED, Openness.UNKNOWN


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant on the Shanghai wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


SPRING_FESTIVAL_2026 = days(date(2026, 2, 15), date(2026, 2, 23))
NATIONAL_DAY_2026 = days(date(2026, 10, 1), date(2026, 10, 7))
MAKE_UP_WORKING_DAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


# --- the calendar ---------------------------------------------------------------------------


def test_the_2026_breaks_are_the_ones_the_state_council_published() -> None:
    def break_days(name: str) -> list[date]:
        year = days(date(2026, 1, 1), date(2026, 12, 31))
        return [d for d in year if chinese_calendar.get_holiday_detail(d) == (True, name)]

    assert break_days("Spring Festival") == SPRING_FESTIVAL_2026
    # Oct 1-7: in 2026 Mid-Autumn (Sep 25-27) is a break of its own; Oct 1-8 was 2025's.
    assert break_days("National Day") == NATIONAL_DAY_2026


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026)
def test_every_day_of_a_break_is_a_public_holiday(day: date) -> None:
    assert is_public_holiday(day) is True


@pytest.mark.parametrize("day", MAKE_UP_WORKING_DAYS_2026)
def test_a_make_up_working_day_is_not_a_public_holiday(day: date) -> None:
    assert chinese_calendar.get_holiday_detail(day)[0] is False
    assert day.weekday() >= 5  # the point of 调休: a weekend day that is worked
    assert is_public_holiday(day) is False


def test_an_ordinary_weekend_is_not_a_public_holiday() -> None:
    assert chinese_calendar.get_holiday_detail(date(2026, 3, 7)) == (True, None)
    assert is_public_holiday(date(2026, 3, 7)) is False


@pytest.mark.parametrize("day", [date(2003, 12, 31), date(2027, 1, 1)])
def test_a_year_without_calendar_data_is_not_known(day: date) -> None:
    assert is_public_holiday(day) is None


def test_the_parsers_own_cn_holiday_list_is_not_what_we_use() -> None:
    oct_3 = datetime(2026, 10, 3, 12)
    builtin = opening_hours.OpeningHours(
        "PH", country="CN", auto_country=False, auto_timezone=False
    )
    assert builtin.state(oct_3)[0] == opening_hours.State.CLOSED  # it only knows Oct 1
    assert is_public_holiday(oct_3.date()) is True
    assert Hours.parse("PH").state(oct_3.replace(tzinfo=SHANGHAI)) is OPEN


# --- plain expressions ----------------------------------------------------------------------


@pytest.mark.parametrize("at", [sh(2026, 3, 4, 3), sh(2026, 2, 16, 12), sh(2030, 1, 1)])
def test_24_7_is_always_open(at: datetime) -> None:
    assert Hours.parse("24/7").status(at) == HoursStatus(OPEN, None)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 4, 8, 29), CLOSED),
        (sh(2026, 3, 4, 8, 30), OPEN),
        (sh(2026, 3, 4, 12), OPEN),
        (sh(2026, 3, 4, 17, 29), OPEN),
        (sh(2026, 3, 4, 17, 30), CLOSED),
        (sh(2026, 3, 6, 12), OPEN),  # Friday
        (sh(2026, 3, 7, 12), CLOSED),  # Saturday
        (sh(2026, 3, 8, 12), CLOSED),  # Sunday
    ],
)
def test_office_hours(at: datetime, expected: Openness) -> None:
    assert Hours.parse("Mo-Fr 08:30-17:30").state(at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 4, 6, 59), CLOSED),
        (sh(2026, 3, 4, 7), OPEN),
        (sh(2026, 3, 4, 10, 59), OPEN),
        (sh(2026, 3, 4, 11), CLOSED),
        (sh(2026, 3, 4, 12), CLOSED),
        (sh(2026, 3, 4, 13, 30), OPEN),
        (sh(2026, 3, 8, 19, 59), OPEN),
        (sh(2026, 3, 8, 20), CLOSED),
    ],
)
def test_split_shifts(at: datetime, expected: Openness) -> None:
    assert Hours.parse("Mo-Su 07:00-11:00,13:30-20:00").state(at) is expected


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("Mo-Su 22:00-06:00", sh(2026, 3, 4, 23), OPEN),
        ("Mo-Su 22:00-06:00", sh(2026, 3, 5, 3), OPEN),
        ("Mo-Su 22:00-06:00", sh(2026, 3, 5, 6), CLOSED),
        ("Mo-Su 22:00-06:00", sh(2026, 3, 5, 12), CLOSED),
        ("Fr 22:00-02:00", sh(2026, 3, 6, 21, 59), CLOSED),
        ("Fr 22:00-02:00", sh(2026, 3, 6, 23), OPEN),
        ("Fr 22:00-02:00", sh(2026, 3, 7, 1), OPEN),  # Saturday, from Friday's range
        ("Fr 22:00-02:00", sh(2026, 3, 7, 3), CLOSED),
        ("Fr 22:00-02:00", sh(2026, 3, 7, 23), CLOSED),
        ("Su 22:00-02:00", sh(2026, 3, 9, 1), OPEN),  # across the week boundary into Monday
        ("Su 22:00-02:00", sh(2026, 3, 10, 1), CLOSED),
    ],
)
def test_overnight(text: str, at: datetime, expected: Openness) -> None:
    assert Hours.parse(text).state(at) is expected


# --- PH: China's breaks, every day of them --------------------------------------------------


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026)
def test_ph_off_closes_every_day_of_a_break(day: date) -> None:
    office = Hours.parse("Mo-Fr 09:00-17:00; PH off")
    assert office.state(datetime.combine(day, time(10), SHANGHAI)) is CLOSED


def test_office_hours_over_all_of_2026_against_the_calendar() -> None:
    office = Hours.parse("Mo-Fr 09:00-17:00; PH off")
    for day in days(date(2026, 1, 1), date(2026, 12, 31)):
        # A weekday that is a holiday is in a break; make-up weekend days stay Sa/Su.
        expected = OPEN if day.weekday() < 5 and not chinese_calendar.is_holiday(day) else CLOSED
        assert office.state(datetime.combine(day, time(10), SHANGHAI)) is expected, day
        assert office.state(datetime.combine(day, time(20), SHANGHAI)) is CLOSED, day


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 13), date(2026, 2, 24), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9)],
)
def test_working_days_around_a_break_follow_the_weekday_rule(day: date) -> None:
    assert (
        Hours.parse("Mo-Fr 09:00-17:00; PH off").state(datetime.combine(day, time(10), SHANGHAI))
        is OPEN
    )


@pytest.mark.parametrize("day", MAKE_UP_WORKING_DAYS_2026)
def test_a_make_up_working_day_keeps_its_weekday(day: date) -> None:
    # OSM rules select by weekday: a worked Saturday is still Sa, so Mo-Fr hours stay shut.
    at = datetime.combine(day, time(10), SHANGHAI)
    assert Hours.parse("Mo-Fr 09:00-17:00; PH off").state(at) is CLOSED
    assert Hours.parse("Sa,Su 09:00-12:00; PH off").state(at) is OPEN


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 10, 3, 9, 59), CLOSED),
        (sh(2026, 10, 3, 10), OPEN),  # a Saturday inside the break
        (sh(2026, 10, 7, 15, 59), OPEN),
        (sh(2026, 10, 7, 16), CLOSED),
        (sh(2026, 10, 8, 11), CLOSED),  # the break is over
        (sh(2026, 3, 4, 11), CLOSED),
    ],
)
def test_special_hours_on_ph(at: datetime, expected: Openness) -> None:
    assert Hours.parse("PH 10:00-16:00").state(at) is expected


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("Mo-Fr,PH 08:00-18:00", sh(2026, 2, 15, 12), OPEN),  # Sunday in the break
        ("Mo-Fr,PH 08:00-18:00", sh(2026, 3, 8, 12), CLOSED),
        ("Sa,PH 10:00-12:00", sh(2026, 2, 17, 11), OPEN),
        ("Sa,PH 10:00-12:00", sh(2026, 3, 4, 11), CLOSED),
        ("PH off", sh(2026, 2, 17, 11), CLOSED),
        ("PHoff", sh(2026, 2, 17, 11), CLOSED),
        # A space joins holidays and weekdays with AND (OSM specification): PH days on Mo-Fr.
        ("PH Mo-Fr 10:00-12:00", sh(2026, 2, 15, 11), CLOSED),  # PH, but Sunday
        ("PH Mo-Fr 10:00-12:00", sh(2026, 2, 16, 11), OPEN),  # PH and Monday
        ("PH Mo-Fr 10:00-12:00", sh(2026, 3, 2, 11), CLOSED),  # Monday, not PH
        ("PH,Mo-Fr 10:00-12:00", sh(2026, 2, 15, 11), OPEN),  # a comma is OR
        ("PH,Mo-Fr 10:00-12:00", sh(2026, 3, 2, 11), OPEN),
        # Offsets: the day before a break.
        ("Mo-Su 08:00-18:00; PH -1 day 08:00-12:00", sh(2026, 2, 14, 14), CLOSED),
        ("Mo-Su 08:00-18:00; PH -1 day 08:00-12:00", sh(2026, 2, 13, 14), OPEN),
        # "PH" inside a comment is words, not a holiday.
        ('Mo-Fr 08:00-18:00 open "PH"', sh(2026, 2, 16, 12), OPEN),
    ],
)
def test_holiday_selector_forms(text: str, at: datetime, expected: Openness) -> None:
    assert Hours.parse(text).state(at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 2, 14, 23), OPEN),  # worked Saturday, before the break
        (sh(2026, 2, 15, 3), CLOSED),  # PH off replaces the first break day, spill included
        (sh(2026, 2, 23, 23), CLOSED),
        (sh(2026, 2, 24, 3), OPEN),  # spill of the last break day's Mo-Su range: see module doc
        (sh(2026, 2, 24, 23), OPEN),
    ],
)
def test_overnight_with_ph_off_follows_the_library_day_model(
    at: datetime, expected: Openness
) -> None:
    assert Hours.parse("Mo-Su 22:00-06:00; PH off").state(at) is expected


def test_the_morning_after_a_break_can_be_closed_explicitly() -> None:
    night = Hours.parse("Mo-Su 22:00-06:00; PH off; PH +1 day 00:00-06:00 off")
    assert night.state(sh(2026, 2, 24, 3)) is CLOSED
    assert night.state(sh(2026, 2, 24, 23)) is OPEN
    assert night.state(sh(2026, 2, 25, 3)) is OPEN


def test_ph_off_treats_a_break_like_the_library_treats_a_weekday_off() -> None:
    # 2026-03-04 is a Wednesday; the same shape as the PH case above.
    we_off = Hours.parse("Mo-Su 22:00-06:00; We off")
    assert we_off.state(sh(2026, 3, 4, 3)) is CLOSED
    assert we_off.state(sh(2026, 3, 5, 3)) is OPEN


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 9, 30, 23), CLOSED),
        (sh(2026, 10, 1, 1), CLOSED),  # nothing spills from the ordinary day before
        (sh(2026, 10, 1, 21), OPEN),
        (sh(2026, 10, 7, 23), OPEN),
        (sh(2026, 10, 8, 1), OPEN),  # spills from the last break day into a working day
        (sh(2026, 10, 8, 2), CLOSED),
        (sh(2026, 10, 8, 21), CLOSED),
    ],
)
def test_overnight_ph_hours_spill_into_the_day_after_the_break(
    at: datetime, expected: Openness
) -> None:
    assert Hours.parse("PH 20:00-02:00").state(at) is expected


# --- unknown, invalid, timezones ------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   "])
def test_nothing_recorded_is_unknown(text: str | None) -> None:
    empty = Hours.parse(text)
    assert empty.text is None
    assert empty.state(sh(2026, 3, 4, 12)) is UNKNOWN
    assert empty.status(sh(2026, 3, 4, 12)) == HoursStatus(UNKNOWN, None)


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ('Mo-Fr 08:00-18:00 || "by appointment"', sh(2026, 3, 4, 12), OPEN),
        # A fallback rule only covers days the rules before it do not select.
        ('Mo-Fr 08:00-18:00 || "by appointment"', sh(2026, 3, 4, 20), CLOSED),
        ('Mo-Fr 08:00-18:00 || "by appointment"', sh(2026, 3, 7, 12), UNKNOWN),
        ('"by appointment"', sh(2026, 3, 4, 12), UNKNOWN),
        ("unknown", sh(2026, 3, 4, 12), UNKNOWN),
        ("Mo-Fr 08:00-18:00; Sa unknown", sh(2026, 3, 7, 12), UNKNOWN),
        # A comment alone is no promise to be open (OSM specification); "open" with it is.
        ('Mo-Fr 08:00-18:00 "call first"', sh(2026, 3, 4, 12), UNKNOWN),
        ('Mo-Fr 08:00-18:00"call first"', sh(2026, 3, 4, 12), UNKNOWN),
        ('Mo-Fr 08:00-18:00 "call first"', sh(2026, 3, 4, 20), CLOSED),
        ('Mo-Fr 08:00-18:00 open "call first"', sh(2026, 3, 4, 12), OPEN),
        ('Mo-Fr 08:00-18:00 off "lunch"', sh(2026, 3, 4, 12), CLOSED),
        ('Mo-Fr 08:00-18:00; PH "holiday hours vary"', sh(2026, 2, 16, 12), UNKNOWN),
        ('Mo-Fr 08:00-18:00; PH "holiday hours vary"', sh(2026, 3, 2, 12), OPEN),
    ],
)
def test_unknown_where_the_library_says_so(text: str, at: datetime, expected: Openness) -> None:
    assert Hours.parse(text).state(at) is expected


def test_unknown_next_change() -> None:
    status = Hours.parse('Mo-Fr 08:00-18:00 || "by appointment"').status(sh(2026, 3, 6, 12))
    assert status == HoursStatus(OPEN, sh(2026, 3, 6, 18))


@pytest.mark.parametrize(
    "text",
    [
        "sometimes",
        "Mo-Fr 25:00-26:00",
        "Mo-Fr 08:00-18:00;;",
        "mo-fr 09:00-17:00; ph off",
        "Mo - Fr 10:00-12:00",
    ],
)
def test_invalid_text_is_refused_quoting_the_parser(text: str) -> None:
    with pytest.raises(InvalidOpeningHours) as caught:
        Hours.parse(text)
    assert isinstance(caught.value, ValueError)
    assert text in str(caught.value)
    assert "Failed to parse expression" in str(caught.value)


@pytest.mark.parametrize("at", [datetime(2026, 3, 4, 12), datetime(2026, 3, 4, 12, tzinfo=None)])
def test_a_naive_datetime_is_refused(at: datetime) -> None:
    for text in ("24/7", "Mo-Fr 09:00-17:00; PH off", None):
        with pytest.raises(ValueError, match="naive"):
            Hours.parse(text).state(at)
        with pytest.raises(ValueError, match="naive"):
            Hours.parse(text).status(at)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 3, 4, 0, 29, tzinfo=UTC), CLOSED),  # 08:29 in Shanghai
        (datetime(2026, 3, 4, 0, 30, tzinfo=UTC), OPEN),  # 08:30 in Shanghai
        (datetime(2026, 3, 4, 9, 30, tzinfo=UTC), CLOSED),  # 17:30 in Shanghai
        (datetime(2026, 3, 3, 19, 30, tzinfo=ZoneInfo("America/New_York")), OPEN),  # Wed 08:30
        (datetime(2026, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=9))), OPEN),  # 08:30
        (datetime(2026, 3, 6, 20, tzinfo=UTC), CLOSED),  # Saturday 04:00 in Shanghai
    ],
)
def test_instants_in_other_offsets_are_read_on_the_shanghai_clock(
    at: datetime, expected: Openness
) -> None:
    assert Hours.parse("Mo-Fr 08:30-17:30").state(at) is expected


def test_a_utc_friday_evening_is_a_shanghai_saturday_night() -> None:
    at = datetime(2026, 3, 6, 17, tzinfo=UTC)  # Saturday 01:00 in Shanghai
    assert Hours.parse("Fr 22:00-02:00").status(at) == HoursStatus(OPEN, sh(2026, 3, 7, 2))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2004, 1, 1), max_value=datetime(2026, 12, 30), timezones=st.timezones()
    )
)
def test_any_offset_gives_the_state_of_the_same_shanghai_instant(at: datetime) -> None:
    for text in ("Mo-Fr 08:30-17:30", "Mo-Fr 09:00-17:00; PH off", "Fr 22:00-02:00"):
        oh = Hours.parse(text)
        assert oh.state(at) is oh.state(at.astimezone(SHANGHAI))


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("Mo-Fr 09:00-17:00; PH off", sh(2027, 1, 4, 10), UNKNOWN),  # PH or not decides
        ("PH 10:00-16:00", sh(2027, 3, 1, 11), UNKNOWN),
        ("Mo-Fr,PH 08:00-18:00", sh(2027, 3, 6, 12), UNKNOWN),  # a Saturday
        ("Mo-Fr 09:00-17:00; PH off", sh(2027, 1, 4, 20), CLOSED),  # shut either way
        ("Mo-Fr,PH 08:00-18:00", sh(2027, 3, 1, 12), OPEN),  # open either way (a Monday)
        ("Mo-Fr 09:00-17:00", sh(2027, 1, 4, 10), OPEN),  # no PH: the calendar is not needed
    ],
)
def test_after_the_calendar_ends_ph_is_unknown_unless_it_cannot_matter(
    text: str, at: datetime, expected: Openness
) -> None:
    assert Hours.parse(text).state(at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 4, 10), UNKNOWN),  # a school holiday or not: cannot be known
        (sh(2026, 3, 4, 20), CLOSED),
        (sh(2026, 3, 7, 10), CLOSED),
    ],
)
def test_school_holidays_are_unknowable(at: datetime, expected: Openness) -> None:
    assert Hours.parse("Mo-Fr 08:00-18:00; SH off").state(at) is expected


# --- next_change ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("Mo-Fr 08:30-17:30", sh(2026, 3, 6, 19), HoursStatus(CLOSED, sh(2026, 3, 9, 8, 30))),
        ("Mo-Fr 08:30-17:30", sh(2026, 3, 9, 8, 30), HoursStatus(OPEN, sh(2026, 3, 9, 17, 30))),
        # The break is skipped, and so is the worked Saturday Feb 14: it is still Sa.
        ("Mo-Fr 09:00-17:00; PH off", sh(2026, 2, 13, 18), HoursStatus(CLOSED, sh(2026, 2, 24, 9))),
        ("Mo-Fr 09:00-17:00; PH off", sh(2026, 9, 30, 18), HoursStatus(CLOSED, sh(2026, 10, 8, 9))),
        ("Mo-Su 08:00-20:00; PH off", sh(2026, 2, 23, 12), HoursStatus(CLOSED, sh(2026, 2, 24, 8))),
        ("PH 10:00-16:00", sh(2026, 2, 23, 17), HoursStatus(CLOSED, sh(2026, 4, 4, 10))),
        ("PH 10:00-16:00", sh(2026, 2, 14, 12), HoursStatus(CLOSED, sh(2026, 2, 15, 10))),
        ("PH 20:00-02:00", sh(2026, 10, 7, 21), HoursStatus(OPEN, sh(2026, 10, 8, 2))),
        ("Mo-Su 22:00-06:00; PH off", sh(2026, 2, 14, 23), HoursStatus(OPEN, sh(2026, 2, 15))),
        # When the calendar runs out the state becomes unknown; that is reported as a change.
        ("PH 10:00-16:00", sh(2026, 12, 31, 12), HoursStatus(CLOSED, sh(2027, 1, 1, 10))),
        ("Mo-Fr 09:00-17:00; PH off", sh(2027, 1, 4, 10), HoursStatus(UNKNOWN, sh(2027, 1, 4, 17))),
        # Nothing within the 370-day horizon.
        ("24/7", sh(2026, 3, 4), HoursStatus(OPEN, None)),
        ("PH off", sh(2026, 3, 4), HoursStatus(CLOSED, None)),
        ("2028 Mo-Su 08:00-18:00", sh(2026, 3, 4), HoursStatus(CLOSED, None)),
        ("2027 Mar 01 08:00-18:00", sh(2026, 3, 4), HoursStatus(CLOSED, sh(2027, 3, 1, 8))),
    ],
)
def test_next_change(text: str, at: datetime, expected: HoursStatus) -> None:
    status = Hours.parse(text).status(at)
    assert status == expected
    if status.next_change is not None:
        assert status.next_change.tzinfo is SHANGHAI


def test_next_change_is_given_in_shanghai_whatever_the_callers_offset() -> None:
    status = Hours.parse("Mo-Fr 08:30-17:30").status(datetime(2026, 3, 6, 11, tzinfo=UTC))
    assert status == HoursStatus(CLOSED, sh(2026, 3, 9, 8, 30))
    assert status.next_change is not None and status.next_change.tzinfo is SHANGHAI


# --- the PH rewrite against the library's own PH, on a calendar the library knows -----------

_FRANCE = opening_hours.OpeningHours("PH", country="FR", auto_country=False, auto_timezone=False)


def _french_holiday(day: date) -> bool | None:
    return _FRANCE.is_open(datetime.combine(day, time(12)))


# Union forms only: the library reads "PH Mo-Fr" as a union, we follow the specification.
ORACLE_TEXTS = [
    "Mo-Su 22:00-06:00; PH off",
    "Mo-Fr,PH 08:00-18:00",
    "PH 20:00-02:00",
    "Sa,PH 10:00-12:00; Mo-Fr 22:00-03:00",
    "Mo-Su 08:00-12:00; PH -1 day 18:00-26:00",
    "PH +1 day 10:00-12:00",
    "Mo-Fr 09:00-17:00; PH off; Su 10:00-12:00",
    "PH 22:00-02:00, Mo-Su 08:00-18:00",
    'Mo-Fr 08:00-18:00; PH open "call first"',
    "Su,PH 06:00-10:00,21:00-03:00; Mo-Sa 09:00-18:00",
    "Mo-Fr 08:00-18:00 || PH unknown",
]


@pytest.mark.parametrize("text", ORACLE_TEXTS)
def test_rewrite_matches_the_librarys_ph_on_a_french_year(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hours, "is_public_holiday", _french_holiday)
    ours = Hours(text)  # not Hours.parse: its shared value must not cache French days
    theirs = opening_hours.OpeningHours(text, country="FR", auto_country=False, auto_timezone=False)
    at = datetime(2024, 1, 1, 0, 20)
    while at.year == 2024:
        assert ours.state(at.replace(tzinfo=SHANGHAI)).value == str(theirs.state(at)[0]), at
        at += timedelta(minutes=50)
    at = datetime(2024, 1, 1, 1, 10)
    while at.year == 2024:
        expected = theirs.next_change(at)
        got = ours.status(at.replace(tzinfo=SHANGHAI)).next_change
        assert got == (expected.replace(tzinfo=SHANGHAI) if expected else None), at
        at += timedelta(hours=7, minutes=10)


# --- the value itself -----------------------------------------------------------------------


def test_equal_texts_share_one_compiled_value() -> None:
    assert Hours.parse("Mo-Fr 09:00-17:00; PH off") is Hours.parse("Mo-Fr 09:00-17:00; PH off")


def test_equal_texts_are_equal_hours() -> None:
    assert Hours.parse("Mo-Fr 09:00-17:00; PH off") == Hours.parse("Mo-Fr 09:00-17:00; PH off")
    assert hash(Hours.parse("24/7")) == hash(Hours.parse("24/7"))
    assert Hours.parse("24/7") != Hours.parse("Mo-Su 00:00-24:00")
    assert Hours.parse("") == Hours.parse(None)
    assert repr(Hours.parse("24/7")) == "Hours.parse('24/7')"


def test_a_fallback_rule_still_names_the_next_morning() -> None:
    """The library's next_change for a text with ``||`` ends at the day's last range; the
    search goes on day by day, so the next change is the next opening, not "none"."""
    hours = Hours.parse('Mo-Fr 08:00-18:00 || "by appointment"')
    assert hours.status(sh(2025, 12, 31, 18)) == HoursStatus(CLOSED, sh(2026, 1, 1, 8))
    assert hours.state(sh(2026, 1, 1, 8)) is OPEN
