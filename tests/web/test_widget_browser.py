"""The chat widget in a real browser (headless Debian Chromium, Playwright).

Widget-only tests run against ``fake_rasa.py`` (Rasa's socket.io channel with a scripted brain),
so they are fast and can inject a bot answer carrying markup. ``test_widget_against_real_stack``
runs the same journey against the trained bot when the lead's ``stack`` fixture is available.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

if TYPE_CHECKING:
    from bot.run import Stack
    from tests.web.conftest import FakeRasa

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

LAUNCHER = "Hỏi trợ lý ASEAN"
INPUT_LABEL = "Nhập câu hỏi của bạn"
RECONNECTING = "Đang kết nối lại…"
GIBBERISH = "xqzt blorf vvkk"
USER_MARKUP = '<img src=x onerror="window.__xss_user=1"><script>window.__xss_user=2</script>'


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) per test; fails the test on any JS error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    # Refused connections during the reconnect test are expected errors; CSP violations are not.
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    yield page
    context.close()
    assert errors == [], f"JavaScript errors or dialogs on the page: {errors}"


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.click()
    expect(page.locator("#acw-panel")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")


def bot_entries(page: Page) -> Locator:
    return page.locator(".acw-log .acw-msg--bot:not(.acw-welcome)")


def ask(page: Page, text: str) -> None:
    page.get_by_label(INPUT_LABEL).fill(text)
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator(".acw-msg--user").last).to_contain_text(text)


def ask_and_wait(page: Page, text: str, timeout: float = 60_000) -> Locator:
    """Ask, wait for at least one new bot entry, return the first new one."""
    before = bot_entries(page).count()
    ask(page, text)
    expect(bot_entries(page)).not_to_have_count(before, timeout=timeout)
    page.wait_for_timeout(800)  # Rasa sends a turn as several messages; let them all land
    return bot_entries(page).nth(before)


SESSION_ID = re.compile(r"[0-9a-f]{32}-[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def record_user_uttered(page: Page) -> list[dict]:
    """Every ``user_uttered`` payload the page sends over socket.io long-polling."""
    sent: list[dict] = []

    def on_request(request) -> None:  # noqa: ANN001 - playwright's Request
        body = request.post_data if request.method == "POST" else None
        if not body or "/socket.io/" not in request.url:
            return
        for packet in body.split("\x1e"):  # engine.io v4 joins packets with a record separator
            if packet.startswith('42["user_uttered"'):
                sent.append(json.loads(packet[2:])[1])

    page.on("request", on_request)
    return sent


def transcript_texts(page: Page) -> list[str]:
    return page.locator(".acw-log .acw-msg:not(.acw-welcome) .acw-bubble").all_text_contents()


def assert_no_markup_executed(page: Page) -> None:
    page.wait_for_timeout(300)  # an <img onerror> would fire within this time
    executed = page.evaluate("[window.__xss_user, window.__xss_bot]")
    assert executed == [None, None]
    log = page.locator(".acw-log")
    for selector in ("img", "script", "b", "a[href^='javascript']"):
        assert log.locator(selector).count() == 0, f"{selector} element created from message text"


# ---------------------------------------------------------------- widget-only (fake Rasa)


def test_conversation_renders_answers_and_survives_reload(
    page: Page, widget_site: str, artifacts_dir: Path
) -> None:
    sent = record_user_uttered(page)
    open_widget(page, widget_site)
    expect(page.get_by_label(INPUT_LABEL)).to_be_focused()

    # Knowledge question: paragraphs, a "- " list, the source line, 👍/👎.
    ask(page, "ASEAN là gì?")
    expect(page.locator(".acw-typing")).to_be_visible()
    expect(
        page.locator(".acw-msg--bot", has_text="Hiệp hội các quốc gia Đông Nam Á")
    ).to_be_visible()
    answer = page.locator(".acw-msg--bot", has=page.locator(".acw-list"))
    expect(answer.locator("li")).to_have_text(
        ["Chính trị – An ninh", "Kinh tế", "Văn hóa – Xã hội"]
    )
    source = answer.locator(".acw-source")
    expect(source).to_have_text("Nguồn: ASEAN, https://asean.org · Cập nhật: 01/11/2026")
    link = source.locator("a")
    expect(link).to_have_attribute("href", "https://asean.org/")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(answer.locator(".acw-feedback-button")).to_have_count(2)
    expect(answer.get_by_role("button", name="Câu trả lời hữu ích")).to_be_visible()
    expect(page.locator(".acw-typing")).to_be_hidden()

    # Event question: line breaks, a link, a quick reply.
    event = ask_and_wait(page, "Tuần sau có hội thảo nào không?")
    expect(event).to_contain_text("Hội thảo quy tắc xuất xứ hàng hóa")
    assert event.locator(".acw-bubble br").count() == 2
    expect(event.locator("a")).to_have_attribute("href", "https://example.org/calendar/1.ics")

    # Quick reply: the title is shown as the user's message, the payload goes to the bot.
    page.get_by_role("button", name="Xem thêm").click()
    last_user = page.locator(".acw-msg--user").last
    expect(last_user).to_contain_text("Xem thêm")
    expect(last_user).not_to_contain_text("/show_more")
    expect(bot_entries(page).last).to_contain_text("Tập huấn thương mại điện tử")
    expect(page.get_by_role("button", name="Xem thêm")).to_have_count(0)

    # Gibberish gets the fallback.
    fallback = ask_and_wait(page, GIBBERISH)
    expect(fallback).to_contain_text("chưa hiểu ý bạn")

    # Feedback goes back to the bot and the buttons settle.
    answer.get_by_role("button", name="Câu trả lời hữu ích").click()
    expect(answer.locator(".acw-feedback-thanks")).to_be_visible()
    expect(bot_entries(page).last).to_contain_text("Cảm ơn bạn đã góp ý!")
    expect(answer.get_by_role("button", name="Câu trả lời hữu ích")).to_have_attribute(
        "aria-pressed", "true"
    )

    # Reload: same session, same transcript, still open, and the bot still answers us.
    before = transcript_texts(page)
    session_id = page.evaluate("localStorage.getItem('acw:session')")
    assert session_id and len(before) >= 8
    page.reload()
    expect(page.locator("#acw-panel")).to_be_visible()
    expect(page.locator(".acw-source")).to_have_count(1)
    assert transcript_texts(page) == before
    assert page.evaluate("localStorage.getItem('acw:session')") == session_id
    again = ask_and_wait(page, "Có sự kiện nào cho doanh nghiệp không?")
    expect(again).to_contain_text("Hội thảo quy tắc xuất xứ hàng hóa")
    assert page.evaluate("localStorage.getItem('acw:session')") == session_id

    # Every message carried the server-issued session and its own uuid message_id.
    issued = json.loads(session_id)
    assert SESSION_ID.fullmatch(issued)
    assert len(sent) >= 5 and {payload["session_id"] for payload in sent} == {issued}
    ids = [payload["metadata"]["message_id"] for payload in sent]
    assert all(UUID.fullmatch(message_id) for message_id in ids) and len(set(ids)) == len(ids)

    page.screenshot(path=str(artifacts_dir / "widget-desktop.png"))


def test_a_session_id_the_server_did_not_issue_is_replaced(page: Page, widget_site: str) -> None:
    open_widget(page, widget_site)
    ask_and_wait(page, "ASEAN là gì?")
    issued = json.loads(page.evaluate("localStorage.getItem('acw:session')"))
    # Somebody edits localStorage to another conversation's id (unsigned, or a forged signature).
    for planted in ("4321098765432109876", issued[:33] + ("0" if issued[33] != "0" else "1")
                    + issued[34:]):
        page.evaluate("id => localStorage.setItem('acw:session', JSON.stringify(id))", planted)
        page.reload()
        expect(page.locator("#acw-panel")).to_be_visible()
        page.wait_for_function(
            "planted => JSON.parse(localStorage.getItem('acw:session')) !== planted", arg=planted
        )
        fresh = json.loads(page.evaluate("localStorage.getItem('acw:session')"))
        assert SESSION_ID.fullmatch(fresh) and fresh not in (planted, issued)
        expect(ask_and_wait(page, "Tuần sau có hội thảo nào không?")).to_contain_text("Hội thảo")


def test_markup_in_messages_is_shown_as_text_never_run(chromium: Browser, widget_site: str) -> None:
    # The page's CSP would block inline handlers anyway; bypass it so that this test proves the
    # widget itself never turns message text into markup.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
    try:
        open_widget(page, widget_site)
        ask_and_wait(page, USER_MARKUP)
        expect(page.locator(".acw-msg--user").last).to_contain_text('<img src=x onerror="')

        from_bot = ask_and_wait(page, "gửi markup")
        expect(from_bot).to_contain_text("<script>window.__xss_bot=2</script>")
        expect(from_bot).to_contain_text("<b>in đậm</b>")
        assert_no_markup_executed(page)

        page.reload()  # the transcript is re-rendered from localStorage: still text only
        expect(page.locator(".acw-msg--bot", has_text="<b>in đậm</b>")).to_be_visible()
        assert_no_markup_executed(page)
        assert errors == []
    finally:
        context.close()


def test_reconnects_after_the_server_drops(
    page: Page, widget_site: str, fake_rasa: FakeRasa
) -> None:
    open_widget(page, widget_site)
    ask_and_wait(page, "ASEAN là gì?")
    session_id = page.evaluate("localStorage.getItem('acw:session')")

    fake_rasa.stop()
    try:
        status = page.locator(".acw-status")
        expect(status).to_have_text(RECONNECTING, timeout=15_000)
        ask(page, "Tuần sau có hội thảo nào không?")  # typed while offline: held, then sent
    finally:
        fake_rasa.start()
    expect(page.locator(".acw-status")).to_be_hidden(timeout=30_000)
    expect(bot_entries(page).last).to_contain_text("Hội thảo quy tắc xuất xứ", timeout=15_000)
    assert page.evaluate("localStorage.getItem('acw:session')") == session_id


def test_keyboard_screen_reader_and_phone_layout(
    chromium: Browser, widget_site: str, artifacts_dir: Path
) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(widget_site)
        launcher = page.get_by_role("button", name=LAUNCHER)
        expect(launcher).to_have_attribute("aria-expanded", "false")
        launcher.focus()
        page.keyboard.press("Enter")
        panel = page.locator("#acw-panel")
        expect(panel).to_be_visible()
        expect(page.get_by_label(INPUT_LABEL)).to_be_focused()
        box = panel.bounding_box()
        assert box == {"x": 0, "y": 0, "width": 390, "height": 844}

        log = page.get_by_role("log")
        expect(log).to_have_attribute("aria-live", "polite")
        ask_and_wait(page, "ASEAN là gì?")
        page.screenshot(path=str(artifacts_dir / "widget-mobile.png"))

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", "focused launcher shows no focus outline"

        launcher.focus()
        page.keyboard.press("Enter")
        ratios = page.evaluate(CONTRAST_SCRIPT)
        too_low = {name: ratio for name, ratio in ratios.items() if ratio < 4.5}
        assert len(ratios) == 9 and too_low == {}, ratios
    finally:
        context.close()


# WCAG contrast of text against the first opaque background behind it.
CONTRAST_SCRIPT = """() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const selectors = ['.acw-launcher', '.acw-title', '.acw-send', '.acw-input',
    '.acw-msg--bot:not(.acw-welcome) .acw-bubble', '.acw-msg--user .acw-bubble', '.acw-source',
    '.acw-disclaimer', '.acw-link'];
  const out = {};
  for (const s of selectors) {
    const el = document.querySelector(s);
    if (!el) continue;
    const a = lum(parse(getComputedStyle(el).color)), b = lum(background(el));
    out[s] = Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 100) / 100;
  }
  return out;
}"""


# ---------------------------------------------------------------- the real bot (lead's stack)


@pytest.mark.stack
def test_widget_against_real_stack(stack: Stack, page: Page, artifacts_dir: Path) -> None:
    """The journey against the trained bot: ``stack`` (tests/conftest.py) runs `make run`'s
    services; the page is opened on 127.0.0.1, one of the CORS origins the fixture sets."""
    open_widget(page, f"http://127.0.0.1:{stack.web_port}/")

    knowledge = ask_and_wait(page, "ASEAN có bao nhiêu nước thành viên?")
    answers = bot_entries(page)
    expect(answers.locator(".acw-source").first).to_contain_text("Nguồn:")
    expect(answers.get_by_role("button", name="Câu trả lời hữu ích").first).to_be_visible()
    assert knowledge.inner_text().strip()

    before_events = bot_entries(page).count()
    ask_and_wait(page, "Tháng 12 có hội thảo nào về ASEAN không?")
    assert bot_entries(page).count() > before_events
    assert bot_entries(page).last.inner_text().strip()

    before_gibberish = bot_entries(page).count()
    ask_and_wait(page, GIBBERISH)
    new = bot_entries(page)
    assert new.count() > before_gibberish
    assert new.nth(before_gibberish).locator(".acw-source").count() == 0

    # A quick reply offered by the bot if any, else the 👍 under the knowledge answer.
    replies = page.locator(".acw-reply")
    button = (
        replies.first
        if replies.count()
        else answers.get_by_role("button", name="Câu trả lời hữu ích").first
    )
    before_press = bot_entries(page).count()
    button.click()
    expect(bot_entries(page)).not_to_have_count(before_press, timeout=60_000)

    ask_and_wait(page, USER_MARKUP)
    assert_no_markup_executed(page)

    before = transcript_texts(page)
    session_id = page.evaluate("localStorage.getItem('acw:session')")
    page.reload()
    expect(page.locator("#acw-panel")).to_be_visible()
    assert transcript_texts(page) == before
    assert page.evaluate("localStorage.getItem('acw:session')") == session_id
    page.screenshot(path=str(artifacts_dir / "widget-real-stack.png"))
