"""The dashboard page: usage over a chosen period, as charts (Chart.js served from our static)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio
from sqladmin import BaseView, expose
from starlette.requests import Request
from starlette.responses import Response

from bot.config import TIMEZONE
from bot.staff.models import ROLES
from bot.staff.security import current_role
from bot.staff.stats import Period, dashboard_data, ensure_tracker_indexes, tracker_engine
from bot.staff.views.ui import UNANSWERED_REASON_LABELS

MAX_DAYS = 366
INTENT_LABELS = {
    "ask_knowledge": "Hỏi kiến thức (FAQ)", "ask_followup": "Hỏi tiếp", "ask_events": "Hỏi sự kiện",
    "ask_event_detail": "Chi tiết sự kiện", "register_event": "Đăng ký sự kiện",
    "cancel_registration": "Huỷ đăng ký", "remind_me": "Nhắc lịch", "human_handoff": "Gặp cán bộ",
    "out_of_scope": "Ngoài phạm vi", "nlu_fallback": "Bot không hiểu", "greet": "Chào hỏi",
    "goodbye": "Tạm biệt", "thank": "Cảm ơn", "feedback": "Đánh giá 👍/👎",
    "unsupported_language": "Ngôn ngữ khác", "bot_challenge": "Hỏi có phải bot",
    "inform": "Cung cấp thông tin", "show_more": "Xem thêm", "affirm": "Đồng ý", "deny": "Từ chối",
    "stop": "Dừng",
}


def parse_period(request: Request, today: dt.date | None = None) -> Period:
    """The period asked for in the query string (default: the last 30 days, today included)."""
    today = today or dt.datetime.now(TIMEZONE).date()
    end = _date_param(request.query_params.get("to")) or today
    start = _date_param(request.query_params.get("from")) or end - dt.timedelta(days=29)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - dt.timedelta(days=MAX_DAYS - 1)
    return Period(start, end)


def _date_param(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class DashboardView(BaseView):
    home_identity = "dashboard"
    name = "Thống kê"
    icon = "fa-solid fa-chart-line"
    _indexed: set[str] = set()

    def is_accessible(self, request: Request) -> bool:
        return current_role() in ROLES

    def is_visible(self, request: Request) -> bool:
        return current_role() in ROLES

    @expose("/dashboard", methods=["GET"], identity="dashboard")
    async def dashboard(self, request: Request) -> Response:
        period = parse_period(request)
        data = await anyio.to_thread.run_sync(self._load, period)
        context = {
            "title": self.name,
            "data": data,
            "chart": chart_payload(data),
            "intent_labels": INTENT_LABELS,
            "reason_labels": UNANSWERED_REASON_LABELS,
            "presets": [(7, "7 ngày"), (30, "30 ngày"), (90, "90 ngày")],
            "today": dt.datetime.now(TIMEZONE).date(),
            "timedelta": dt.timedelta,
        }
        return await self.templates.TemplateResponse(request, "staff/dashboard.html", context)

    def _load(self, period: Period) -> Any:
        admin = self._admin_ref  # type: ignore[attr-defined]
        url = admin.staff_settings.tracker_url
        tracker = tracker_engine(url) if url else None
        if tracker is not None and url not in self._indexed:
            ensure_tracker_indexes(tracker)
            self._indexed.add(url)
        with admin.session_maker() as session:
            return dashboard_data(tracker, session, period)


def chart_payload(data: Any) -> dict[str, Any]:
    """What the page's charts draw, as plain JSON."""
    return {
        "days": [dt.date.fromisoformat(d).strftime("%d/%m") for d in data.days],
        "messages": data.messages_per_day,
        "conversations": data.conversations_per_day,
        "intents": [[INTENT_LABELS.get(i, i), n] for i, n in data.top_intents],
        "registrations": [[title[:40], n] for title, n in data.registrations],
        "unanswered": [[UNANSWERED_REASON_LABELS.get(r, r), n] for r, n in data.unanswered.items()],
    }
