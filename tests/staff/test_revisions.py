"""Nothing is lost: every save of an FAQ entry or event is a revision that can be restored, and the
bot's knowledge data version moves with every staff change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.config import TIMEZONE
from bot.db import session_scope
from bot.events.models import Event, EventRevision
from bot.knowledge.models import DataVersion, FaqEntry
from bot.staff.models import Revision
from bot.staff.revisions import record_change, restore_revision, snapshot
from tests.staff.conftest import faq_form


def _revisions(db_url: str, entity_id: str) -> list[Revision]:
    with session_scope(db_url) as session:
        return list(session.scalars(
            select(Revision).where(Revision.entity_id == entity_id).order_by(Revision.id)
        ))


def _data_version(db_url: str) -> int:
    with session_scope(db_url) as session:
        row = session.get(DataVersion, "knowledge")
        return row.version if row else 0


def test_form_edits_are_revisions_with_who_and_before_after(signed_in, staff_db):
    editor = signed_in("editor1")
    assert editor.post("/admin/faq-entry/create", faq_form("roo-rvc")).status_code == 302
    changed = faq_form(
        "roo-rvc",
        answer="RVC 40% nghĩa là giá trị có xuất xứ khu vực chiếm ít nhất 40% trị giá FOB.",
        variants_vi="RVC là gì\nRVC 40 là gì",
        status="published",
    )
    assert editor.post("/admin/faq-entry/edit/roo-rvc", changed).status_code == 302

    created, edited = _revisions(staff_db, "roo-rvc")
    assert (created.action, created.actor, created.before) == ("create", "editor1", None)
    assert created.after["variants"][1]["text"] == "cách tính hàm lượng giá trị khu vực"
    assert edited.action == "publish" and edited.actor == "editor1"
    assert edited.before["status"] == "draft" and edited.after["status"] == "published"
    assert "RVC 40 là gì" in [v["text"] for v in edited.after["variants"]]
    assert {"answer", "status", "variants"} <= set(edited.summary.removeprefix("Thay đổi: ")
                                                  .split(", "))
    with session_scope(staff_db) as session:
        assert session.get(FaqEntry, "roo-rvc").updated_by == "editor1"


def test_saving_without_changes_adds_no_revision(signed_in, staff_db):
    editor = signed_in("editor1")
    editor.post("/admin/faq-entry/create", faq_form("roo-same"))
    editor.post("/admin/faq-entry/edit/roo-same", faq_form("roo-same"))
    assert [r.action for r in _revisions(staff_db, "roo-same")] == ["create"]


def test_restore_brings_back_the_earlier_version(signed_in, staff_db):
    editor = signed_in("editor1")
    editor.post("/admin/faq-entry/create", faq_form("roo-restore", status="published"))
    editor.post("/admin/faq-entry/edit/roo-restore", faq_form(
        "roo-restore", status="published", answer="Một câu trả lời sai.", variants_vi="",
        sources_text="", entities_text=""))
    first = _revisions(staff_db, "roo-restore")[0]
    history = editor.get("/admin/revision/history?type=faq_entry&id=roo-restore")
    assert history.status_code == 200 and "Khôi phục phiên bản này" in history.text

    assert editor.post(f"/admin/revision/restore/{first.id}").status_code == 302
    with session_scope(staff_db) as session:
        entry = session.get(FaqEntry, "roo-restore")
        assert entry.answer == faq_form("roo-restore")["answer"]
        assert [v.text for v in entry.variants] == [
            "RVC là gì", "cách tính hàm lượng giá trị khu vực"]
        assert [s.url for s in entry.sources] == ["https://example.gov.vn/tt05"]
        assert [(e.kind, e.value) for e in entry.entities] == [("agreement", "ATIGA")]
    last = _revisions(staff_db, "roo-restore")[-1]
    assert last.action == "restore" and last.actor == "editor1"
    assert last.before["answer"] == "Một câu trả lời sai."


def test_viewer_cannot_restore(signed_in, staff_db):
    signed_in("editor1").post("/admin/faq-entry/create", faq_form("roo-v"))
    revision = _revisions(staff_db, "roo-v")[0]
    viewer = signed_in("viewer1")
    assert "Khôi phục" not in viewer.get("/admin/revision/history?type=faq_entry&id=roo-v").text
    assert viewer.post(f"/admin/revision/restore/{revision.id}").status_code == 403


def test_admin_delete_is_kept_and_can_be_undone(signed_in, staff_db):
    signed_in("editor1").post("/admin/faq-entry/create", faq_form("roo-del", status="published"))
    admin = signed_in("admin1")
    token = admin.token("/admin/faq-entry/list")
    response = admin.http.delete("/admin/faq-entry/delete?pks=roo-del",
                                 headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    with session_scope(staff_db) as session:
        assert session.get(FaqEntry, "roo-del") is None
    deletion = _revisions(staff_db, "roo-del")[-1]
    assert deletion.action == "delete" and deletion.after is None
    assert admin.post(f"/admin/revision/restore/{deletion.id}").status_code == 302
    with session_scope(staff_db) as session:
        entry = session.get(FaqEntry, "roo-del")
        assert entry is not None and entry.status == "published" and len(entry.variants) == 2


def test_staff_edits_bump_the_knowledge_data_version(signed_in, staff_db):
    editor = signed_in("editor1")
    start = _data_version(staff_db)
    editor.post("/admin/faq-entry/create", faq_form("roo-ver"))
    after_create = _data_version(staff_db)
    editor.post("/admin/faq-entry/bulk/publish", {"pks": "roo-ver"})
    after_publish = _data_version(staff_db)
    assert start < after_create < after_publish


def _event(**overrides) -> Event:
    values = dict(
        external_key="hoi-thao-rcep-2026", title="Hội thảo RCEP cho doanh nghiệp",
        summary="", kind="hoi_thao", host="Sở Công Thương", co_hosts=[], audiences="doanh_nghiep",
        topics="rcep", start_at=dt.datetime(2026, 12, 3, 8, 0, tzinfo=TIMEZONE),
        end_at=dt.datetime(2026, 12, 3, 11, 0, tzinfo=TIMEZONE), venue="Cà Mau",
    )
    values.update(overrides)
    return Event(**values)


def test_event_edit_through_the_form_is_a_revision_in_local_time(signed_in, staff_db):
    with session_scope(staff_db) as session:
        event = _event()
        session.add(event)
        session.flush()
        record_change(session, event, None, "create", "seed")
        event_id = event.id
    editor = signed_in("editor1")
    edit_page = editor.get(f"/admin/event/edit/{event_id}")
    assert edit_page.status_code == 200
    assert "2026-12-03 08:00:00" in edit_page.text  # shown in Vietnam time, not UTC
    form = {
        "external_key": "hoi-thao-rcep-2026", "title": "Hội thảo RCEP (dời sang buổi chiều)",
        "title_en": "", "summary": "", "kind": "hoi_thao", "host": "Sở Công Thương",
        "co_hosts": "[]", "audiences": "doanh_nghiep", "topics": "rcep",
        "start_at": "2026-12-03 14:00:00", "end_at": "2026-12-03 17:00:00", "venue": "Cà Mau",
        "address": "", "city": "", "online_url": "", "registration_mode": "none",
        "registration_deadline": "", "capacity": "", "registration_info": "", "contact": "",
        "source_url": "", "status": "scheduled", "save": "Save",
    }
    response = editor.post(f"/admin/event/edit/{event_id}", form)
    assert response.status_code == 302, response.text[:3000]
    with session_scope(staff_db) as session:
        event = session.get(Event, event_id)
        assert event.start_at == dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)
        assert "doi sang buoi chieu" in event.search_text
        revision = session.scalars(select(Revision).where(Revision.entity_type == "event")
                                   .order_by(Revision.id.desc())).first()
        assert revision.actor == "editor1"
        assert revision.before["start_at"].startswith("2026-12-03T01:00")
        assert revision.after["start_at"].startswith("2026-12-03T07:00")
        # The events package's own history hears about it too.
        mirrored = session.scalars(select(EventRevision).where(EventRevision.event_id == event_id)
                                   .order_by(EventRevision.id.desc())).first()
        assert mirrored.changed_by == "staff:editor1" and "start_at" in mirrored.after
        restore_revision(session, revision.id - 0, "editor1")  # restoring the edit: no change
        first = session.scalars(select(Revision).where(Revision.entity_type == "event")
                                .order_by(Revision.id)).first()
        restore_revision(session, first.id, "editor1")
        assert session.get(Event, event_id).title == "Hội thảo RCEP cho doanh nghiệp"


def test_snapshot_round_trip_is_stable(staff_db):
    with session_scope(staff_db) as session:
        event = _event(external_key="k2")
        session.add(event)
        session.flush()
        before = snapshot(event)
        assert record_change(session, event, before, "update", "editor1") is None
