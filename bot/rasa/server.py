"""Start the Rasa server: ``python -m bot.rasa.server run --model … --credentials …``.

The arguments are Rasa's own (``rasa run --help``). Before handing over to Rasa's command line
this installs the project's changes to the server process:

* ``bot.rasa_runtime.install()``: a stuck or absent action server answers "busy" in bounded time;
* the root route answers a neutral "ok" instead of announcing Rasa's version to anyone who asks;
* every log record is scrubbed of phone numbers, e-mail addresses and links
  (``bot.privacy.scrub.install_log_redaction``): Rasa's own warnings quote message texts.
"""

from __future__ import annotations

import sys
from typing import Any

ROOT_REPLY = "ok"


def _neutral_root_route(app: Any) -> None:  # noqa: ANN401 - a Sanic app
    from sanic import response

    @app.get("/")
    async def hello(_: Any) -> Any:  # noqa: ANN401
        return response.text(ROOT_REPLY)


def install() -> None:
    """Everything the project changes in the Rasa server process; idempotent."""
    import rasa.server

    from bot import rasa_runtime
    from bot.privacy.scrub import install_log_redaction

    install_log_redaction()
    rasa_runtime.install()
    rasa.server.add_root_route = _neutral_root_route


def main(argv: list[str] | None = None) -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
