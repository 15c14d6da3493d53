"""Imports every model module so that ``Base.metadata`` (and Alembic) sees all tables."""

from bot.db.base import Base

# Each capability keeps its models beside its code; list them here once.
MODEL_MODULES = (
    "bot.knowledge.models",
    "bot.events.models",
    "bot.staff.models",
    "bot.channels.models",
)


def load_all_models() -> type[Base]:
    import importlib

    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a capability not built yet
            if exc.name != name:
                raise
    return Base
