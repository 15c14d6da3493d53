"""Vietnamese (and basic English) time expressions → date ranges in Asia/Ho_Chi_Minh.

dateparser reads explicit dates ("15/12", "15-12-2026", "December 15"); what it lacks is the
Vietnamese range vocabulary ("cuối tuần này", "tháng sau", "quý 1 năm 2027", "đầu năm sau",
"từ 1/12 đến 15/12", "sắp tới"), written here as small rules over ``search_key`` text so that
forms without diacritics and teencode ("t7 nay", "hnay") work the same.

>>> import datetime as dt
>>> now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TIMEZONE)
>>> parse_time_range("cuối tuần này", now)
DateRange(start=datetime.date(2026, 11, 28), end=datetime.date(2026, 11, 29))
>>> parse_time_range("thang 3", now).start
datetime.date(2027, 3, 1)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import dateparser

from bot.config import TIMEZONE
from bot.nlp.normalize import normalize_text, search_key

UPCOMING_DAYS = 60  # "sắp tới": the next two months


@dataclass(frozen=True)
class DateRange:
    """Calendar days ``start``..``end`` (both inclusive) in Asia/Ho_Chi_Minh."""

    start: dt.date
    end: dt.date

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), TIMEZONE).astimezone(dt.UTC)

    @property
    def end_utc(self) -> dt.datetime:
        """Exclusive end: midnight after the last day."""
        nxt = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(nxt, dt.time(0), TIMEZONE).astimezone(dt.UTC)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str] | None) -> DateRange | None:
        if not data:
            return None
        return cls(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]))

    def describe(self, lang: str = "vi") -> str:
        """Human wording: "ngày 27/11/2026", "tháng 12/2026", "từ 30/11 đến 06/12/2026"."""
        s, e = self.start, self.end
        if s == e:
            return f"ngày {s:%d/%m/%Y}" if lang == "vi" else f"{s:%d %b %Y}"
        if s.day == 1 and e == _month_end(e.year, e.month):
            if s.month == 1 and e.month == 12 and s.year == e.year:
                return f"năm {s.year}" if lang == "vi" else str(s.year)
            if (s.year, s.month) == (e.year, e.month):
                return f"tháng {s.month}/{s.year}" if lang == "vi" else f"{s:%B %Y}"
        first = f"{s:%d/%m}" if s.year == e.year else f"{s:%d/%m/%Y}"
        if lang == "vi":
            return f"từ {first} đến {e:%d/%m/%Y}"
        return f"{first} – {e:%d/%m/%Y}"


# ---------------------------------------------------------------- calendar helpers

def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _month(year: int, month: int) -> DateRange:
    return DateRange(dt.date(year, month, 1), _month_end(year, month))


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _week(today: dt.date, offset: int) -> DateRange:
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
    return DateRange(monday, monday + dt.timedelta(days=6))


def _quarter(year: int, quarter: int) -> DateRange:
    first = 3 * (quarter - 1) + 1
    return DateRange(dt.date(year, first, 1), _month_end(year, first + 2))


def _day(day: dt.date) -> DateRange:
    return DateRange(day, day)


def _part(rng: DateRange, part: str | None) -> DateRange:
    """"đầu/giữa/cuối" of a month (1–10, 11–20, 21–end) or of a year (Jan, Jun–Jul, Dec)."""
    if not part:
        return rng
    whole_year = rng.start.month == 1 and rng.end.month == 12
    if whole_year:
        year = rng.start.year
        return {"dau": _month(year, 1), "giua": DateRange(dt.date(year, 6, 1), _month_end(year, 7)),
                "cuoi": _month(year, 12)}[part]
    if part == "dau":
        return DateRange(rng.start, rng.start.replace(day=10))
    if part == "giua":
        return DateRange(rng.start.replace(day=11), rng.start.replace(day=20))
    return DateRange(rng.start.replace(day=21), rng.end)


# ---------------------------------------------------------------- vocabulary

_NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
    "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "gieng": 1, "chap": 12,
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_WEEKDAY_WORDS = {
    "2": 0, "hai": 0, "3": 1, "ba": 1, "4": 2, "tu": 2, "5": 3, "nam": 3, "6": 4, "sau": 4,
    "7": 5, "bay": 5,
}
_EN_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
_EN_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_EN_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_EN_MONTHS.pop("may", None)  # "may" and "mar" are ordinary words; handled with "in"/a year
_EN_MONTHS.pop("mar", None)
_EN_MONTH_RE = "|".join(sorted(_EN_MONTHS, key=len, reverse=True))

_MONTH_WORD = r"(?:muoi mot|muoi hai|muoi|mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|gieng|chap)"
_MONTH_NUM = rf"(1[0-2]|0?[1-9]|{_MONTH_WORD})"
_PART = r"(?:(dau|giua|cuoi)\s+)?"
# A year qualifier after "tháng N" / "quý N": "năm sau", "năm 2027", "/2027", "2027".
_YEAR_Q = r"(?:\s*(?:,\s*)?(?:nam\s+(nay|sau|toi|ngoai|truoc|roi|\d{4})|/(\d{4})|\s(\d{4})))?"
_PAST_HINTS = re.compile(
    r"\b(vua qua|vua roi|da dien ra|da to chuc|truoc day|hoi nam|nam ngoai|last|was|were|did)\b"
)
_WEEK_OFFSETS = {"sau": 1, "toi": 1, "ke tiep": 1, "sau nua": 2, "truoc": -1, "roi": -1}
_ORDINAL_BEFORE = r"(?<!cai )(?<!muc )(?<!so )(?<!lan )(?<!hang )(?<!phan )(?<!vi tri )"


def _year_of(qualifier: str | None, digits: str | None, today: dt.date) -> int | None:
    if digits:
        return int(digits)
    return {
        None: None, "nay": today.year, "sau": today.year + 1, "toi": today.year + 1,
        "ngoai": today.year - 1, "truoc": today.year - 1, "roi": today.year - 1,
    }.get(qualifier, int(qualifier) if qualifier and qualifier.isdigit() else None)


def _month_number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token]


def _infer_year(month: int, today: dt.date, past: bool) -> int:
    """"tháng 3" asked in November means next March; with a past hint, the last one."""
    if past:
        return today.year if month <= today.month else today.year - 1
    return today.year if month >= today.month else today.year + 1


# ---------------------------------------------------------------- rules
# Each rule takes (plain, marked, today, past) and returns a range or None. The order in RULES
# matters: specific before general ("chủ nhật tuần sau" before "tuần sau").

Rule = Callable[[str, str, dt.date, bool], "DateRange | None"]

_DATE_TOKEN = r"(\d{1,2}(?:[/.-]\d{1,2}(?:[/.-]\d{2,4})?)?)"
_DATE_WORDS = rf"{_DATE_TOKEN}(?:\s+thang\s+(\d{{1,2}})(?:\s+nam\s+(\d{{4}}))?)?"


def _parse_date(token: str, today: dt.date, past: bool) -> dt.date | None:
    """An explicit date through dateparser; a date without a year is the next one (or the last)."""
    base = dt.datetime.combine(today, dt.time(12)) + dt.timedelta(days=1 if past else -1)
    parsed = dateparser.parse(
        token,
        languages=["vi", "en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "past" if past else "future",
            "RELATIVE_BASE": base,
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    return parsed.date() if parsed else None


def _date_from_parts(token: str, month: str | None, year: str | None, today: dt.date,
                     past: bool, fallback_month: int | None = None) -> dt.date | None:
    if month:
        token = f"{token}/{month}" + (f"/{year}" if year else "")
    elif "/" not in token and "-" not in token and "." not in token:
        if fallback_month is None:
            return None
        token = f"{token}/{fallback_month}"
    return _parse_date(token, today, past)


def _explicit_range(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(
        rf"(?:\btu\s+|\bfrom\s+|\bbetween\s+)?(?:ngay\s+)?{_DATE_WORDS}\s*"
        rf"(?:-|–|\bden\b|\btoi\b|\bto\b|\buntil\b|\band\b)\s*(?:het\s+)?(?:ngay\s+)?{_DATE_WORDS}",
        plain,
    )
    if not match:
        return None
    first_token, first_month, first_year, second_token, second_month, second_year = match.groups()
    second = _date_from_parts(second_token, second_month, second_year, today, past)
    if second is None:
        return None
    first = _date_from_parts(first_token, first_month, first_year, today, past,
                             fallback_month=second.month)
    if first is None:
        return None
    if first > second:
        first = first.replace(year=second.year)
        if first > second:
            first = first.replace(year=second.year - 1)
    return DateRange(first, second)


def _month_range(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(
        rf"\b(?:tu\s+)?thang\s+{_MONTH_NUM}\s+(?:den|toi|-)\s+(?:het\s+)?thang\s+{_MONTH_NUM}{_YEAR_Q}",
        plain,
    )
    if not match:
        return None
    first, second = _month_number(match.group(1)), _month_number(match.group(2))
    year = _year_of(match.group(3), match.group(4) or match.group(5), today)
    end_year = year or _infer_year(second, today, past)
    start_year = end_year if first <= second else end_year - 1
    return DateRange(dt.date(start_year, first, 1), _month_end(end_year, second))


def _explicit_date(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?", plain)
    if match:
        day = _date_from_parts(match.group(1), match.group(2), match.group(3), today, past)
        return _day(day) if day else None
    match = re.search(r"(?<![\w/.-])(\d{1,2}[/.-]\d{1,2}(?:[/.-](?:\d{4}|\d{2}))?)(?![\w/.-])",
                      plain)
    if match and not re.fullmatch(r"\d{1,2}[.]\d{1,2}", match.group(1)):  # "1.5" is a number
        day = _parse_date(match.group(1), today, past)
        return _day(day) if day else None
    match = re.search(
        rf"\b(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_EN_MONTH_RE}|may|march)(?:\s+\d{{4}})?"
        rf"|(?:{_EN_MONTH_RE}|may|march)\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)\b",
        plain,
    )
    if match:
        day = _parse_date(match.group(1), today, past)
        return _day(day) if day else None
    return None


def _weekday(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(
        rf"{_ORDINAL_BEFORE}\b(?:thu\s*(2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|(chu nhat))\b"
        r"(?:\s+(?:(tuan\s+)?(nay|sau nua|sau|toi|truoc|roi|ke tiep)))?",
        plain,
    )
    if match:
        weekday = 6 if match.group(2) else _WEEKDAY_WORDS[match.group(1)]
        has_week_word, qualifier = bool(match.group(3)), match.group(4)
    else:
        match = re.search(
            r"\b(?:(this|next|last)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
            r"\b(?:\s+(next week|this week|last week))?",
            plain,
        )
        if not match:
            return None
        weekday = _EN_WEEKDAYS[match.group(2)]
        qualifier = {"this": "nay", "next": "sau", "last": "truoc", None: None}[match.group(1)]
        if match.group(3):
            qualifier = {"next week": "sau", "this week": "nay", "last week": "truoc"}[
                match.group(3)]
        has_week_word = bool(match.group(3))
    offset = _WEEK_OFFSETS.get(qualifier)
    if offset is not None:
        return _day(_week(today, offset).start + dt.timedelta(days=weekday))
    if qualifier == "nay" and has_week_word:  # "thứ 5 tuần này": this calendar week, even if past
        return _day(_week(today, 0).start + dt.timedelta(days=weekday))
    # "thứ 7", "thứ 7 này": the next such day (today included), or the last one with a past hint.
    delta = (weekday - today.weekday()) % 7
    if past and delta:
        delta -= 7
    return _day(today + dt.timedelta(days=delta))


def _weekend(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(r"\bcuoi tuan(?:\s+(nay|sau nua|sau|toi|truoc|roi|ke tiep))?\b", plain)
    if match:
        qualifier = match.group(1)
    else:
        match = re.search(r"\b(this|next|last)?\s*weekend\b", plain)
        if not match:
            return None
        qualifier = {"this": "nay", "next": "sau", "last": "truoc", None: None}[match.group(1)]
    offset = _WEEK_OFFSETS.get(qualifier, 0)
    saturday = _week(today, offset).start + dt.timedelta(days=5)
    return DateRange(saturday, saturday + dt.timedelta(days=1))


def _week_rel(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(r"\b(\d{1,2}|hai|ba|bon)\s+(tuan|ngay|thang|weeks?|days?|months?)\s+"
                      r"(?:toi|sap toi|nua|ke tiep|next|ahead|coming)\b", plain)
    if not match:
        match = re.search(r"\b(?:next|in the next|within)\s+(\d{1,2})\s+(weeks?|days?|months?)\b",
                          plain)
    if match:
        count = int(match.group(1)) if match.group(1).isdigit() else _NUMBER_WORDS[match.group(1)]
        unit = match.group(2)
        if unit.startswith(("tuan", "week")):
            return DateRange(today, today + dt.timedelta(weeks=count))
        if unit.startswith(("ngay", "day")):
            return DateRange(today, today + dt.timedelta(days=count))
        year, month = _add_months(today.year, today.month, count)
        day = min(today.day, calendar.monthrange(year, month)[1])
        return DateRange(today, dt.date(year, month, day))
    match = re.search(r"\b(dau\s+)?tuan\s+(nay|sau nua|sau|toi|ke tiep|truoc|roi|vua roi|qua)\b",
                      plain)
    if match:
        offset = {"nay": 0, "sau nua": 2, "sau": 1, "toi": 1, "ke tiep": 1}.get(match.group(2), -1)
        week = _week(today, offset)
        if match.group(1):  # "đầu tuần sau": Monday to Wednesday
            return DateRange(week.start, week.start + dt.timedelta(days=2))
        return week
    match = re.search(r"\b(this|next|last|the following)\s+week\b|\btrong tuan\b", plain)
    if match:
        offset = {"this": 0, "next": 1, "the following": 1, "last": -1, None: 0}[match.group(1)]
        return _week(today, offset)
    return None


def _day_rel(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    if re.search(r"\b(hom nay|bua nay|toi nay|chieu nay|sang nay|trua nay|today|tonight)\b", plain):
        return _day(today)
    if re.search(r"\b(ngay mai|sang mai|chieu mai|toi mai|trua mai|bua mai|tomorrow)\b", plain) \
            or (re.search(r"(?:^|[\s,])mai(?:\s|[?.!,]|$)", marked)  # "mai", not "mãi"/"mái"
                and re.search(r"(?:^|[\s,])mai(?:\s+(?:co|thi|o|la|nhe)\b|\s*[?.!]|$)", plain)):
        return _day(today + dt.timedelta(days=1))
    # "mốt" (day after tomorrow) folds to "mot" like "một" (one): trust the marks when present.
    if re.search(r"\b(ngay kia|the day after tomorrow)\b", plain) \
            or re.search(r"(?<!tháng )\bmốt\b", marked) \
            or (plain == marked and re.search(r"\b(ngay mot|bua mot)\b|^mot\s+co\b", plain)):
        return _day(today + dt.timedelta(days=2))
    if re.search(r"\b(hom qua|yesterday)\b", plain):
        return _day(today - dt.timedelta(days=1))
    return None


def _month_rel(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    # "tháng sáu" (June) and "tháng sau" (next month) differ only by a mark.
    match = re.search(rf"\b{_PART}thang\s+(nay|sau nua|sau|toi|truoc|roi|vua roi|qua|ke tiep)\b",
                      plain)
    if match and not re.search(r"\btháng\s+sáu\b", marked):
        offset = {"nay": 0, "sau nua": 2, "sau": 1, "toi": 1, "ke tiep": 1}.get(match.group(2), -1)
        year, month = _add_months(today.year, today.month, offset)
        return _part(_month(year, month), match.group(1))
    match = re.search(r"\b(this|next|last)\s+month\b", plain)
    if match:
        offset = {"this": 0, "next": 1, "last": -1}[match.group(1)]
        return _month(*_add_months(today.year, today.month, offset))
    return None


def _month_abs(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(rf"\b{_PART}thang\s+{_MONTH_NUM}\b{_YEAR_Q}", plain)
    if match:
        part, token = match.group(1), match.group(2)
        if token == "mot" and re.search(r"\btháng\s+mốt\b", marked):
            token = "11"  # Southern "tháng mốt" = November
        month = _month_number(token)
        year = _year_of(match.group(3), match.group(4) or match.group(5), today)
        return _part(_month(year or _infer_year(month, today, past), month), part)
    match = re.search(
        rf"\b(?:(early|mid|late|end of)\s+|(?:in|during|of|for)\s+)?({_EN_MONTH_RE}|may|march)"
        r"\b(?:\s+(\d{4}))?",
        plain,
    )
    if match and (match.group(2) in _EN_MONTHS or match.group(3) or re.search(
            rf"\b(?:in|during|of|for|early|mid|late|end of)\s+{match.group(2)}\b", plain)):
        month = _EN_MONTHS.get(match.group(2)) or {"may": 5, "march": 3}[match.group(2)]
        year = int(match.group(3)) if match.group(3) else _infer_year(month, today, past)
        part = {"early": "dau", "mid": "giua", "late": "cuoi", "end of": "cuoi"}.get(match.group(1))
        return _part(_month(year, month), part)
    return None


def _quarter_rule(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    current = (today.month - 1) // 3 + 1
    match = re.search(r"\bquy\s+(nay|sau|toi|ke tiep|truoc)\b", plain)
    if match:
        offset = {"nay": 0, "sau": 1, "toi": 1, "ke tiep": 1}.get(match.group(1), -1)
        index = today.year * 4 + current - 1 + offset
        return _quarter(index // 4, index % 4 + 1)
    match = re.search(rf"\b(?:quy\s+(iv|iii|ii|i|[1-4]|mot|hai|ba|bon|tu)|q([1-4])){_YEAR_Q}\b",
                      plain)
    if not match:
        match = re.search(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
                          r"(?:\s+(?:of\s+)?(\d{4}))?", plain)
        if not match:
            return None
        quarter = {"first": 1, "second": 2, "third": 3, "fourth": 4}.get(
            match.group(1), int(match.group(1)[0]) if match.group(1)[0].isdigit() else 1)
        year = int(match.group(2)) if match.group(2) else None
    else:
        token = match.group(1) or match.group(2)
        quarter = _ROMAN.get(token) or (int(token) if token.isdigit() else _NUMBER_WORDS[token])
        year = _year_of(match.group(3), match.group(4) or match.group(5), today)
    if year is None:
        year = today.year if quarter >= current or past else today.year + 1
    return _quarter(year, quarter)


def _year_rule(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    match = re.search(rf"\b{_PART}(?:nam\s+(nay|sau|toi|ngoai|truoc|roi|\d{{4}})|(sang nam))\b",
                      plain)
    if match:
        year = today.year + 1 if match.group(3) else _year_of(match.group(2), None, today)
        return _part(DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31)), match.group(1))
    match = re.search(r"\b(?:(early|late)\s+)?(this|next|last)\s+year\b", plain)
    if match:
        year = today.year + {"this": 0, "next": 1, "last": -1}[match.group(2)]
        part = {"early": "dau", "late": "cuoi"}.get(match.group(1))
        return _part(DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31)), part)
    match = re.search(r"(?<![\w/.-])(20\d{2})(?![\w/.-])", plain)
    if match:
        year = int(match.group(1))
        return DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return None


def _upcoming(plain: str, marked: str, today: dt.date, past: bool) -> DateRange | None:
    if re.search(
        r"\b(sap toi|sap dien ra|sap den|sap co|thoi gian toi|toi day|gan nhat|sap to chuc"
        r"|upcoming|coming up|soon|next events?)\b",
        plain,
    ):
        return DateRange(today, today + dt.timedelta(days=UPCOMING_DAYS))
    return None


RULES: tuple[Rule, ...] = (
    _explicit_range,
    _month_range,
    _explicit_date,
    _weekday,
    _weekend,
    _week_rel,
    _day_rel,
    _month_rel,
    _quarter_rule,
    _month_abs,
    _year_rule,
    _upcoming,
)


def parse_time_range(text: str, now: dt.datetime) -> DateRange | None:
    """The date range a message talks about, or None when it names no time.

    Args:
        text: the raw message (any diacritics, teencode, Vietnamese or English).
        now: the current moment (timezone-aware); "today" is its date in Asia/Ho_Chi_Minh.
    """
    if not text or not text.strip():
        return None
    today = now.astimezone(TIMEZONE).date()
    marked = normalize_text(text, expand_teencode=True).lower()
    plain = search_key(marked)
    past = bool(_PAST_HINTS.search(plain))
    for rule in RULES:
        found = rule(plain, marked, today, past)
        if found is not None:
            return found
    return None
