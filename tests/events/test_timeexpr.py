"""Time expressions → exact date ranges, relative to Thu 26 Nov 2026 09:00 Asia/Ho_Chi_Minh."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import TIMEZONE
from bot.events.timeexpr import DateRange, parse_time_range

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TIMEZONE)
D = dt.date

CASES: list[tuple[str, tuple[dt.date, dt.date] | None]] = [
    # days
    ("hôm nay", (D(2026, 11, 26), D(2026, 11, 26))),
    ("hom nay co gi", (D(2026, 11, 26), D(2026, 11, 26))),
    ("hnay co su kien ko", (D(2026, 11, 26), D(2026, 11, 26))),
    ("tối nay", (D(2026, 11, 26), D(2026, 11, 26))),
    ("ngày mai", (D(2026, 11, 27), D(2026, 11, 27))),
    ("ngay mai", (D(2026, 11, 27), D(2026, 11, 27))),
    ("mai có gì không?", (D(2026, 11, 27), D(2026, 11, 27))),
    ("mốt", (D(2026, 11, 28), D(2026, 11, 28))),
    ("ngày kia", (D(2026, 11, 28), D(2026, 11, 28))),
    ("hôm qua", (D(2026, 11, 25), D(2026, 11, 25))),
    ("tomorrow", (D(2026, 11, 27), D(2026, 11, 27))),
    # weeks and weekends
    ("cuối tuần này", (D(2026, 11, 28), D(2026, 11, 29))),
    ("cuoi tuan nay", (D(2026, 11, 28), D(2026, 11, 29))),
    ("cuối tuần sau", (D(2026, 12, 5), D(2026, 12, 6))),
    ("tuần này", (D(2026, 11, 23), D(2026, 11, 29))),
    ("tuần sau", (D(2026, 11, 30), D(2026, 12, 6))),
    ("tuan toi", (D(2026, 11, 30), D(2026, 12, 6))),
    ("tuần sau nữa", (D(2026, 12, 7), D(2026, 12, 13))),
    ("tuần trước", (D(2026, 11, 16), D(2026, 11, 22))),
    ("tuan truoc", (D(2026, 11, 16), D(2026, 11, 22))),
    ("đầu tuần sau", (D(2026, 11, 30), D(2026, 12, 2))),
    ("2 tuần tới", (D(2026, 11, 26), D(2026, 12, 10))),
    ("10 ngày tới", (D(2026, 11, 26), D(2026, 12, 6))),
    ("next week", (D(2026, 11, 30), D(2026, 12, 6))),
    ("this weekend", (D(2026, 11, 28), D(2026, 11, 29))),
    # weekdays
    ("thứ 7 này", (D(2026, 11, 28), D(2026, 11, 28))),
    ("t7 nay", (D(2026, 11, 28), D(2026, 11, 28))),
    ("thứ bảy", (D(2026, 11, 28), D(2026, 11, 28))),
    ("chủ nhật tuần sau", (D(2026, 12, 6), D(2026, 12, 6))),
    ("chu nhat tuan sau", (D(2026, 12, 6), D(2026, 12, 6))),
    ("cn tuần này", (D(2026, 11, 29), D(2026, 11, 29))),
    ("thứ 2 tuần sau", (D(2026, 11, 30), D(2026, 11, 30))),
    ("thứ hai này", (D(2026, 11, 30), D(2026, 11, 30))),
    ("thứ 5 tuần này", (D(2026, 11, 26), D(2026, 11, 26))),
    ("thứ 3 tuần này", (D(2026, 11, 24), D(2026, 11, 24))),
    ("thứ 6 tuần trước", (D(2026, 11, 20), D(2026, 11, 20))),
    ("saturday", (D(2026, 11, 28), D(2026, 11, 28))),
    # months (boundaries: December this year, earlier months next year)
    ("tháng này", (D(2026, 11, 1), D(2026, 11, 30))),
    ("tháng 12", (D(2026, 12, 1), D(2026, 12, 31))),
    ("thang 12", (D(2026, 12, 1), D(2026, 12, 31))),
    ("tháng 11", (D(2026, 11, 1), D(2026, 11, 30))),
    ("tháng 3", (D(2027, 3, 1), D(2027, 3, 31))),
    ("tháng 2", (D(2027, 2, 1), D(2027, 2, 28))),
    ("tháng sau", (D(2026, 12, 1), D(2026, 12, 31))),
    ("thang toi", (D(2026, 12, 1), D(2026, 12, 31))),
    ("tháng sau nữa", (D(2027, 1, 1), D(2027, 1, 31))),
    ("tháng trước", (D(2026, 10, 1), D(2026, 10, 31))),
    ("tháng sáu", (D(2027, 6, 1), D(2027, 6, 30))),
    ("tháng giêng", (D(2027, 1, 1), D(2027, 1, 31))),
    ("tháng 1 năm sau", (D(2027, 1, 1), D(2027, 1, 31))),
    ("thang 1 nam sau", (D(2027, 1, 1), D(2027, 1, 31))),
    ("tháng 12 năm 2027", (D(2027, 12, 1), D(2027, 12, 31))),
    ("tháng 12/2027", (D(2027, 12, 1), D(2027, 12, 31))),
    ("tháng 10 năm ngoái", (D(2025, 10, 1), D(2025, 10, 31))),
    ("tháng 10 vừa qua", (D(2026, 10, 1), D(2026, 10, 31))),
    ("đầu tháng 12", (D(2026, 12, 1), D(2026, 12, 10))),
    ("giữa tháng 12", (D(2026, 12, 11), D(2026, 12, 20))),
    ("cuối tháng này", (D(2026, 11, 21), D(2026, 11, 30))),
    ("cuoi thang sau", (D(2026, 12, 21), D(2026, 12, 31))),
    ("từ tháng 12 đến tháng 2", (D(2026, 12, 1), D(2027, 2, 28))),
    ("in December", (D(2026, 12, 1), D(2026, 12, 31))),
    ("next month", (D(2026, 12, 1), D(2026, 12, 31))),
    # quarters and years
    ("quý 1 năm 2027", (D(2027, 1, 1), D(2027, 3, 31))),
    ("quy 1 nam 2027", (D(2027, 1, 1), D(2027, 3, 31))),
    ("quý 1", (D(2027, 1, 1), D(2027, 3, 31))),
    ("quý này", (D(2026, 10, 1), D(2026, 12, 31))),
    ("quý sau", (D(2027, 1, 1), D(2027, 3, 31))),
    ("quý II/2027", (D(2027, 4, 1), D(2027, 6, 30))),
    ("Q3 2027", (D(2027, 7, 1), D(2027, 9, 30))),
    ("năm nay", (D(2026, 1, 1), D(2026, 12, 31))),
    ("năm sau", (D(2027, 1, 1), D(2027, 12, 31))),
    ("sang năm", (D(2027, 1, 1), D(2027, 12, 31))),
    ("năm ngoái", (D(2025, 1, 1), D(2025, 12, 31))),
    ("năm 2027", (D(2027, 1, 1), D(2027, 12, 31))),
    ("đầu năm sau", (D(2027, 1, 1), D(2027, 1, 31))),
    ("dau nam sau", (D(2027, 1, 1), D(2027, 1, 31))),
    ("cuối năm nay", (D(2026, 12, 1), D(2026, 12, 31))),
    ("next year", (D(2027, 1, 1), D(2027, 12, 31))),
    # explicit dates and ranges (dateparser)
    ("ngày 15/12", (D(2026, 12, 15), D(2026, 12, 15))),
    ("15/12", (D(2026, 12, 15), D(2026, 12, 15))),
    ("15-12-2026", (D(2026, 12, 15), D(2026, 12, 15))),
    ("15.12.2026", (D(2026, 12, 15), D(2026, 12, 15))),
    ("ngày 5/3", (D(2027, 3, 5), D(2027, 3, 5))),
    ("ngày 26/11", (D(2026, 11, 26), D(2026, 11, 26))),
    ("ngày 15 tháng 12 năm 2026", (D(2026, 12, 15), D(2026, 12, 15))),
    ("8/8/2027", (D(2027, 8, 8), D(2027, 8, 8))),
    ("từ 1/12 đến 15/12", (D(2026, 12, 1), D(2026, 12, 15))),
    ("tu 1/12 den 15/12", (D(2026, 12, 1), D(2026, 12, 15))),
    ("1/12 - 15/12", (D(2026, 12, 1), D(2026, 12, 15))),
    ("từ 28/12 đến 3/1", (D(2026, 12, 28), D(2027, 1, 3))),
    ("từ ngày 5 đến ngày 20 tháng 12", (D(2026, 12, 5), D(2026, 12, 20))),
    ("December 15", (D(2026, 12, 15), D(2026, 12, 15))),
    # upcoming
    ("sắp tới", (D(2026, 11, 26), D(2027, 1, 25))),
    ("sap toi co gi", (D(2026, 11, 26), D(2027, 1, 25))),
    ("upcoming", (D(2026, 11, 26), D(2027, 1, 25))),
    # no time expression: no range (and ordinals are not weekdays)
    ("có hội thảo nào không", None),
    ("cái thứ hai ở đâu", None),
    ("Festival tôm lần thứ hai", None),
    ("quy tắc xuất xứ", None),
    ("một hội thảo", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_time_expression(text: str, expected: tuple[dt.date, dt.date] | None) -> None:
    found = parse_time_range(text, NOW)
    if expected is None:
        assert found is None
    else:
        assert found == DateRange(*expected)


def test_there_are_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


def test_year_boundary_from_late_december() -> None:
    late = dt.datetime(2026, 12, 30, 20, 0, tzinfo=TIMEZONE)
    assert parse_time_range("tuần sau", late) == DateRange(D(2027, 1, 4), D(2027, 1, 10))
    assert parse_time_range("tháng sau", late) == DateRange(D(2027, 1, 1), D(2027, 1, 31))
    assert parse_time_range("ngày mai", late) == DateRange(D(2026, 12, 31), D(2026, 12, 31))
    assert parse_time_range("tháng 1", late) == DateRange(D(2027, 1, 1), D(2027, 1, 31))


def test_today_is_local_not_utc() -> None:
    # 23:30 UTC on the 26th is already the 27th in Cà Mau.
    utc_evening = dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.UTC)
    assert parse_time_range("hôm nay", utc_evening) == DateRange(D(2026, 11, 27), D(2026, 11, 27))


def test_range_bounds_in_utc() -> None:
    rng = DateRange(D(2026, 12, 1), D(2026, 12, 1))
    assert rng.start_utc == dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)
    assert rng.end_utc == dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    assert rng.describe() == "ngày 01/12/2026"
    assert DateRange(D(2026, 12, 1), D(2026, 12, 31)).describe() == "tháng 12/2026"
