"""The revision log: browse every change, compare before/after, restore an earlier state."""

from __future__ import annotations

import json
from typing import Any

import anyio
from sqladmin import expose
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.staff.models import Revision
from bot.staff.revisions import RestoreError, changed_fields, history, restore_revision
from bot.staff.security import current_role, current_staff
from bot.staff.views.base import EDITORS, StaffModelView
from bot.staff.views.ui import action_label, flash, local_time

ENTITY_LABELS = {"faq_entry": "Câu hỏi", "event": "Sự kiện"}
ENTITY_VIEWS = {"faq_entry": "faq-entry", "event": "event"}


class RevisionView(StaffModelView, model=Revision):
    name = "Phiên bản"
    name_plural = "Lịch sử thay đổi"
    icon = "fa-solid fa-clock-rotate-left"
    create_roles = ()
    edit_roles = ()
    delete_roles = ()
    export_roles = ()
    details_template = "staff/revision_details.html"

    column_list = [
        Revision.id, Revision.created_at, Revision.actor, Revision.entity_type,
        Revision.entity_id, Revision.action, Revision.summary,
    ]
    column_labels = {
        "id": "Số", "created_at": "Lúc", "actor": "Người thực hiện", "entity_type": "Loại",
        "entity_id": "Mã", "action": "Thao tác", "summary": "Tóm tắt",
    }
    column_searchable_list = [Revision.entity_id, Revision.actor]
    column_sortable_list = [Revision.id, Revision.created_at]
    column_default_sort = [(Revision.id, True)]
    column_formatters = {
        Revision.created_at: lambda m, a: local_time(m.created_at),
        Revision.entity_type: lambda m, a: ENTITY_LABELS.get(m.entity_type, m.entity_type),
        Revision.action: lambda m, a: action_label(m.action),
    }

    @expose("/history", methods=["GET"])
    async def history(self, request: Request) -> Response:
        entity_type = request.query_params.get("type", "")
        entity_id = request.query_params.get("id", "")
        if entity_type not in ENTITY_LABELS or not entity_id:
            raise HTTPException(status_code=404)
        rows = await anyio.to_thread.run_sync(self._history_sync, entity_type, entity_id)
        return await self.templates.TemplateResponse(
            request,
            "staff/history.html",
            {
                "title": f"Lịch sử thay đổi · {ENTITY_LABELS[entity_type]} {entity_id}",
                "rows": rows,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "entity_view": ENTITY_VIEWS[entity_type],
                "can_restore": current_role() in EDITORS,
            },
        )

    def _history_sync(self, entity_type: str, entity_id: str) -> list[dict[str, Any]]:
        with self.session_maker() as session:
            return [
                {
                    "id": rev.id,
                    "when": local_time(rev.created_at),
                    "actor": rev.actor,
                    "action": action_label(rev.action),
                    "summary": rev.summary or "",
                    "restorable": rev.after is not None or rev.before is not None,
                }
                for rev in history(session, entity_type, entity_id)
            ]

    @expose("/restore/{revision_id:int}", methods=["POST"])
    async def restore(self, request: Request) -> Response:
        if current_role() not in EDITORS:
            raise HTTPException(status_code=403)
        revision_id = request.path_params["revision_id"]
        try:
            entity_type, entity_id = await anyio.to_thread.run_sync(
                self._restore_sync, revision_id
            )
        except RestoreError as exc:
            flash(request, str(exc), "danger")
            return RedirectResponse(request.url_for("admin:list", identity=self.identity), 302)
        flash(request, f"Đã khôi phục phiên bản #{revision_id}.", "success")
        url = request.url_for("admin:view-revision-history").include_query_params(
            type=entity_type, id=entity_id
        )
        return RedirectResponse(url, 302)

    def _restore_sync(self, revision_id: int) -> tuple[str, str]:
        with self.session_maker(expire_on_commit=False) as session:
            revision = session.get(Revision, revision_id)
            if revision is None:
                raise RestoreError("Không tìm thấy phiên bản này.")
            restore_revision(session, revision_id, current_staff())
            session.commit()
            return revision.entity_type, revision.entity_id


def revision_diff(revision: Revision) -> list[dict[str, str]]:
    """Changed fields with readable before/after values (templates call this)."""
    rows = []
    for field in changed_fields(revision.before, revision.after):
        rows.append(
            {
                "field": field,
                "before": _readable((revision.before or {}).get(field)),
                "after": _readable((revision.after or {}).get(field)),
            }
        )
    return rows


def _readable(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)
