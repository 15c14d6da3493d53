"""The operator CLI: accounts without default passwords, import/export, clear errors."""

from __future__ import annotations

import io

from sqlalchemy import select

from bot.cli import main, retrain_command
from bot.db import session_scope
from bot.staff.accounts import verify_credentials
from bot.staff.models import StaffUser


def _run(db_url: str, *argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--database-url", db_url, *argv], out=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def test_create_user_then_reset_password(db_url, capsys):
    code, out = _run(db_url, "create-user", "Admin.CaMau", "--role", "admin", "--password-stdin",
                     stdin="mot-mat-khau-dai\n")
    assert code == 0 and "admin.camau" in out
    with session_scope(db_url) as session:
        user = session.scalar(select(StaffUser))
        assert (user.username, user.role, user.is_active) == ("admin.camau", "admin", True)
        assert verify_credentials(session, "admin.camau", "mot-mat-khau-dai") is not None
        version = user.session_version

    code, out = _run(db_url, "reset-password", "admin.camau", "--password-stdin",
                     stdin="mat-khau-thu-hai\n")
    assert code == 0
    with session_scope(db_url) as session:
        assert verify_credentials(session, "admin.camau", "mot-mat-khau-dai") is None
        assert verify_credentials(session, "admin.camau", "mat-khau-thu-hai") is not None
        assert session.scalar(select(StaffUser.session_version)) == version + 1


def test_weak_passwords_duplicates_and_unknown_users_are_refused(db_url, capsys):
    code, _ = _run(db_url, "create-user", "bientap", "--role", "editor", "--password-stdin",
                   stdin="ngan\n")
    assert code == 1
    assert "ít nhất 10 ký tự" in capsys.readouterr().err
    _run(db_url, "create-user", "bientap", "--role", "editor", "--password-stdin",
         stdin="du-dai-roi-nhe\n")
    code, _ = _run(db_url, "create-user", "bientap", "--role", "viewer", "--password-stdin",
                   stdin="du-dai-roi-nhe\n")
    assert code == 1 and "đã tồn tại" in capsys.readouterr().err
    code, _ = _run(db_url, "reset-password", "khongco", "--password-stdin",
                   stdin="du-dai-roi-nhe\n")
    assert code == 1 and "Không có tài khoản" in capsys.readouterr().err


def test_there_is_no_default_account(db_url):
    with session_scope(db_url) as session:
        assert session.scalar(select(StaffUser)) is None


def test_export_and_import_round_trip(db_url, tmp_path, capsys):
    target = tmp_path / "faq.xlsx"
    code, out = _run(db_url, "export", "faq", "xlsx", "-o", str(target))
    assert code == 0 and target.exists()
    code, out = _run(db_url, "import", "faq", str(target))
    assert code == 0 and "lỗi 0 dòng" in out
    code, _ = _run(db_url, "import", "faq", str(tmp_path / "missing.csv"))
    assert code == 1 and "Không tìm thấy tệp" in capsys.readouterr().err


def test_retrain_uses_the_project_config():
    command = retrain_command()
    assert command[1:6] == ["train", "--config", "config.yml", "--domain", "domain"]


def test_send_reminders_pushes_due_ones_and_keeps_failures_due(db_url, monkeypatch):
    import datetime as dt

    from bot.channels import push
    from bot.events.models import Event, ReminderSubscription

    sent: list[tuple[str, str, str]] = []

    class FakePusher:
        """Stands in for the Zalo OA (no network in tests): accepts zalo, refuses others."""

        @classmethod
        def from_credentials_file(cls):  # noqa: ANN206
            return cls()

        async def __call__(self, channel: str, sender_id: str, text: str) -> bool:
            sent.append((channel, sender_id, text))
            return channel == "zalo"

        async def aclose(self) -> None:
            pass

    monkeypatch.setattr(push, "ZaloPusher", FakePusher)
    now = dt.datetime.now(dt.UTC)
    with session_scope(db_url) as session:
        event = Event(external_key="nhac", title="Hội thảo nhắc lịch",
                      start_at=now + dt.timedelta(days=1),
                      end_at=now + dt.timedelta(days=1, hours=2))
        session.add(event)
        session.flush()
        session.add_all([
            ReminderSubscription(event_id=event.id, sender_id="z1", channel="zalo",
                                 remind_at=now - dt.timedelta(minutes=5)),
            ReminderSubscription(event_id=event.id, sender_id="w1", channel="socketio",
                                 remind_at=now - dt.timedelta(minutes=5)),
            ReminderSubscription(event_id=event.id, sender_id="z2", channel="zalo",
                                 remind_at=now + dt.timedelta(hours=3)),  # not due yet
        ])
    code, out = _run(db_url, "send-reminders")
    assert code == 0 and "Đã gửi 1 nhắc lịch, 1 chưa gửi được" in out
    assert [s[1] for s in sent] == ["z1", "w1"] and "Hội thảo nhắc lịch" in sent[0][2]
    with session_scope(db_url) as session:
        states = {r.sender_id: r.sent_at is not None for r in session.scalars(
            select(ReminderSubscription))}
    assert states == {"z1": True, "w1": False, "z2": False}


def test_send_reminders_without_zalo_is_a_clear_error(db_url, capsys, monkeypatch):
    monkeypatch.setenv("ZALO_APP_ID", "")
    code, _ = _run(db_url, "send-reminders")
    err = capsys.readouterr().err
    assert code == 1 and "Zalo OA chưa được cấu hình" in err
