"""Redaction rules on serialised Rasa events (as stored in the tracker store's ``data`` column)."""

from __future__ import annotations

import copy

from bot.privacy.redaction import (
    FORM_ANSWER_PLACEHOLDER,
    form_context,
    is_raw_personal_slot,
    redact_conversation,
    view_of,
)

FORM = "event_registration_form"


def user(text, intent="inform", entities=()):
    return {"event": "user", "text": text, "parse_data": {
        "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities), "text": text,
        "text_original": text}, "input_channel": "socketio", "metadata": {}}


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


def loop(name):
    return {"event": "active_loop", "name": name}


def form_events():
    return [
        user("đăng ký cái đó", "register_event"), loop(FORM), slot("requested_slot", "reg_name"),
        user("Lê Thị Hoa"), slot("reg_name", "Lê Thị Hoa"), slot("requested_slot", "reg_org"),
        user("không"), slot("reg_org", "-"), slot("requested_slot", "reg_contact"),
        user("hoa@example.com"), slot("reg_contact", "hoa@example.com"),
        slot("requested_slot", "reg_consent"), user("đồng ý", "affirm"),
        slot("reg_consent", "yes"),
    ]


def test_form_answers_are_found_from_requested_slot_and_active_loop():
    events = form_events()
    context = form_context(view_of(e) for e in events)
    assert context.form_answers == {3, 6, 9}  # not the request, not the consent
    assert context.form_is_open and context.open_form_start == 1


def test_open_form_keeps_its_slot_values_but_never_the_messages():
    events = form_events()
    original = copy.deepcopy(events)
    stored = redact_conversation(events, keep_open_form=True)

    assert events == original  # nothing mutated
    assert stored[4]["value"] == "Lê Thị Hoa" and stored[10]["value"] == "hoa@example.com"
    assert stored[3]["text"] == stored[3]["parse_data"]["text"] == FORM_ANSWER_PLACEHOLDER
    assert stored[3]["parse_data"]["text_original"] == FORM_ANSWER_PLACEHOLDER
    assert stored[3]["parse_data"]["intent"]["name"] == "inform"
    assert stored[0] == events[0] and stored[12] == events[12]  # not personal


def test_closed_form_loses_its_slot_values():
    events = [*form_events(), slot("requested_slot", None), loop(None),
              slot("reg_name", None)]
    stored = redact_conversation(events, keep_open_form=True)
    assert [e["value"] for e in stored if e["event"] == "slot" and e["name"] in
            ("reg_name", "reg_org", "reg_contact")] == [FORM_ANSWER_PLACEHOLDER] * 3 + [None]
    assert stored[13]["value"] == "yes"


def test_new_session_closes_the_form_and_answers_after_it_are_ordinary_messages():
    events = [*form_events()[:5], {"event": "session_started"}, user("0912345678"),
              slot("reg_name", "carried over")]
    context = form_context(view_of(e) for e in events)
    assert not context.form_is_open and context.form_answers == {3}
    stored = redact_conversation(events, keep_open_form=True)
    assert stored[6]["text"] == "[số điện thoại]"
    assert stored[7]["value"] == FORM_ANSWER_PLACEHOLDER


def test_entity_values_are_scrubbed_or_hidden():
    entity = {"entity": "topic", "value": "0912345678", "start": 0, "end": 10}
    outside = redact_conversation([user("0912345678", "ask_knowledge", [entity])],
                                  keep_open_form=True)[0]
    assert outside["parse_data"]["entities"] == [{**entity, "value": "[số điện thoại]"}]
    answer = redact_conversation(
        [loop(FORM), slot("requested_slot", "reg_org"),
         user("Sở Công Thương Cà Mau", entities=[{"entity": "place", "value": "Cà Mau"}])],
        keep_open_form=True)[2]
    assert answer["parse_data"]["entities"] == [{"entity": "place",
                                                 "value": FORM_ANSWER_PLACEHOLDER}]
    assert entity["value"] == "0912345678"


def test_a_form_asking_a_non_personal_slot_does_not_hide_answers():
    events = [loop(FORM), slot("requested_slot", "reg_consent"), user("đồng ý", "affirm")]
    assert redact_conversation(events, keep_open_form=True)[2] == events[2]


def test_raw_personal_slot_detection():
    assert is_raw_personal_slot(slot("reg_contact", "0912345678"))
    assert not is_raw_personal_slot(slot("reg_contact", None))
    assert not is_raw_personal_slot(slot("reg_contact", FORM_ANSWER_PLACEHOLDER))
    assert not is_raw_personal_slot(slot("reg_consent", "yes"))
    assert not is_raw_personal_slot(user("reg_name"))
