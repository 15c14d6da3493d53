"""Operator commands: ``python -m bot <command>`` (or the ``bot`` entry point).

    create-user NAME --role admin|editor|viewer   add a staff account (password asked twice)
    reset-password NAME                           set a new password, ending open sessions
    db-upgrade                                    migrate DATABASE_URL to the newest schema
    seed                                          load data/knowledge and data/events/real.yml
    import faq|events FILE                        import .xlsx/.csv/.yaml (row errors listed)
    export faq|events xlsx|csv|yaml [-o FILE]     export for editing in Excel
    retrain                                       train the Rasa model with config.yml
    send-reminders                                push due event reminders through Zalo

Passwords are never taken as arguments (they would stay in the shell history and process list):
they are typed at a hidden prompt, or piped with ``--password-stdin``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


class CommandError(Exception):
    """A command that cannot be carried out; the message is printed as is (no traceback)."""


def _database(args: argparse.Namespace) -> str | None:
    return args.database_url or None


def _read_password(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.password_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu mới: ")
    second = getpass.getpass("Nhập lại mật khẩu: ")
    if first != second:
        raise CommandError("Hai lần nhập mật khẩu không khớp.")
    return first


def cmd_create_user(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot.db import session_scope
    from bot.staff.accounts import AccountError, create_user

    password = _read_password(args, stdin)
    try:
        with session_scope(_database(args)) as session:
            user = create_user(session, args.username, password, args.role)
            name, role = user.username, user.role
    except AccountError as exc:
        raise CommandError(str(exc)) from exc
    out.write(f"Đã tạo tài khoản {name} (vai trò {role}).\n")
    return 0


def cmd_reset_password(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot.db import session_scope
    from bot.staff.accounts import AccountError, reset_password

    password = _read_password(args, stdin)
    try:
        with session_scope(_database(args)) as session:
            user = reset_password(session, args.username, password)
            name = user.username
    except AccountError as exc:
        raise CommandError(str(exc)) from exc
    out.write(f"Đã đặt mật khẩu mới cho {name}; các phiên đăng nhập cũ đã kết thúc.\n")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot.db.migrate import upgrade

    upgrade(_database(args), args.revision)
    out.write(f"Cơ sở dữ liệu đã ở phiên bản {args.revision}.\n")
    return 0


def _lazy(module: str, name: str, what: str) -> Callable[..., Any]:
    """A function from a capability that may not be installed, with a clear error if absent."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise CommandError(f"Chưa có {what} ({module}.{name}).") from exc


def cmd_seed(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot import config
    from bot.db import session_scope
    from bot.db.migrate import upgrade

    load_knowledge = _lazy("bot.knowledge.loader", "load_knowledge", "bộ nạp dữ liệu FAQ")
    load_events = _lazy("bot.events.loader", "load_events", "bộ nạp dữ liệu sự kiện")
    upgrade(_database(args))
    knowledge_dir = Path(args.knowledge_dir or config.PROJECT_ROOT / "data" / "knowledge")
    events_file = Path(args.events_file or config.PROJECT_ROOT / "data" / "events" / "real.yml")
    try:
        with session_scope(_database(args)) as session:
            report = load_knowledge(session, knowledge_dir)
    except ValueError as exc:  # the loader's validation error lists every problem
        raise CommandError(f"Dữ liệu FAQ có lỗi, chưa nạp gì:\n{exc}") from exc
    out.write(f"FAQ: {_describe(report)}\n")
    if events_file.exists():
        with session_scope(_database(args)) as session:
            events = load_events(session, events_file)
        out.write(f"Sự kiện: {events}\n")
    else:
        out.write(f"Sự kiện: không có tệp {events_file}.\n")
    return 0


def _describe(report: Any) -> str:
    parts = []
    for name, label in (("created", "mới"), ("updated", "cập nhật"), ("unchanged", "không đổi"),
                        ("kept_staff_edits", "giữ bản sửa của cán bộ")):
        value = getattr(report, name, None)
        if value is not None:
            parts.append(f"{len(value) if isinstance(value, list) else value} {label}")
    return ", ".join(parts) or str(report)


def cmd_import(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot.db import session_scope
    from bot.staff.transfer import FileFormatError, format_of, import_data

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"Không tìm thấy tệp {path}.")
    try:
        fmt = format_of(path.name)
        with session_scope(_database(args)) as session:
            report = import_data(session, args.kind, path.read_bytes(), fmt, f"cli:{_operator()}")
    except FileFormatError as exc:
        raise CommandError(str(exc)) from exc
    out.write(report.summary() + "\n")
    for error in report.errors:
        out.write(f"  - {error}\n")
    return 1 if report.errors else 0


def cmd_export(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot.db import session_scope
    from bot.staff.transfer import FileFormatError, export_data

    try:
        with session_scope(_database(args)) as session:
            content = export_data(session, args.kind, args.format)
    except FileFormatError as exc:
        raise CommandError(str(exc)) from exc
    target = Path(args.output or f"{args.kind}.{args.format}")
    target.write_bytes(content)
    out.write(f"Đã ghi {target} ({len(content)} byte).\n")
    return 0


def retrain_command() -> list[str]:
    """The ``rasa train`` command line used by ``make train`` (from bot.training if present)."""
    from bot import config

    try:
        from bot.training import RASA, RASA_DATA
    except ImportError:
        RASA = str(Path(sys.executable).parent / "rasa")  # noqa: N806
        RASA_DATA = ["data"]  # noqa: N806
    data = [d for d in RASA_DATA if (config.PROJECT_ROOT / d).exists()]
    return [RASA, "train", "--config", "config.yml", "--domain", "domain", "--data", *data,
            "--out", "models"]


def cmd_retrain(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot import config

    command = retrain_command()
    if args.print_command:
        out.write(" ".join(command) + "\n")
        return 0
    out.write("Đang huấn luyện lại mô hình (có thể mất vài phút)…\n")
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    result = subprocess.run(command, cwd=config.PROJECT_ROOT, env=env, check=False)
    if result.returncode != 0:
        raise CommandError("Huấn luyện không thành công; xem thông báo của rasa ở trên.")
    out.write("Đã huấn luyện xong; khởi động lại Rasa để dùng mô hình mới.\n")
    return 0


def cmd_send_reminders(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from bot.db import session_scope

    send_due_reminders = _lazy("bot.events.reminders", "send_due_reminders", "chức năng nhắc lịch")
    pusher_class = _lazy("bot.channels.push", "ZaloPusher", "kênh gửi tin Zalo")
    try:
        pusher = pusher_class.from_credentials_file()
    except (ValueError, OSError) as exc:
        raise CommandError(f"Zalo OA chưa được cấu hình, chưa gửi được nhắc lịch: {exc}") from exc
    loop = asyncio.new_event_loop()

    def sender(channel: str, sender_id: str, text: str) -> None:
        # The pusher is async and answers False when a message was not accepted; raising keeps
        # that reminder due, so the next run tries again.
        if not loop.run_until_complete(pusher(channel, sender_id, text)):
            raise RuntimeError("not delivered")

    try:
        with session_scope(_database(args)) as session:
            report = send_due_reminders(session, dt.datetime.now(dt.UTC), sender)
    finally:
        loop.run_until_complete(pusher.aclose())
        loop.close()
    out.write(f"Đã gửi {report.sent} nhắc lịch, {report.failed} chưa gửi được (sẽ thử lại).\n")
    return 0


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "operator"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Lệnh vận hành trợ lý ASEAN."
    )
    parser.add_argument("--database-url", help="thay cho DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    def add(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    for name, handler, help_text in (
        ("create-user", cmd_create_user, "tạo tài khoản cán bộ"),
        ("reset-password", cmd_reset_password, "đặt lại mật khẩu"),
    ):
        command = add(name, handler, help_text)
        command.add_argument("username")
        command.add_argument("--password-stdin", action="store_true",
                             help="đọc mật khẩu từ dòng đầu của stdin")
        if name == "create-user":
            command.add_argument("--role", choices=("admin", "editor", "viewer"), required=True)
    add("db-upgrade", cmd_db_upgrade, "nâng cấp cơ sở dữ liệu").add_argument(
        "--revision", default="head")
    seed = add("seed", cmd_seed, "nạp dữ liệu FAQ và sự kiện gốc")
    seed.add_argument("--knowledge-dir")
    seed.add_argument("--events-file")
    imp = add("import", cmd_import, "nhập FAQ hoặc sự kiện từ tệp")
    imp.add_argument("kind", choices=("faq", "events"))
    imp.add_argument("file")
    exp = add("export", cmd_export, "xuất FAQ hoặc sự kiện ra tệp")
    exp.add_argument("kind", choices=("faq", "events"))
    exp.add_argument("format", choices=("xlsx", "csv", "yaml"))
    exp.add_argument("-o", "--output")
    add("retrain", cmd_retrain, "huấn luyện lại mô hình Rasa").add_argument(
        "--print-command", action="store_true", help="chỉ in lệnh, không chạy")
    add("send-reminders", cmd_send_reminders, "gửi các nhắc lịch đến hạn qua Zalo")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         stdin: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, out, stdin or sys.stdin)
    except CommandError as exc:
        sys.stderr.write(f"Lỗi: {exc}\n")
        return 1
