"""Hardening of the Rasa server process for citizens: an action server that is down or stuck.

Stock Rasa waits up to 5 minutes for a custom action and, when the action server is unreachable,
logs the error and sends the user nothing. Here a custom action that fails for those reasons
answers with the domain's ``utter_busy`` response instead, after at most ``ACTION_TIMEOUT_SECONDS``.
Rejections (a form's validation) and everything else keep Rasa's own behaviour.

Installed from bot.nlp.rasa_components, which every Rasa process that loads our model imports.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

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


def install() -> None:
    """Idempotent: wrap RemoteAction.run once per process."""
    if RemoteAction.run is not _run_or_apologise:
        RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]
