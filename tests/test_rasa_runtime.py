"""The Rasa server patches: action replies still validated, only faster."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_runtime


def test_action_replies_are_still_validated() -> None:
    rasa_runtime.install()
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "chào"}]})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": "not a list"})


def test_install_is_idempotent() -> None:
    rasa_runtime.install()
    run = RemoteAction.run
    rasa_runtime.install()
    assert RemoteAction.run is run
