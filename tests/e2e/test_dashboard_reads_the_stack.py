"""Issue 10: the staff dashboard of `make run` reads the conversations the Rasa server stores.

Before, the web app looked for the tracker store by a rule of its own and, under `make run`,
showed "Chưa đọc được nhật ký hội thoại của bot" and 0 conversations.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.stack


def test_a_chat_is_counted_on_the_dashboard(stack):
    from bot.db import session_scope
    from bot.staff.accounts import create_user

    with session_scope(stack.database_url) as session:
        create_user(session, "dash-admin", "mat-khau-du-dai-123", "admin")
    rasa = f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook"
    body = json.dumps({"sender": f"dash-{uuid.uuid4().hex}", "message": "xin chào"}).encode()
    urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
        rasa, data=body, headers={"Content-Type": "application/json"}), timeout=60).read()

    web = f"http://127.0.0.1:{stack.web_port}"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_page = opener.open(f"{web}/admin/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page) or re.search(
        r'name="csrf-token" content="([^"]+)"', login_page)
    assert token
    form = urllib.parse.urlencode({"username": "dash-admin", "password": "mat-khau-du-dai-123",
                                   "csrf_token": token.group(1)}).encode()
    opener.open(f"{web}/admin/login", data=form, timeout=30).read()
    page = opener.open(f"{web}/admin/dashboard", timeout=60).read().decode()
    assert "Chưa đọc được nhật ký" not in page
    conversations = re.search(r'id="stat-conversations">(\d+)<', page)
    assert conversations and int(conversations.group(1)) >= 1
