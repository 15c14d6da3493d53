"""The real seed: only sourced, real events; idempotent; demo data kept out of the default DB."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from sqlalchemy import func, select

from bot.events.loader import DEMO_FIXTURE, REAL_SEED, load_events, seed_database
from bot.events.models import Event, EventRevision
from bot.events.store import RecordError, validate_record
from tests.events.conftest import NOW


def _facts_text() -> str:
    from bot.config import PROJECT_ROOT

    path = PROJECT_ROOT.parent / "shared" / "facts.md"
    if not path.exists():
        pytest.skip("../shared/facts.md not present")
    return path.read_text(encoding="utf-8")


def test_real_seed_has_no_sample_and_every_event_a_source(real_db, session_for):
    session = session_for(real_db)
    events = list(session.execute(select(Event)).scalars())
    assert len(events) >= 12
    assert not [e.external_key for e in events if e.is_sample]
    assert all(e.source_url.startswith("https://") for e in events)


def test_every_seed_source_is_cited_in_facts():
    facts = _facts_text()
    records = yaml.safe_load(REAL_SEED.read_text(encoding="utf-8"))["events"]
    missing = [r["key"] for r in records if r["source_url"] not in facts]
    assert missing == []


def test_real_seed_offers_only_future_events_as_upcoming(real_db, session_for):
    from bot.events.query import EventQuery
    from bot.events.search import search_events

    session = session_for(real_db)
    result = search_events(session, EventQuery(), NOW)
    assert [e.external_key for e in result.events] == ["asean-day-60th-anniversary-2027"]
    assert result.events[0].is_tentative  # the programme is not announced yet


def test_loading_twice_changes_nothing(real_db, session_for):
    session = session_for(real_db)
    before = session.execute(select(func.count(EventRevision.id))).scalar_one()
    report = load_events(session, REAL_SEED)
    session.commit()
    assert (report.created, report.updated, report.errors) == (0, 0, [])
    assert report.unchanged >= 12
    assert session.execute(select(func.count(EventRevision.id))).scalar_one() == before


def test_a_changed_record_updates_in_place_with_a_revision(real_db, session_for, tmp_path):
    records = yaml.safe_load(REAL_SEED.read_text(encoding="utf-8"))
    target = next(r for r in records["events"] if r["key"] == "asean-day-60th-anniversary-2027")
    target["venue"] = "Singapore"
    changed = tmp_path / "real.yml"
    changed.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    session = session_for(real_db)
    report = load_events(session, changed)
    session.commit()
    assert (report.created, report.updated) == (0, 1)
    event = session.execute(
        select(Event).where(Event.external_key == target["key"])).scalar_one()
    revision = event.revisions[-1]
    assert revision.action == "update"
    assert revision.before == {"venue": "Các nước thành viên ASEAN"}
    assert revision.after == {"venue": "Singapore"}


def test_demo_fixture_is_all_sample_and_refused_without_permission(db_url, session_for):
    records = yaml.safe_load(DEMO_FIXTURE.read_text(encoding="utf-8"))["events"]
    assert 25 <= len(records) <= 40
    assert all(r["sample"] is True for r in records)
    starts = [dt.date.fromisoformat(str(r["start"])[:10]) for r in records]
    assert min(starts) >= NOW.date() and max(starts) <= dt.date(2027, 12, 31)
    session = session_for(db_url)
    report = load_events(session, DEMO_FIXTURE)
    assert report.created == 0 and len(report.errors) == len(records)
    assert "không được nạp" in report.errors[0]


def test_demo_never_goes_into_the_default_database(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.sqlite3'}")
    with pytest.raises(ValueError):
        seed_database(None, demo=True)


def test_seed_database_builds_a_separate_demo_database(tmp_path, session_for):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    reports = seed_database(url, demo=True)
    assert [r.errors for r in reports] == [[], []]
    session = session_for(url)
    samples = session.execute(select(func.count()).where(Event.is_sample.is_(True))).scalar_one()
    assert samples == 30


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"start": "2026-12-01"}, "thiếu tiêu đề"),
        ({"title": "X"}, "thiếu ngày bắt đầu"),
        ({"title": "X", "start": "mai"}, "không đúng định dạng"),
        ({"title": "X", "start": "2026-12-02", "end": "2026-12-01"}, "phải sau"),
        ({"title": "X", "start": "2026-12-02", "kind": "party"}, "kind không hợp lệ"),
        ({"title": "X", "start": "2026-12-02", "audience": "robots"}, "audience không hợp lệ"),
        ({"title": "X", "start": "2026-12-02", "capacity": "nhiều"}, "capacity"),
        ({"title": "X", "start": "2026-12-02", "source_url": "ftp://x"}, "source_url"),
    ],
)
def test_invalid_records_say_what_to_fix(record, message):
    with pytest.raises(RecordError) as err:
        validate_record(record)
    assert message in str(err.value)


def test_vietnamese_kind_and_audience_labels_are_accepted():
    values = validate_record({"title": "Hội thảo", "start": "2026-12-02 08:00",
                              "kind": "Hội thảo", "audience": "Doanh nghiệp; học sinh"})
    assert values["kind"] == "hoi_thao"
    assert values["audiences"] == "doanh_nghiep,hoc_sinh_sinh_vien"
    assert values["end_at"] - values["start_at"] == dt.timedelta(hours=2)


def test_html_in_imported_text_is_not_kept():
    values = validate_record({"title": "<b>Hội thảo</b> <script>alert(1)</script>xuất khẩu",
                              "start": "2026-12-02"})
    assert "<" not in values["title"] and values["title"].startswith("Hội thảo")
