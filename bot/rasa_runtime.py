"""Hardening of the Rasa server process: an action server that is down or stuck, and speed.

- Stock Rasa waits up to 5 minutes for a custom action and, when the action server is unreachable,
  logs the error and sends the user nothing. Here a custom action that fails for those reasons
  answers with the domain's ``utter_busy`` response instead, after at most
  ``ACTION_TIMEOUT_SECONDS``. Rejections (a form's validation) keep Rasa's own behaviour.
- Rasa checks every action-server reply with ``jsonschema.validate``, which rebuilds the validator
  each time: 45% of a turn in our profile (bot.bench profile). The same check with a validator
  built once took the median turn from 185 to 140 ms.

Installed from bot.nlp.rasa_components, which every Rasa process that loads our model imports.
"""

from __future__ import annotations

import asyncio
import logging
import os
from functools import lru_cache
from typing import Any

import jsonschema
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)
ACTION_TIMEOUT_SECONDS = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "20"))
BUSY_RESPONSE = "utter_busy"
_original_run = RemoteAction.run


async def _run_or_apologise(
    self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    try:
        return await asyncio.wait_for(
            _original_run(self, output_channel, nlg, tracker, domain), ACTION_TIMEOUT_SECONDS
        )
    except ActionExecutionRejection:
        raise
    except (TimeoutError, RasaException) as error:
        # Rasa's message names the action and the endpoint, never the user's text.
        logger.error("Custom action %s failed (%s: %s); answering utter_busy.", self.name(),
                     error.__class__.__name__, error)
        message = await nlg.generate(BUSY_RESPONSE, tracker, output_channel.name())
        if not message:
            return []
        return [BotUttered(message.get("text"), data={k: v for k, v in message.items()
                                                       if k != "text"},
                           metadata={"utter_action": BUSY_RESPONSE})]


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(spec)(spec)  # the draft validate() would pick


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _response_validator().validate(result)
    except jsonschema.ValidationError as error:
        error.message += ". Failed to validate Action server response from API."
        raise
    return True


def install() -> None:
    """Idempotent: patch RemoteAction once per process."""
    if RemoteAction.run is not _run_or_apologise:
        RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
