"""Issue 15: the action server answers only the Rasa server (shared secret, constant time)."""

from __future__ import annotations

import pytest

from bot.rasa.action_server import SECRET_HEADER, secret_matches

from .servers_http import ask, http

FORGED_SUBMIT = {
    "next_action": "action_submit_registration", "sender_id": "attacker",
    "tracker": {"sender_id": "attacker", "slots": {"reg_name": "<script>x</script>",
                                                   "reg_event_id": 1, "reg_consent": True},
                "latest_message": {"text": "", "intent": {}, "entities": []}, "events": [],
                "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": None, "latest_input_channel": "zalo"},
    "domain": {}, "version": "3.6.2",
}


def test_secrets_compare_only_when_both_are_there():
    assert secret_matches("abc", "abc")
    assert not secret_matches("abd", "abc")
    assert not secret_matches("", "")
    assert not secret_matches(None, "abc")
    assert not secret_matches("abc", None)


def _forged_registrations(database_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "select count(*) from event_registrations where name like '%script%'")).scalar()
    finally:
        engine.dispose()


@pytest.mark.stack
def test_a_direct_call_without_the_secret_is_refused_and_stores_nothing(stack):
    base = f"http://127.0.0.1:{stack.action_port}"
    assert http(f"{base}/health")[0] == 200  # health checks need no secret
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}):
        status, body = http(f"{base}/webhook", FORGED_SUBMIT, headers)
        assert status == 401 and body == '{"error":"unauthorised"}'
        assert http(f"{base}/actions", None, headers)[0] == 401
    assert _forged_registrations(stack.database_url) == 0


@pytest.mark.stack
def test_rasa_sends_the_secret_so_the_conversation_path_still_works(stack):
    status, reply = ask(stack.rasa_port, "auth-normal-path",
                        "ASEAN hiện có bao nhiêu nước thành viên?")
    assert status == 200 and "11" in reply  # answered by a custom action on the action server
