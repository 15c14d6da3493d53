"""Chat wording for events: lists, details, "nothing found" (Vietnamese first, English when asked).

Kept apart from the actions so the same text is tested without Rasa and reused by other channels.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import config
from bot.events.ics import calendar_url
from bot.events.models import Event
from bot.events.search import SearchResult
from bot.events.vocab import AUDIENCE_LABELS_EN, AUDIENCE_LABELS_VI, KIND_LABELS_EN, KIND_LABELS_VI

_WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _vi_or_en(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def title_of(event: Event, lang: str = "vi") -> str:
    return (event.title_en or event.title) if lang == "en" else event.title


def status_labels(event: Event, now: dt.datetime, lang: str = "vi") -> list[str]:
    """Labels a citizen must see before anything else: cancelled, postponed, past, unconfirmed."""
    labels = []
    if event.is_sample:
        labels.append(_vi_or_en(lang, "Dữ liệu mẫu", "Sample data"))
    if event.status == "cancelled":
        labels.append(_vi_or_en(lang, "ĐÃ HỦY", "CANCELLED"))
    elif event.status == "postponed":
        labels.append(_vi_or_en(lang, "TẠM HOÃN – chờ lịch mới", "POSTPONED – new date pending"))
    if event.is_past(now) and event.is_tentative:
        labels.append(_vi_or_en(lang, "lịch dự kiến đã qua, chưa có xác nhận đã tổ chức",
                                "planned dates have passed, not confirmed as held"))
    elif event.is_past(now):
        labels.append(_vi_or_en(lang, "đã diễn ra", "already held"))
    elif event.is_tentative:
        labels.append(_vi_or_en(lang, "lịch dự kiến, chưa được xác nhận",
                                "planned dates, not confirmed"))
    return labels


def when_text(event: Event, lang: str = "vi") -> str:
    start, last = event.local_start, event.last_day
    if event.all_day:
        if start.date() == last:
            day = f"{_WEEKDAYS_VI[last.weekday()]}, {last:%d/%m/%Y}" if lang != "en" else \
                f"{last:%a %d/%m/%Y}"
            return day + _vi_or_en(lang, " (cả ngày)", " (all day)")
        first = f"{start:%d/%m}" if start.year == last.year else f"{start:%d/%m/%Y}"
        return f"{first} – {last:%d/%m/%Y}"
    end = event.local_end
    weekday = _WEEKDAYS_VI[start.weekday()] if lang != "en" else f"{start:%a}"
    if start.date() == end.date():
        return f"{start:%H:%M}–{end:%H:%M}, {weekday} {start:%d/%m/%Y}"
    return f"{start:%H:%M} {start:%d/%m/%Y} – {end:%H:%M} {end:%d/%m/%Y}"


def place_text(event: Event, lang: str = "vi") -> str:
    parts = [p for p in (event.venue, event.address, event.city) if p]
    place = ", ".join(dict.fromkeys(parts))
    if event.online_url:
        online = _vi_or_en(lang, "Trực tuyến", "Online") + f": {event.online_url}"
        return f"{place} · {online}" if place else online
    return place or _vi_or_en(lang, "chưa công bố địa điểm", "venue not announced")


def registration_state(event: Event, now: dt.datetime) -> str:
    """"none" | "open" | "closed" (deadline passed) | "full" | "unavailable" (past/cancelled)."""
    if event.registration_mode != "open":
        return "none"
    if event.status == "cancelled" or event.is_past(now):
        return "unavailable"
    if event.registration_deadline is not None and event.registration_deadline <= now:
        return "closed"
    if event.capacity is not None and event.registered_count >= event.capacity:
        return "full"
    return "open"


def registration_text(event: Event, now: dt.datetime, lang: str = "vi") -> str:
    state = registration_state(event, now)
    info = f". {event.registration_info}" if event.registration_info else ""
    if state == "none":
        return (event.registration_info or
                _vi_or_en(lang, "không nhận đăng ký qua trợ lý", "no registration through the bot"))
    if state == "unavailable":
        return _vi_or_en(lang, "không còn nhận đăng ký", "registration closed") + info
    if state == "closed":
        deadline = event.registration_deadline.astimezone(config.TIMEZONE)
        return _vi_or_en(lang, f"đã hết hạn đăng ký ({deadline:%H:%M %d/%m/%Y})",
                         f"registration closed on {deadline:%d/%m/%Y %H:%M}")
    if state == "full":
        return _vi_or_en(lang, "đã đủ số lượng đăng ký", "fully booked")
    parts = [_vi_or_en(lang, "đang mở đăng ký", "registration open")]
    if event.registration_deadline is not None:
        deadline = event.registration_deadline.astimezone(config.TIMEZONE)
        parts.append(_vi_or_en(lang, f"hạn {deadline:%H:%M %d/%m/%Y}",
                               f"until {deadline:%d/%m/%Y %H:%M}"))
    if event.capacity is not None:
        left = max(event.capacity - event.registered_count, 0)
        parts.append(_vi_or_en(lang, f"còn {left} chỗ", f"{left} places left"))
    return ", ".join(parts) + info


def format_event_item(event: Event, index: int | None, now: dt.datetime, lang: str = "vi") -> str:
    """A list entry: title and labels, when, where, host, registration, calendar link."""
    labels = status_labels(event, now, lang)
    head = f"{index}. " if index is not None else ""
    head += title_of(event, lang) + (f" [{'; '.join(labels)}]" if labels else "")
    lines = [
        head,
        f"   🗓 {when_text(event, lang)}",
        f"   📍 {place_text(event, lang)}",
    ]
    if event.host:
        lines.append(f"   🏛 {event.host}")
    lines.append("   ✍ " + registration_text(event, now, lang))
    if not event.is_past(now) and event.status != "cancelled":
        lines.append("   📅 " + _vi_or_en(lang, "Thêm vào lịch: ", "Add to calendar: ")
                     + calendar_url(event.id))
    return "\n".join(lines)


def format_detail(event: Event, now: dt.datetime, lang: str = "vi") -> str:
    """Everything about one event, including its summary, contact and source."""
    lines = [format_event_item(event, None, now, lang)]
    if event.summary:
        lines.append(event.summary)
    kind = (KIND_LABELS_EN if lang == "en" else KIND_LABELS_VI).get(event.kind, event.kind)
    audience_labels = AUDIENCE_LABELS_EN if lang == "en" else AUDIENCE_LABELS_VI
    audiences = ", ".join(audience_labels.get(a, a) for a in event.audience_list)
    lines.append(_vi_or_en(lang, "Loại: ", "Type: ") + kind
                 + (_vi_or_en(lang, f" · Dành cho: {audiences}", f" · For: {audiences}")
                    if audiences else ""))
    if event.co_hosts:
        lines.append(_vi_or_en(lang, "Phối hợp: ", "Co-hosts: ") + ", ".join(event.co_hosts))
    if event.contact:
        lines.append(_vi_or_en(lang, "Liên hệ: ", "Contact: ") + event.contact)
    if event.source_url:
        lines.append(_vi_or_en(lang, "Nguồn: ", "Source: ") + event.source_url)
    return "\n".join(lines)


def _range_phrase(result: SearchResult, lang: str) -> str:
    rng = result.query.range
    return f" {rng.describe(lang)}" if rng else ""


def no_schedule_text(lang: str = "vi") -> str:
    return _vi_or_en(
        lang,
        f"Hiện mình chưa có lịch sự kiện nào được xác nhận. Để biết lịch mới nhất, bạn liên hệ "
        f"{config.OFFICE_TRADE} (hội chợ, xúc tiến thương mại, tập huấn cho doanh nghiệp) hoặc "
        f"{config.OFFICE_FOREIGN_AFFAIRS}.",
        "I have no confirmed upcoming events right now. For the latest schedule, please contact "
        "the Cà Mau Department of Industry and Trade (Sở Công Thương) or the Office of the "
        "Provincial People's Committee (foreign affairs).",
    )


def format_search_reply(
    result: SearchResult, now: dt.datetime, lang: str = "vi"
) -> tuple[str, list[dict[str, Any]]]:
    """Reply text and buttons for a search page (or for "nothing found")."""
    if not result.events:
        if result.query.offset:
            return _vi_or_en(lang, "Mình đã cho bạn xem hết các sự kiện phù hợp rồi.",
                             "That was the whole list."), []
        text = _vi_or_en(lang, f"Mình không tìm thấy sự kiện phù hợp{_range_phrase(result, lang)}.",
                         f"I found no matching events{_range_phrase(result, lang)}.")
        if result.nearest:
            lines = [text, _vi_or_en(lang, "Các sự kiện gần nhất sắp diễn ra:",
                                     "The next upcoming events:")]
            lines += [format_event_item(e, i, now, lang) for i, e in enumerate(result.nearest, 1)]
            lines.append(no_schedule_text(lang).split(". ", 1)[1])
            return "\n".join(lines), []
        return text + "\n" + no_schedule_text(lang), []

    first = result.query.offset + 1
    if result.past:
        head = _vi_or_en(lang, "Các sự kiện đã diễn ra", "Past events")
    elif result.by_name:
        head = _vi_or_en(lang, "Sự kiện mình tìm được", "Events I found")
    else:
        head = _vi_or_en(lang, "Sự kiện sắp diễn ra", "Upcoming events")
    head += _range_phrase(result, lang)
    shown = f"{first}–{first + len(result.events) - 1}/{result.total}"
    lines = [f"{head} ({shown}):"]
    lines += [format_event_item(e, first + i, now, lang) for i, e in enumerate(result.events)]
    buttons = []
    if result.has_more:
        lines.append(_vi_or_en(lang, "Gõ \"xem thêm\" để xem tiếp.", "Type \"more\" to see more."))
        buttons.append({"title": _vi_or_en(lang, "Xem thêm", "More"), "payload": "/show_more"})
    if not result.past:
        lines.append(_vi_or_en(
            lang,
            "Bạn có thể hỏi \"cái thứ hai ở đâu?\", \"đăng ký cái thứ nhất\" hoặc \"nhắc tôi\".",
            "You can ask \"where is the second one?\", \"register for the first\" or "
            "\"remind me\".",
        ))
    return "\n".join(lines), buttons


def cancellation_reply(status: str, code: str, title: str, lang: str = "vi") -> str:
    """The answer to "hủy đăng ký DK-…". ``unconfirmed`` reads the same for every code."""
    if status == "cancelled":
        return _vi_or_en(lang, f"Đã hủy đăng ký {code} cho \"{title}\". Cảm ơn bạn đã báo lại!",
                         f"Registration {code} for \"{title}\" is cancelled. Thank you!")
    if status == "already":
        return _vi_or_en(lang, f"Mã {code} đã được hủy trước đó rồi.",
                         f"Registration {code} was already cancelled.")
    if status == "missing_code":
        return _vi_or_en(
            lang,
            "Bạn gửi giúp mình mã đăng ký (dạng DK-XXXXXX, có trong tin nhắn xác nhận), ví dụ: "
            "\"hủy đăng ký DK-7K3F9Q\".",
            "Please send your registration code (DK-XXXXXX, in the confirmation message), e.g. "
            "\"cancel registration DK-7K3F9Q\".",
        )
    return _vi_or_en(
        lang,
        f"Mình chưa hủy được mã {code}: để bảo vệ đăng ký của bạn, hãy hủy từ chính cuộc trò "
        "chuyện đã đăng ký, hoặc gửi kèm số điện thoại hay email đã dùng khi đăng ký, ví dụ: "
        f"\"hủy đăng ký {code} 0912345678\". Nếu mã không đúng hoặc đã hủy, đăng ký sẽ không "
        "thay đổi.",
        f"I could not cancel {code} yet: to protect registrations, cancel from the conversation "
        "you registered in, or add the phone number or e-mail you registered with, e.g. "
        f"\"cancel registration {code} 0912345678\". A wrong or already cancelled code changes "
        "nothing.",
    )


_FIELD_PROBLEMS = {
    "name": ("Bạn cho mình xin họ và tên (ví dụ: Nguyễn Văn An) nhé.",
             "Please give the attendee's full name (e.g. Nguyen Van An)."),
    "org_too_long": ("Tên đơn vị hơi dài, bạn gõ ngắn gọn giúp mình nhé.",
                     "That organisation name is too long, please shorten it."),
    "contact": ("Số điện thoại hoặc email chưa đúng. Số di động gồm 10 số bắt đầu bằng 0 (ví dụ "
                "0912 345 678 hoặc +84 912 345 678), số cố định bắt đầu bằng 02; hoặc bạn gửi "
                "email (ví dụ ten@example.com).",
                "That phone number or e-mail does not look right. A Vietnamese mobile number has "
                "10 digits starting with 0 (e.g. 0912 345 678 or +84 912 345 678); or send an "
                "e-mail address (e.g. name@example.com)."),
    "consent": ("Bạn trả lời \"đồng ý\" hoặc \"không đồng ý\" giúp mình.",
                "Please answer \"I agree\" or \"I do not agree\"."),
}


def field_problem_reply(problem: str, lang: str = "vi") -> str:
    """Why the registration form asks a question again."""
    vi, en = _FIELD_PROBLEMS[problem]
    return _vi_or_en(lang, vi, en)


def registration_started(title: str, lang: str = "vi") -> str:
    """Said once, before the form's first question."""
    return _vi_or_en(
        lang,
        f"Mình đăng ký cho bạn tham gia \"{title}\". Mình cần họ tên, đơn vị (nếu có) và số điện "
        "thoại hoặc email. Thông tin chỉ dùng để ban tổ chức liên hệ; bạn có thể hủy hoặc yêu cầu "
        "xóa bất cứ lúc nào. Gõ \"dừng\" để thôi.",
        f"I will register you for \"{title}\". I need your name, organisation (if any) and a phone "
        "number or e-mail. They are used only by the organisers to contact you; you can cancel or "
        "ask for deletion at any time. Type \"stop\" to quit.",
    )


def registration_result(status: str, title: str, code: str | None, ics: str,
                        lang: str = "vi") -> str:
    """The answer after the form: the code on success, else why nothing was stored."""
    if status == "ok":
        return _vi_or_en(
            lang,
            f"✅ Đăng ký thành công \"{title}\". Mã xác nhận của bạn: {code}.\n"
            f"Hãy giữ mã này; muốn hủy, bạn nhắn \"hủy đăng ký {code}\".\n📅 Thêm vào lịch: {ics}",
            f"✅ You are registered for \"{title}\". Your confirmation code: {code}.\n"
            f"Keep it; to cancel, send \"cancel registration {code}\".\n📅 Add to calendar: {ics}",
        )
    vi, en = {
        "full": (f"Rất tiếc, \"{title}\" vừa đủ số lượng đăng ký nên mình chưa đăng ký được.",
                 f"Sorry, \"{title}\" has just filled up, so I could not register you."),
        "closed": (f"Rất tiếc, \"{title}\" đã hết hạn đăng ký.",
                   f"Sorry, registration for \"{title}\" has closed."),
        "unavailable": (f"\"{title}\" không còn nhận đăng ký (đã diễn ra hoặc đã hủy).",
                        f"\"{title}\" no longer takes registrations (it is over or cancelled)."),
        "not_open": (f"\"{title}\" không nhận đăng ký qua trợ lý.",
                     f"\"{title}\" does not take registrations through the assistant."),
        "no_consent": ("Vì bạn chưa đồng ý cho lưu thông tin nên mình chưa đăng ký, và không lưu "
                       "gì cả. Bạn có thể liên hệ trực tiếp ban tổ chức, hoặc nhắn \"đăng ký\" khi "
                       "đổi ý.",
                       "As you did not agree to your details being stored, I have not registered "
                       "you and stored nothing. You can contact the organisers directly, or send "
                       "\"register\" if you change your mind."),
    }.get(status, ("Mình không tìm thấy sự kiện này nữa, bạn tìm lại giúp mình nhé.",
                   "I cannot find this event any more, please look it up again."))
    return _vi_or_en(lang, vi, en)
