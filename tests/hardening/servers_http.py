"""Small HTTP helper shared by the issue-15 server tests (loopback only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def http(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def ask(rasa_port: int, sender: str, text: str) -> tuple[int, str]:
    """One message through Rasa's REST channel."""
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    return http(url, {"sender": sender, "message": text})
