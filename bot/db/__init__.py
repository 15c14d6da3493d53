"""The bot's own database: one SQLAlchemy metadata for FAQ, events, registrations, staff and channels."""

from bot.db.base import Base, get_engine, get_sessionmaker, session_scope, utcnow

__all__ = ["Base", "get_engine", "get_sessionmaker", "session_scope", "utcnow"]
