"""Start the action server: ``python -m bot.rasa.action_server --port 5055``.

Rasa SDK's server has no authentication, and a direct ``POST /webhook`` naming
``action_submit_registration`` with made-up slots would store a registration that skipped every
check of the form. Here ``/webhook`` and ``/actions`` need the shared secret that the Rasa server
sends (``ACTION_SERVER_SECRET``, the ``headers`` of ``action_endpoint`` in endpoints.yml), compared
in constant time. ``/health`` stays open for health checks. The server binds to loopback unless
``ACTION_SERVER_HOST`` says otherwise.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import logging.config
from typing import Any

from bot import config

SECRET_HEADER = "X-Action-Secret"
PROTECTED_PREFIXES = ("/webhook", "/actions")
logger = logging.getLogger(__name__)


def secret_matches(given: str | None, expected: str | None) -> bool:
    """True when ``given`` is the configured secret; False when none is configured."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def create_action_app(actions_package: str = "actions", secret: str | None = None) -> Any:  # noqa: ANN401
    """Rasa SDK's Sanic app for ``actions_package``, with the secret checked on every call."""
    from rasa_sdk.endpoint import create_app
    from sanic import response

    app = create_app(actions_package, cors_origins=None)
    expected = secret if secret is not None else config.action_server_secret()

    @app.middleware("request")
    async def require_secret(request: Any) -> Any:  # noqa: ANN401
        if not request.path.startswith(PROTECTED_PREFIXES):
            return None
        if not secret_matches(request.headers.get(SECRET_HEADER), expected):
            return response.json({"error": "unauthorised"}, status=401)
        return None

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The ASEAN assistant's action server.")
    parser.add_argument("--port", type=int, default=config.ACTION_PORT)
    parser.add_argument("--host", default=None, help="default: ACTION_SERVER_HOST or 127.0.0.1")
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--logging-config-file", default=None,
                        help="a logging dictConfig in YAML (deploy/logging.json.yml)")
    args = parser.parse_args(argv)
    if args.logging_config_file:
        import yaml

        with open(args.logging_config_file, encoding="utf-8") as handle:
            logging.config.dictConfig(yaml.safe_load(handle))
    else:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from bot.privacy.scrub import install_log_redaction

    install_log_redaction()
    if not config.action_server_secret():
        raise SystemExit("ACTION_SERVER_SECRET is not set: the action server refuses to start.")
    app = create_action_app(args.actions)
    host = args.host or config.action_server_host()
    logger.info("Action server on %s:%d", host, args.port)
    app.run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
