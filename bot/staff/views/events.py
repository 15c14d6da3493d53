"""Events (edit, postpone, cancel; revisions kept) and registrations (read and export only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session
from wtforms import SelectField, TextAreaField

from bot.config import TIMEZONE
from bot.events.models import Event, Registration
from bot.staff.event_fields import refresh_search_text
from bot.staff.views.base import ADMINS, EDITORS, StaffModelView, status_action
from bot.staff.views.ui import local_time

KIND_LABELS = {
    "hoi_nghi": "Hội nghị", "hoi_thao": "Hội thảo", "tap_huan": "Tập huấn", "toa_dam": "Toạ đàm",
    "trien_lam": "Triển lãm", "hoi_cho": "Hội chợ", "cuoc_thi": "Cuộc thi",
    "giao_luu": "Giao lưu", "livestream": "Livestream", "other": "Khác",
}
EVENT_STATUS_LABELS = {"scheduled": "Theo kế hoạch", "postponed": "Tạm hoãn", "cancelled": "Đã huỷ"}
REGISTRATION_MODE_LABELS = {"none": "Không cần đăng ký", "open": "Mở đăng ký qua bot"}
_LOCAL_DATETIME_FIELDS = ("start_at", "end_at", "registration_deadline")

EVENT_LABELS = {
    "id": "Số", "external_key": "Mã sự kiện", "title": "Tên sự kiện",
    "title_en": "Tên (tiếng Anh)", "summary": "Tóm tắt", "kind": "Loại", "host": "Đơn vị tổ chức",
    "co_hosts": "Đơn vị phối hợp", "audiences": "Đối tượng", "topics": "Chủ đề",
    "start_at": "Bắt đầu", "end_at": "Kết thúc", "all_day": "Cả ngày", "venue": "Địa điểm",
    "address": "Địa chỉ", "city": "Tỉnh/thành", "online_url": "Đường dẫn trực tuyến",
    "registration_mode": "Đăng ký", "registration_deadline": "Hạn đăng ký",
    "capacity": "Số chỗ", "registered_count": "Đã đăng ký", "registration_info": "Cách đăng ký",
    "contact": "Liên hệ", "source_url": "Nguồn", "status": "Tình trạng",
    "is_tentative": "Ngày dự kiến (chưa chính thức)", "is_sample": "Dữ liệu mẫu",
    "created_at": "Tạo lúc", "updated_at": "Sửa lúc",
}


class EventView(StaffModelView, model=Event):
    name = "Sự kiện"
    name_plural = "Sự kiện"
    icon = "fa-solid fa-calendar-days"
    delete_roles = ADMINS
    history_type = "event"

    column_list = [
        Event.id, Event.title, Event.kind, Event.start_at, Event.venue, Event.status,
        Event.registration_mode, Event.registered_count, Event.capacity,
    ]
    column_labels = EVENT_LABELS
    column_searchable_list = [Event.title, Event.external_key, Event.venue, Event.host]
    column_sortable_list = [Event.id, Event.start_at, Event.status, Event.kind]
    column_default_sort = [(Event.start_at, True)]
    column_details_exclude_list = [Event.search_text, Event.revisions, Event.registrations]
    column_formatters = {
        Event.kind: lambda m, a: KIND_LABELS.get(m.kind, m.kind),
        Event.status: lambda m, a: EVENT_STATUS_LABELS.get(m.status, m.status),
        Event.registration_mode: lambda m, a: REGISTRATION_MODE_LABELS.get(
            m.registration_mode, m.registration_mode
        ),
        Event.start_at: lambda m, a: local_time(m.start_at),
    }
    column_formatters_detail = {
        Event.kind: lambda m, a: KIND_LABELS.get(m.kind, m.kind),
        Event.status: lambda m, a: EVENT_STATUS_LABELS.get(m.status, m.status),
        Event.start_at: lambda m, a: local_time(m.start_at),
        Event.end_at: lambda m, a: local_time(m.end_at),
        Event.registration_deadline: lambda m, a: local_time(m.registration_deadline),
        Event.created_at: lambda m, a: local_time(m.created_at),
        Event.updated_at: lambda m, a: local_time(m.updated_at),
    }
    form_excluded_columns = [
        Event.search_text, Event.registered_count, Event.created_at, Event.updated_at,
        Event.revisions, Event.registrations,
    ]
    form_overrides = {
        "kind": SelectField, "status": SelectField, "registration_mode": SelectField,
        "summary": TextAreaField, "registration_info": TextAreaField,
    }
    form_args = {
        "kind": {"label": EVENT_LABELS["kind"], "choices": list(KIND_LABELS.items())},
        "status": {"label": EVENT_LABELS["status"], "choices": list(EVENT_STATUS_LABELS.items())},
        "registration_mode": {
            "label": EVENT_LABELS["registration_mode"],
            "choices": list(REGISTRATION_MODE_LABELS.items()),
        },
        "start_at": {"description": "Giờ Việt Nam."},
        "end_at": {"description": "Giờ Việt Nam."},
        "audiences": {
            "description": "Các mã cách nhau bằng dấu phẩy: doanh_nghiep, hoc_sinh_sinh_vien, "
            "giao_vien, can_bo, nguoi_dan, nguoi_nuoc_ngoai."
        },
    }

    bulk_ops = {
        "postpone": ("Tạm hoãn", EDITORS, "Đánh dấu các sự kiện này là tạm hoãn?"),
        "cancel": ("Huỷ sự kiện", EDITORS, "Đánh dấu các sự kiện này là đã huỷ?"),
        "reschedule": ("Theo kế hoạch", EDITORS, "Đưa các sự kiện này về “theo kế hoạch”?"),
    }
    action_postpone = status_action("postpone", "Tạm hoãn", EDITORS, "")
    action_cancel = status_action("cancel", "Huỷ sự kiện", EDITORS, "")
    action_reschedule = status_action("reschedule", "Theo kế hoạch", EDITORS, "")

    def load_extra(self, obj: Any) -> None:
        # The form shows and takes Vietnam time; the database keeps UTC.
        for name in _LOCAL_DATETIME_FIELDS:
            value = getattr(obj, name, None)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                obj.__dict__[name] = value.astimezone(TIMEZONE).replace(tzinfo=None)

    def prepare(self, session: Session, obj: Any, data: dict[str, Any], created: bool) -> None:
        for name in _LOCAL_DATETIME_FIELDS:
            value = getattr(obj, name, None)
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                setattr(obj, name, value.replace(tzinfo=TIMEZONE))
        if obj.start_at and obj.end_at and obj.end_at < obj.start_at:
            raise ValueError("Thời gian kết thúc phải sau thời gian bắt đầu.")
        if obj.co_hosts is None:
            obj.co_hosts = []
        refresh_search_text(obj)

    def apply_op(self, session: Session, obj: Any, op: str) -> bool:
        target = {"postpone": "postponed", "cancel": "cancelled", "reschedule": "scheduled"}[op]
        if obj.status == target:
            return False
        obj.status = target
        return True


class RegistrationView(StaffModelView, model=Registration):
    """Registrations hold personal data: visible to admins and editors only, never editable."""

    name = "Đăng ký"
    name_plural = "Đăng ký tham dự"
    icon = "fa-solid fa-user-check"
    view_roles = EDITORS
    create_roles = ()
    edit_roles = ()
    delete_roles = ()
    export_roles = EDITORS
    export_types = ["csv"]

    column_list = [
        Registration.code, Registration.event, Registration.name, Registration.organisation,
        Registration.phone, Registration.email, Registration.status, Registration.created_at,
    ]
    column_details_exclude_list = [Registration.sender_id]
    column_export_list = [
        "code", "event_id", "name", "organisation", "phone", "email", "status", "channel",
        "created_at", "cancelled_at",
    ]
    column_labels = {
        "code": "Mã đăng ký", "event": "Sự kiện", "event_id": "Số sự kiện", "name": "Họ tên",
        "organisation": "Đơn vị", "phone": "Điện thoại", "email": "Email",
        "status": "Trạng thái", "created_at": "Đăng ký lúc", "consent_at": "Đồng ý lúc",
        "channel": "Kênh", "cancelled_at": "Huỷ lúc", "sender_id": "Mã hội thoại",
    }
    column_searchable_list = [Registration.code, Registration.name, Registration.organisation]
    column_sortable_list = [Registration.created_at, Registration.status]
    column_default_sort = [(Registration.created_at, True)]
    column_formatters = {
        Registration.status: lambda m, a: {"active": "Còn hiệu lực", "cancelled": "Đã huỷ"}.get(
            m.status, m.status
        ),
        Registration.created_at: lambda m, a: local_time(m.created_at),
        Registration.event: lambda m, a: _event_title(m),
    }


def _event_title(registration: Any) -> str:
    event = registration.__dict__.get("event")
    return event.title if event is not None else str(registration.event_id)
