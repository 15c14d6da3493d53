"""A stand-in for `rasa run` with a scripted brain, for the widget-only browser tests.

Everything between the browser and the dialogue engine is the production code: a Sanic app with
the CORS set-up of ``rasa.server.configure_cors``, and our ``PortalSocketIOInput`` (Rasa 3.6's
``SocketIOInput`` plus the Origin check; python-socketio, ``session_persistence: true``)
registered the way ``rasa run`` registers channels from credentials.yml.
Only the agent is fake: it answers a few fixed phrasings through Rasa's ``SocketIOOutput``, so the
messages have exactly the shape Rasa gives them (paragraphs split on blank lines, buttons as
``quick_replies`` on the last part).

Run (from the repository root): ``PYTHONPATH=. python tests/web/fake_rasa.py --port 5999 --cors
http://127.0.0.1:8000``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import unicodedata

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from rasa.core.channels.channel import UserMessage, register  # noqa: E402
from sanic import Sanic, response  # noqa: E402
from sanic.request import Request  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402
from sanic_cors import CORS  # noqa: E402

from bot.web.socketio_channel import PortalSocketIOInput  # noqa: E402

FEEDBACK_BUTTONS = [
    {"title": "👍", "payload": '/feedback{"feedback_value":"up","entry_id":"asean_members"}'},
    {"title": "👎", "payload": '/feedback{"feedback_value":"down","entry_id":"asean_members"}'},
]
KNOWLEDGE_ANSWER = (
    "ASEAN là Hiệp hội các quốc gia Đông Nam Á.\n\n"
    "Ba trụ cột của Cộng đồng ASEAN:\n- Chính trị – An ninh\n- Kinh tế\n- Văn hóa – Xã hội\n\n"
    "Nguồn: ASEAN, https://asean.org · Cập nhật: 01/11/2026"
)
EVENT_ANSWER = (
    "Có 2 sự kiện sắp tới:\n"
    "1. Hội thảo quy tắc xuất xứ hàng hóa – 03/12/2026, Sở Công Thương\n"
    "Thêm vào lịch: https://example.org/calendar/1.ics"
)
MORE_EVENTS_ANSWER = "2. Tập huấn thương mại điện tử – 10/12/2026, trực tuyến"
FALLBACK_ANSWER = "Xin lỗi, tôi chưa hiểu ý bạn. Bạn có thể hỏi về ASEAN hoặc các sự kiện sắp tới."
# A bot answer carrying markup, as if an FAQ entry had been written with HTML in it.
MARKUP_ANSWER = (
    'Thử <img src=x onerror="window.__xss_bot=1"> và <script>window.__xss_bot=2</script> '
    "cùng liên kết javascript:window.__xss_bot=3 và <b>in đậm</b>."
)


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")


def scripted_reply(text: str) -> dict:
    """The bot message (Rasa's response dict) for one user message."""
    key = _key(text)
    if key.startswith("/feedback"):
        return {"text": "Cảm ơn bạn đã góp ý!"}
    if key == "/show_more":
        return {"text": MORE_EVENTS_ANSWER}
    if "markup" in key:
        return {"text": MARKUP_ANSWER}
    if "asean" in key:
        return {"text": KNOWLEDGE_ANSWER, "buttons": FEEDBACK_BUTTONS}
    if "hoi thao" in key or "su kien" in key:
        return {
            "text": EVENT_ANSWER,
            "buttons": [{"title": "Xem thêm", "payload": "/show_more"}],
        }
    return {"text": FALLBACK_ANSWER}


class ScriptedAgent:
    """Answers like Rasa's agent would, after a short 'thinking' pause."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def handle_message(self, message: UserMessage) -> None:
        await asyncio.sleep(self.delay)
        await message.output_channel.send_response(
            message.sender_id, scripted_reply(message.text or "")
        )


def create_app(cors_origins: list[str], delay: float) -> Sanic:
    app = Sanic("fake_rasa", configure_logging=False)
    # As rasa.server.configure_cors does for `rasa run --cors ...`.
    app.config.CORS_AUTOMATIC_OPTIONS = True
    app.config.CORS_SUPPORTS_CREDENTIALS = True
    app.config.CORS_EXPOSE_HEADERS = "filename"
    CORS(app, resources={r"/*": {"origins": cors_origins or ""}}, automatic_options=True)

    @app.get("/")
    async def hello(_request: Request) -> HTTPResponse:
        return response.text("Hello from fake Rasa")

    app.ctx.agent = ScriptedAgent(delay)
    channel = PortalSocketIOInput.from_credentials(
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
            "allowed_origins": cors_origins,
        }
    )
    register([channel], app, route="/webhooks/")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cors", default="", help="comma-separated allowed origins")
    parser.add_argument("--delay", type=float, default=0.6, help="seconds before answering")
    args = parser.parse_args()
    origins = [origin for origin in args.cors.split(",") if origin]
    app = create_app(origins, args.delay)
    app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False, workers=1)


if __name__ == "__main__":
    main()
