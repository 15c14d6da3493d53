"""FAQ entries: edit question, answer, phrasings, sources and status; publish or archive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request
from wtforms import SelectField, TextAreaField, validators

from bot.knowledge.models import FaqEntry, FaqTopic
from bot.staff.faq_fields import (
    FieldError,
    format_entities,
    format_sources,
    format_variants,
    parse_entities,
    parse_sources,
    parse_variants,
)
from bot.staff.revisions import set_faq_children
from bot.staff.views.base import ADMINS, EDITORS, StaffModelView, status_action
from bot.staff.views.ui import FAQ_STATUS_LABELS, local_time

FAQ_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,79}$"

FAQ_LABELS = {
    "id": "Mã câu hỏi",
    "topic": "Chủ đề",
    "question": "Câu hỏi",
    "answer": "Câu trả lời",
    "question_en": "Câu hỏi (tiếng Anh)",
    "answer_en": "Câu trả lời (tiếng Anh)",
    "status": "Trạng thái",
    "as_of": "Thông tin tính đến ngày",
    "updated_by": "Người sửa gần nhất",
    "updated_at": "Sửa lúc",
    "created_at": "Tạo lúc",
    "variants": "Các cách hỏi khác",
    "sources": "Nguồn",
    "entities": "Thực thể",
    "variants_vi": "Các cách hỏi khác (tiếng Việt)",
    "variants_en": "Các cách hỏi khác (tiếng Anh)",
    "sources_text": "Nguồn",
    "entities_text": "Thực thể liên quan",
}


class FaqEntryView(StaffModelView, model=FaqEntry):
    name = "Câu hỏi"
    name_plural = "Câu hỏi thường gặp (FAQ)"
    icon = "fa-solid fa-circle-question"
    delete_roles = ADMINS  # editors archive instead; a deletion is still kept as a revision
    details_template = "staff/faq_details.html"
    history_type = "faq_entry"

    column_list = [
        FaqEntry.id, FaqEntry.topic, FaqEntry.question, FaqEntry.status,
        FaqEntry.updated_at, FaqEntry.updated_by,
    ]
    column_details_list = [
        FaqEntry.id, FaqEntry.topic, FaqEntry.question, FaqEntry.answer, FaqEntry.question_en,
        FaqEntry.answer_en, FaqEntry.status, FaqEntry.as_of, FaqEntry.updated_by,
        FaqEntry.updated_at, FaqEntry.created_at,
    ]
    column_labels = FAQ_LABELS
    column_searchable_list = [FaqEntry.id, FaqEntry.question, FaqEntry.answer]
    column_sortable_list = [FaqEntry.id, FaqEntry.topic, FaqEntry.status, FaqEntry.updated_at]
    column_default_sort = [(FaqEntry.updated_at, True)]
    column_formatters = {
        FaqEntry.status: lambda m, a: FAQ_STATUS_LABELS.get(m.status, m.status),
        FaqEntry.updated_at: lambda m, a: local_time(m.updated_at),
        FaqEntry.question: lambda m, a: _short(m.question),
    }
    column_formatters_detail = {
        FaqEntry.status: lambda m, a: FAQ_STATUS_LABELS.get(m.status, m.status),
        FaqEntry.updated_at: lambda m, a: local_time(m.updated_at),
        FaqEntry.created_at: lambda m, a: local_time(m.created_at),
        FaqEntry.as_of: lambda m, a: local_time(m.as_of),
    }
    form_columns = [
        FaqEntry.id, FaqEntry.topic, FaqEntry.question, FaqEntry.answer, FaqEntry.question_en,
        FaqEntry.answer_en, FaqEntry.status, FaqEntry.as_of,
    ]
    form_include_pk = True
    form_overrides = {"status": SelectField, "topic": SelectField, "answer": TextAreaField}
    form_args = {
        "id": {
            "label": FAQ_LABELS["id"],
            "description": "Chữ thường không dấu, số và dấu gạch ngang, ví dụ roo-rvc-40. "
            "Không đổi được sau khi tạo.",
            "validators": [
                validators.InputRequired(message="Vui lòng nhập mã câu hỏi."),
                validators.Regexp(FAQ_ID_PATTERN, message="Mã chỉ gồm a-z, 0-9 và dấu gạch ngang."),
            ],
        },
        "status": {
            "label": FAQ_LABELS["status"],
            "choices": list(FAQ_STATUS_LABELS.items()),
            "description": "Chỉ câu hỏi “Đã xuất bản” được bot dùng để trả lời.",
        },
        "topic": {"label": FAQ_LABELS["topic"], "choices": []},
        "question": {
            "validators": [validators.InputRequired(message="Vui lòng nhập câu hỏi.")],
        },
        "answer": {
            "validators": [validators.InputRequired(message="Vui lòng nhập câu trả lời.")],
            "render_kw": {"rows": 8},
        },
    }
    form_widget_args = {"answer_en": {"rows": 6}, "question": {"rows": 2}}

    bulk_ops = {
        "publish": ("Xuất bản", EDITORS, "Xuất bản các câu hỏi này? Bot sẽ dùng ngay câu trả lời."),
        "archive": ("Lưu trữ", EDITORS, "Lưu trữ các câu hỏi này? Bot sẽ không dùng chúng nữa."),
        "draft": ("Chuyển về bản nháp", EDITORS, "Chuyển các câu hỏi này về bản nháp?"),
    }
    action_publish = status_action("publish", "Xuất bản", EDITORS, "")
    action_archive = status_action("archive", "Lưu trữ", EDITORS, "")
    action_draft = status_action("draft", "Chuyển về bản nháp", EDITORS, "")

    def build_extra_fields(self) -> dict[str, Any]:
        return {
            "variants_vi": TextAreaField(
                FAQ_LABELS["variants_vi"],
                description="Mỗi dòng một cách hỏi, càng giống cách người dân hỏi càng tốt.",
                render_kw={"rows": 5},
            ),
            "variants_en": TextAreaField(
                FAQ_LABELS["variants_en"], description="Mỗi dòng một câu.", render_kw={"rows": 3}
            ),
            "sources_text": TextAreaField(
                FAQ_LABELS["sources_text"],
                description="Mỗi dòng: Tiêu đề | https://đường-dẫn | ngày kiểm tra (2026-11-26).",
                render_kw={"rows": 3},
            ),
            "entities_text": TextAreaField(
                FAQ_LABELS["entities_text"],
                description="Mỗi dòng “loại: giá trị, …”; loại: agreement, co_form, country, "
                "product, hs_code. Ví dụ: co_form: D",
                render_kw={"rows": 3},
            ),
        }

    async def scaffold_form(self, rules: list[str] | None = None) -> Any:
        self.form_args["topic"]["choices"] = await self._topic_choices()
        return await super().scaffold_form(rules)

    async def _topic_choices(self) -> list[tuple[str, str]]:
        rows = await self._run_arbitrary_query(
            select(FaqTopic.slug, FaqTopic.title).order_by(FaqTopic.title)
        )
        return [(slug, f"{title} ({slug})") for slug, title in rows]

    def form_edit_query(self, request: Request) -> Any:
        return super().form_edit_query(request).options(
            selectinload(FaqEntry.variants),
            selectinload(FaqEntry.sources),
            selectinload(FaqEntry.entities),
        )

    def load_extra(self, obj: Any) -> None:
        obj.variants_vi = format_variants(obj.variants, "vi")
        obj.variants_en = format_variants(obj.variants, "en")
        obj.sources_text = format_sources(obj.sources)
        obj.entities_text = format_entities(obj.entities)

    def save_extra(self, session: Session, obj: Any, extras: dict[str, Any], created: bool) -> None:
        try:
            children = {
                "variants": parse_variants(extras.get("variants_vi"), "vi")
                + parse_variants(extras.get("variants_en"), "en"),
                "sources": parse_sources(extras.get("sources_text")),
                "entities": parse_entities(extras.get("entities_text")),
            }
        except FieldError as exc:
            raise ValueError(str(exc)) from exc
        set_faq_children(obj, children)

    def prepare(self, session: Session, obj: Any, data: dict[str, Any], created: bool) -> None:
        if created and session.get(FaqEntry, obj.id) not in (None, obj):
            raise ValueError(f"Mã câu hỏi “{obj.id}” đã được dùng.")

    def apply_op(self, session: Session, obj: Any, op: str) -> bool:
        target = {"publish": "published", "archive": "archived", "draft": "draft"}[op]
        if obj.status == target:
            return False
        obj.status = target
        return True


def _short(text: str | None, limit: int = 90) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
