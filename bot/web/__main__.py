"""`python -m bot.web [--host H] [--port P]`: serve the portal page, widget and staff app."""

from __future__ import annotations

import argparse

import uvicorn

from bot import config


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=config.WEB_PORT, help="port (WEB_PORT)")
    args = parser.parse_args()
    uvicorn.run(
        "bot.web.app:create_web_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        # The page needs no WebSocket (the widget's goes to Rasa), and uvicorn's WebSocket
        # support does not import with the websockets 10.x that Rasa 3.6 pins.
        ws="none",
    )


if __name__ == "__main__":
    main()
