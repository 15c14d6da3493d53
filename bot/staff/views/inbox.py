"""The unanswered inbox: grouped questions with one-step actions, plus the raw question list."""

from __future__ import annotations

from typing import Any

import anyio
from sqladmin import BaseView, expose
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.knowledge.models import FaqEntry, FaqTopic, UnansweredQuestion
from bot.staff.inbox import (
    InboxError,
    add_as_variant,
    group_questions,
    load_unresolved,
    mark_resolved,
    start_draft_entry,
)
from bot.staff.models import ROLES
from bot.staff.security import current_role, current_staff
from bot.staff.views.base import EDITORS, StaffModelView
from bot.staff.views.ui import UNANSWERED_REASON_LABELS, flash, local_time


class InboxView(BaseView):
    home_identity = "inbox"
    name = "Câu hỏi chưa trả lời"
    icon = "fa-solid fa-inbox"

    def is_accessible(self, request: Request) -> bool:
        return current_role() in ROLES

    def is_visible(self, request: Request) -> bool:
        return current_role() in ROLES

    def _session_maker(self) -> Any:
        return self._admin_ref.session_maker  # type: ignore[attr-defined]

    @expose("/inbox", methods=["GET"], identity="inbox")
    async def inbox(self, request: Request) -> Response:
        context = await anyio.to_thread.run_sync(self._inbox_context)
        context.update(
            title=self.name,
            can_edit=current_role() in EDITORS,
            reason_labels=UNANSWERED_REASON_LABELS,
            local_time=local_time,
        )
        return await self.templates.TemplateResponse(request, "staff/inbox.html", context)

    def _inbox_context(self) -> dict[str, Any]:
        with self._session_maker()() as session:
            questions = load_unresolved(session)
            groups = group_questions(questions)
            entries = session.execute(
                select(FaqEntry.id, FaqEntry.question, FaqEntry.status)
                .where(FaqEntry.status != "archived")
                .order_by(FaqEntry.id)
            ).all()
            topics = session.execute(select(FaqTopic.slug, FaqTopic.title)).all()
        questions_of = {e.id: e.question for e in entries}
        return {
            "groups": groups,
            "question_count": len(questions),
            "entries": entries,
            "entry_questions": questions_of,
            "topics": topics,
        }

    @expose("/inbox/resolve", methods=["POST"], identity="inbox-resolve")
    async def resolve(self, request: Request) -> Response:
        if current_role() not in EDITORS:
            raise HTTPException(status_code=403)
        form = await request.form()
        ids = _ids(str(form.get("ids") or ""))
        action = str(form.get("action") or "")
        text = str(form.get("text") or "")
        try:
            message, redirect = await anyio.to_thread.run_sync(
                self._resolve_sync, action, ids, text, dict(form)
            )
        except InboxError as exc:
            flash(request, str(exc), "danger")
            return RedirectResponse(request.url_for("admin:inbox"), 302)
        flash(request, message, "success")
        if redirect:
            return RedirectResponse(
                request.url_for("admin:edit", identity="faq-entry", pk=redirect), 302
            )
        return RedirectResponse(request.url_for("admin:inbox"), 302)

    def _resolve_sync(
        self, action: str, ids: list[int], text: str, form: dict[str, Any]
    ) -> tuple[str, str | None]:
        if not ids:
            raise InboxError("Nhóm câu hỏi không hợp lệ.")
        actor = current_staff()
        with self._session_maker()() as session:
            if action == "variant":
                entry = add_as_variant(session, ids, str(form.get("entry_id") or ""), text, actor)
                session.commit()
                return f"Đã thêm “{text}” làm cách hỏi của câu {entry.id}.", None
            if action == "new":
                others = session.execute(
                    select(UnansweredQuestion.text).where(UnansweredQuestion.id.in_(ids))
                ).scalars()
                entry = start_draft_entry(
                    session, ids, str(form.get("topic") or ""), text, list(others), actor
                )
                session.commit()
                return f"Đã tạo bản nháp {entry.id}. Hãy viết câu trả lời rồi xuất bản.", entry.id
            if action == "dismiss":
                count = mark_resolved(session, ids)
                session.commit()
                return f"Đã bỏ qua {count} câu hỏi.", None
        raise InboxError("Thao tác không hợp lệ.")


def _ids(raw: str) -> list[int]:
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if part.isdigit():
            ids.append(int(part))
    return ids[:5000]


class UnansweredQuestionView(StaffModelView, model=UnansweredQuestion):
    """Every logged question, one per row (the inbox page groups them)."""

    name = "Câu hỏi đã ghi nhận"
    name_plural = "Nhật ký câu hỏi chưa trả lời"
    icon = "fa-solid fa-list"
    create_roles = ()
    edit_roles = ()
    delete_roles = ()
    column_list = [
        UnansweredQuestion.id, UnansweredQuestion.created_at, UnansweredQuestion.text,
        UnansweredQuestion.reason, UnansweredQuestion.channel, UnansweredQuestion.entry_id,
        UnansweredQuestion.resolved,
    ]
    column_labels = {
        "id": "Số", "created_at": "Lúc", "text": "Câu hỏi", "reason": "Lý do",
        "channel": "Kênh", "entry_id": "Câu trả lời bị chấm 👎", "resolved": "Đã xử lý",
        "candidates": "Câu gần nhất", "group_key": "Khoá nhóm",
    }
    column_searchable_list = [UnansweredQuestion.text]
    column_sortable_list = [UnansweredQuestion.created_at, UnansweredQuestion.reason]
    column_default_sort = [(UnansweredQuestion.created_at, True)]
    column_formatters = {
        UnansweredQuestion.created_at: lambda m, a: local_time(m.created_at),
        UnansweredQuestion.reason: lambda m, a: UNANSWERED_REASON_LABELS.get(m.reason, m.reason),
    }
    export_types = ["csv"]
