"""Opening hours as union staff write them, turned into OSM ``opening_hours``:
"周一至周五 8:00-18:00（节假日休息）" gives "Mo-Fr 08:00-18:00; PH off".

The reverse of ``stations.hours_text``. Reads days (周一至周五, 星期六、星期日, 礼拜一到五, 每天,
工作日, 周末, 双休日, 节假日), times (8:00, 8点, 8点半, 八点, 下午6点, 晚上10点, 18:00-次日6:00,
早8晚6, 8-20点), several ranges and several rules, 24小时/全天, closures (休息, 不开放, 闭馆,
除外) and a lunch break (午休12:00-14:00). Full-width digits and punctuation, every kind of
dash and tilde, 至 and 到 are all accepted.

Decisions:

- Nothing is guessed. An end before the start means the next day only when the text says so:
  次日/翌日, a period word on the end (晚8点至早8点), or a start at or after 12:00 ("18:00-6:00").
  "8点-6点" is refused: 08:00-18:00, or all night? Refused too: ranges of one rule out of order
  or overlapping, a time without the other end, days without times, only holiday rules.
- 下午/晚上/晚 add 12 h to 1-11 o'clock; 晚上12点 is midnight (24:00), 中午1点 is 13:00. A
  period word on a start carries to an end without one when that keeps the range forward:
  下午2:00-6:00 is 14:00-18:00, 晚上10点-2点 is 22:00-02:00.
- A phrase without days means every day and is written "Mo-Su", as the data set writes it.
- Where two rules share days, the narrower one goes last, so that it wins in OSM: 周六…，每天…
  keeps Saturday's own hours. The same days twice, or days partly shared, are refused.
- 节假日 is PH (China's holiday breaks, see stations/hours.py). Holiday rules go last, so they
  override the weekly ones; "节假日照常开放" adds nothing. 周末及节假日 gives two rules.
- 工作日 is Mo-Fr and 周末/双休日 Sa,Su: a make-up working day keeps its weekday's hours.
- 全天 alone is 24 hours; followed by times ("全天 8:00-20:00") it only means every day.
- A lunch break belongs to the rule it is written in and must fall inside one of its ranges.
- Text already in OSM syntax, with two-digit hours, that ``Hours.parse`` accepts is returned
  unchanged ("08:00-06:00" keeps its OSM meaning); "8:00-6:00" is read as a phrase, and refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from itertools import combinations, pairwise
from typing import Final

from stations.hours import Hours, InvalidOpeningHours

EXAMPLES_ZH: Final = "周一至周五 8:00-18:00；每天 7:00-22:00；24小时"
EXAMPLES_EN: Final = "周一至周五 8:00-18:00 (Mon-Fri); 每天 7:00-22:00 (daily); 24小时 (24 hours)"


class UnreadablePhrase(ValueError):
    """The phrase is not one ``to_osm`` reads. str(exc) is the message for the person who wrote
    it, in Chinese, with examples after "可以写成"; ``english`` says the same in English."""

    def __init__(self, phrase: str, why_zh: str, why_en: str) -> None:
        shown = phrase if len(phrase) <= 60 else phrase[:60] + "…"
        self.phrase = phrase
        self.english = (
            f"cannot read the opening hours “{shown}” ({why_en}); write e.g. {EXAMPLES_EN}"
        )
        super().__init__(f"无法识别开放时间“{shown}”（{why_zh}）；可以写成：{EXAMPLES_ZH}")


class _Refused(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh, self.en = zh, en


_OSM_DAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_EVERY_DAY: Final = frozenset(range(7))
# Weekdays are rewritten to 周Ⅰ…周Ⅶ before numerals are read, so 周五十点 is 周五 10点.
_MARKS: Final = "ⅠⅡⅢⅣⅤⅥⅦ"
_WEEKDAY: Final = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_WORDS: Final = {
    **dict.fromkeys(("每天", "每日", "天天", "全年无休", "全年", "全周"), _EVERY_DAY),
    "工作日": frozenset(range(5)),
    **dict.fromkeys(("周末", "双休日", "双休"), frozenset({5, 6})),
}
_PM: Final = frozenset({"下午", "傍晚", "晚上", "晚间", "夜间", "夜里", "晚"})
_CARRIES: Final = _PM | {"中午"}  # a start's period word that an end without one inherits
_NIGHT: Final = frozenset({"晚上", "晚间", "夜间", "夜里", "晚"})  # their 12点 is midnight
_AM: Final = frozenset({"上午", "早上", "早晨", "清晨", "凌晨", "早"})
_PERIOD: Final = "上午|早上|早晨|清晨|凌晨|早|中午|下午|傍晚|晚上|晚间|夜间|夜里|晚"
_AFTER_PERIOD: Final = "(?<=[午上晨早晚间里])"  # the last characters of the period words
_CN_DIGIT: Final = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
                    "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN: Final = "(?:[二三四五]?十[一二三四五六七八九]?|[零〇一二两三四五六七八九])"
_CN_DAY: Final = "(?:周|星期|礼拜)([一二三四五六日天])"
_TO: Final = "(?:-|至|到)"
_DAY: Final = f"周[{_MARKS}]"
_DAY_LIST: Final = rf"(?<={_DAY})([、,和及]?)([一二三四五六日天])(?![点时\d十间])"
_TOKEN: Final = re.compile(
    r"\s*(?:"
    r"(?P<always>7\s*[x×*]\s*24\s*(?:小时|h)?|全天\s*24\s*(?:小时|h)|24\s*(?:小时|h)(?:全天)?|全天候)"
    rf"|(?P<range>{_DAY}\s*{_TO}\s*{_DAY})"
    rf"|(?P<day>{_DAY})"
    r"|(?P<allday>全天)"
    r"|(?P<days>全年无休|全年|每天|每日|天天|全周|工作日|周末|双休日|双休)"
    r"|(?P<holiday>(?:国家)?法定节假日|法定假日|法定节日|国定假日|节假日|节日|假日|公众假期)"
    r"|(?P<usual>(?:照常|正常)(?:开放|营业|服务)|不休息?|无休)"
    r"|(?P<lunch>午休(?:时间)?|午间休息|中午休息)"
    r"|(?P<off>不对外开放|停止开放|暂停开放|不开放|停止服务|不营业|休息|闭馆|闭站|休馆|关闭|关门|歇业"
    r"|停业|除外|休假|休)"
    rf"|(?P<clock>(?P<next>次日|翌日|第二天)?\s*(?P<period>{_PERIOD})?\s*(?P<h>\d{{1,2}}):(?P<m>\d\d))"
    rf"|(?P<to>{_TO})"
    r"|(?P<sep>[,、/|;。()\[\]【】]|以及|和|及|与|并)"
    r"|(?P<filler>(?:开放|服务|营业|办公|开馆|工作)?时间段?|对外开放|开放|营业|服务|开门"
    r"|(?:中午|午间)不休息?|不午休|每(?=周)|为|是|均|都|仅|只|:|从)"
    r")",
    re.IGNORECASE,
)

_Token = tuple[str, re.Match[str]]  # (kind, match): kind is the name of the matching group


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int  # as written
    minute: int
    period: str | None  # 上午, 下午, …
    next_day: bool  # 次日
    text: str


@dataclass(slots=True)
class _Rule:
    said: list[str] = field(default_factory=list)  # the day words, for messages
    days: set[int] = field(default_factory=set)
    holidays: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)  # minutes; end < start: overnight
    breaks: list[tuple[int, int]] = field(default_factory=list)
    off: bool = False
    always: bool = False  # 24小时
    all_day: bool = False  # 全天: 24 hours unless times follow
    usual: bool = False  # 照常开放: no rule of its own
    break_next: bool = False  # 午休 was written: the next range is a break

    def has_content(self) -> bool:
        return bool(self.spans or self.off or self.always or self.all_day or self.usual)


def to_osm(phrase: str) -> str:
    """The OSM ``opening_hours`` text for a Chinese hours phrase (the result passes
    ``Hours.parse``). Raises UnreadablePhrase, an empty phrase included, when the phrase is not
    one this module reads or could mean two things."""
    text = phrase.strip()
    if not text:
        raise UnreadablePhrase(phrase, "没有填写", "nothing is written")
    if _is_osm(text):
        return text
    try:
        result = _render(_rules(_tokens(_normalise(text))))
        Hours.parse(result)
    except _Refused as exc:
        raise UnreadablePhrase(text, exc.zh, exc.en) from None
    except InvalidOpeningHours as exc:  # a gap in this module; the writer still gets the message
        raise UnreadablePhrase(text, "无法转换", "it cannot be converted") from exc
    return result


def _is_osm(text: str) -> bool:
    if re.search(r"(?<![\d:])\d:\d\d", text):  # one-digit hours are how people write, not OSM
        return False
    if not re.search(r"\d\d:\d\d|24/7|[A-Za-z]{2}", text):  # "2418" parses too: a year
        return False
    try:
        Hours.parse(text)
    except InvalidOpeningHours:
        return False
    return True


def _normalise(text: str) -> str:
    """NFKC (full-width digits and punctuation), one dash, weekday marks, clock times as H:MM."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[‐‑‒–—―−〜~]+|-{2,}", "-", text)
    text = re.sub(r"(?<=\d)\.(?=\d\d(?!\d))", ":", text)  # 8.30
    text = text.replace("二十四小时", "24小时")
    text = re.sub(rf"{_CN_DAY}(\s*{_TO}\s*)(?:周|星期|礼拜)?([一二三四五六日天])", _day_range, text)
    text = re.sub(_CN_DAY, lambda m: "周" + _MARKS[_WEEKDAY[m.group(1)]], text)
    while (listed := re.sub(_DAY_LIST, _listed_day, text)) != text:  # 周六日, 周一、三、五
        text = listed
    text = re.sub(rf"{_AFTER_PERIOD}{_CN}|{_CN}(?=[点时])", lambda m: str(_cn_int(m[0])), text)
    text = re.sub(rf"(?<=[点时])(?:({_CN})分|(三十|十五|四十五))", _cn_minutes, text)
    # 8-20点: the unit written on the end is the start's too.
    text = re.sub(
        rf"(?<![\d:])(\d{{1,2}})(?=\s*{_TO}\s*(?:次日|翌日)?(?:{_PERIOD})?\d{{1,2}}[点时])",
        r"\1:00",
        text,
    )
    text = re.sub(r"(\d{1,2})[点时](?:(\d{1,2})分?|(半)|整)?", _clock_text, text)
    return re.sub(rf"{_AFTER_PERIOD}(\d{{1,2}})(?![\d:])", r"\1:00", text)  # 早8晚6


def _day_range(m: re.Match[str]) -> str:
    return f"周{_MARKS[_WEEKDAY[m[1]]]}{m[2]}周{_MARKS[_WEEKDAY[m[3]]]}"


def _listed_day(m: re.Match[str]) -> str:
    return f"{m[1]}周{_MARKS[_WEEKDAY[m[2]]]}"


def _cn_int(numeral: str) -> int:
    tens, ten, ones = numeral.partition("十")
    if not ten:
        return _CN_DIGIT[numeral]
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _cn_minutes(m: re.Match[str]) -> str:
    return f"{_cn_int(m[1] or m[2])}分"


def _clock_text(m: re.Match[str]) -> str:
    return f"{m[1]}:{30 if m[3] else int(m[2] or 0):02d}"


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at, end = 0, len(text.rstrip())
    while at < end:
        match = _TOKEN.match(text, at)
        if match is None or match.lastgroup is None:
            found = re.match(r"\s*([^\s\d,、;。()]{1,8}|\S{1,8})", text[at:])
            word = found[1] if found else text[at:]
            raise _Refused(f"不认识“{_shown(word)}”", f"“{_shown(word)}” is not understood")
        tokens.append((match.lastgroup, match))
        at = match.end()
    return tokens


def _shown(text: str) -> str:
    """Normalised text as the writer would recognise it."""
    return re.sub(f"周([{_MARKS}])", lambda m: "周" + "一二三四五六日"[_MARKS.index(m[1])], text)


def _rules(tokens: list[_Token]) -> list[_Rule]:
    """Rules in the order written: days start a rule once the previous one has its times."""
    rules, rule = [], _Rule()
    at, after_span = 0, False
    while at < len(tokens):
        kind, match = tokens[at]
        at += 1
        if kind in ("sep", "filler"):
            continue
        if kind in ("range", "day", "days", "holiday"):
            if rule.has_content() and not _same_rule(rule, match[kind]):
                rules.append(_finished(rule))
                rule = _Rule()
            _add_days(rule, kind, match)
        elif kind == "clock":
            span, at = _span_at(tokens, at - 1)
            (rule.breaks if rule.break_next else rule.spans).append(span)
            rule.break_next, after_span = False, True
            continue
        elif kind in ("off", "lunch") and after_span and len(rule.spans) > 1:
            rule.breaks.append(rule.spans.pop())  # 8:00-18:00，12:00-14:00午休
        elif kind == "to":
            raise _Refused("时间段缺少开始时间", "a time range has no start")
        else:
            _mark(rule, kind)
        after_span = False
    if rule.has_content() or rule.said or rule.break_next:
        rules.append(_finished(rule))
    return rules


def _same_rule(rule: _Rule, days: str) -> bool:
    """6:00-22:00，全年无休: every day, written after the times of an every-day rule."""
    return days in ("全年无休", "全年") and rule.days in (set(), set(_EVERY_DAY))


def _mark(rule: _Rule, kind: str) -> None:
    if kind == "off":
        rule.off = True
    elif kind == "always":
        rule.always = True
    elif kind == "allday":
        rule.all_day = True
    elif kind == "lunch":
        rule.break_next = True
    else:
        rule.usual = True


def _add_days(rule: _Rule, kind: str, match: re.Match[str]) -> None:
    rule.said.append(_shown(match[kind].strip()))
    if kind == "holiday":
        rule.holidays = True
    elif kind == "days":
        rule.days |= _DAY_WORDS[match[kind]]
    else:
        marks = [_MARKS.index(c) for c in re.findall(f"[{_MARKS}]", match[kind])]
        first, last = marks[0], marks[-1]
        rule.days |= {(first + i) % 7 for i in range((last - first) % 7 + 1)}


def _span_at(tokens: list[_Token], at: int) -> tuple[tuple[int, int], int]:
    """The range starting with the clock at ``at``, and the index after it."""
    start = _clock(tokens[at][1])
    kinds = [kind for kind, _ in tokens[at + 1 : at + 3]]
    if kinds[:2] == ["to", "clock"]:
        return _span(start, _clock(tokens[at + 2][1])), at + 3
    if kinds[:1] == ["clock"] and start.period and tokens[at + 1][1]["period"]:  # 早8晚6
        return _span(start, _clock(tokens[at + 1][1])), at + 2
    raise _Refused(f"“{start.text}”缺少另一端的时间", f"“{start.text}” has no other end")


def _clock(match: re.Match[str]) -> _Clock:
    text = match["clock"].strip()
    return _Clock(int(match["h"]), int(match["m"]), match["period"], bool(match["next"]), text)


def _span(start: _Clock, end: _Clock) -> tuple[int, int]:
    """Minutes after midnight; an end before the start is on the next day."""
    if start.next_day:
        raise _Refused(
            f"“{start.text}”：次日只能写在结束时间前", f"“{start.text}”: 次日 starts a range"
        )
    s, e = _minutes(start), _minutes(end)
    if end.period is None and start.period in _CARRIES:
        carried = _minutes(replace(end, period=start.period))
        e = carried if carried > s else e  # 下午2:00-6:00, but 晚上10点-2点
    s, e = s % (24 * 60), e or 24 * 60  # 晚上12点 starts at 00:00; 0:00 ends at 24:00
    shown = f"{start.text}-{end.text}"
    if s == e:
        raise _Refused(f"“{shown}”开始和结束时间相同", f"“{shown}” starts when it ends")
    if e < s and not (end.next_day or end.period or s >= 12 * 60):
        raise _Refused(
            f"“{shown}”结束早于开始：请写明“下午”或“次日”",
            f"“{shown}” ends before it starts: write 下午 (pm) or 次日 (next day)",
        )
    if e > s and end.next_day and e != 24 * 60:
        raise _Refused(f"“{shown}”超过24小时", f"“{shown}” is longer than 24 hours")
    return s, e


def _minutes(clock: _Clock) -> int:
    hour, period = clock.hour, clock.period
    if clock.minute > 59 or hour > 24 or (hour == 24 and clock.minute):
        raise _Refused(f"没有“{clock.text}”这个时间", f"there is no time “{clock.text}”")
    if period in _AM and hour > 12:
        raise _Refused(f"“{clock.text}”前后矛盾", f"“{clock.text}” contradicts itself")
    if period == "中午":
        hour += 12 if 1 <= hour <= 5 else 0
    elif period in _PM and 1 <= hour <= 11:
        hour += 12
    elif period in _NIGHT and hour == 12:
        hour = 24
    elif period == "凌晨" and hour == 12:
        hour = 0
    return hour * 60 + clock.minute


def _finished(rule: _Rule) -> _Rule:
    """The rule with its times settled (24小时, 全天, lunch breaks), or refused."""
    said = "、".join(rule.said) or "每天"
    if not (rule.days or rule.holidays):
        rule.days = set(_EVERY_DAY)
    whole_day = rule.always or (rule.all_day and not rule.spans and not rule.off)
    if rule.break_next or (rule.breaks and not rule.spans):
        raise _Refused("午休时间不完整", "the lunch break is incomplete")
    if sum((bool(rule.spans), rule.off, rule.always, rule.usual)) > 1:
        raise _Refused(f"“{said}”既开放又休息", f"“{said}” is both open and closed")
    if rule.usual and rule.days:
        raise _Refused(f"“{said}”照常开放是什么时间", f"“{said}” as usual: which hours?")
    if not (rule.spans or rule.off or whole_day or rule.usual):
        raise _Refused(f"“{said}”后面没有写时间", f"no times after “{said}”")
    if whole_day:
        rule.spans = [(0, 24 * 60)]
    for gap in rule.breaks:
        rule.spans = _without(rule.spans, gap)
    spans = rule.spans
    overnight = spans[-1][1] < spans[-1][0] if spans else False
    pairs = pairwise(spans)
    if any(pe < ps or ns < pe for (ps, pe), (ns, _) in pairs) or (
        overnight and len(spans) > 1 and spans[-1][1] > spans[0][0]
    ):
        raise _Refused("时间段顺序颠倒或重叠", "time ranges overlap or are out of order")
    return rule


def _without(spans: list[tuple[int, int]], gap: tuple[int, int]) -> list[tuple[int, int]]:
    for i, (start, end) in enumerate(spans):
        if start < gap[0] < gap[1] < end:
            return [*spans[:i], (start, gap[0]), (gap[1], end), *spans[i + 1 :]]
    raise _Refused("午休时间不在开放时间内", "the lunch break is outside the opening hours")


def _render(rules: list[_Rule]) -> str:
    weekly = [rule for rule in rules if rule.days]
    holiday = [rule for rule in rules if rule.holidays and not rule.usual]
    if not any(rule.spans for rule in weekly):
        raise _Refused("没有写平时的开放时间", "no ordinary opening hours are given")
    # A later OSM rule replaces an earlier one on the days they share: the narrower rule goes
    # last (每天…，周六… and 周六…，每天… both keep Saturday's own hours); days given twice
    # otherwise could mean "and" or "instead", and are refused.
    weekly.sort(key=lambda rule: -len(rule.days))
    overlap = any(a.days & b.days and not a.days > b.days for a, b in combinations(weekly, 2))
    if overlap or len(holiday) > 1:
        raise _Refused("同一天写了两次", "the same day is given twice")
    texts = [_rule_text(_days_text(rule.days), rule) for rule in weekly]
    texts += [_rule_text("PH", rule) for rule in holiday]
    return "; ".join(texts)


def _rule_text(selector: str, rule: _Rule) -> str:
    if rule.off:
        return f"{selector} off"
    if selector == "Mo-Su" and rule.spans == [(0, 24 * 60)]:
        return "24/7"
    return selector + " " + ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in rule.spans)


def _days_text(days: set[int]) -> str:
    """Runs of three days or more as ranges, the rest listed: Mo-Fr, Sa,Su, Mo,We,Fr."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_OSM_DAYS[run[0]]}-{_OSM_DAYS[run[-1]]}")
        else:
            parts += [_OSM_DAYS[d] for d in run]
    return ",".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
