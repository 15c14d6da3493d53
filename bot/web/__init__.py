"""The port-8000 web app: portal mock page with the chat widget; mounts the staff app."""

from bot.web.app import create_web_app

__all__ = ["create_web_app"]
