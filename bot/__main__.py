"""``python -m bot ...``: the operator CLI (see bot/cli.py)."""

from bot.cli import main

raise SystemExit(main())
