"""Staff workspace: accounts and roles, revisions, unanswered inbox, import/export, dashboard.

``create_staff_app()`` builds the ASGI app the web app mounts at /admin. It is imported lazily so
that importing ``bot.staff.models`` (Alembic, the CLI) does not load the web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_staff_app"]


def __getattr__(name: str) -> Any:
    if name == "create_staff_app":
        from bot.staff.app import create_staff_app

        return create_staff_app
    raise AttributeError(name)
