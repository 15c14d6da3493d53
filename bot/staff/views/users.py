"""Staff accounts (admins only): add people, change roles, deactivate, set a new password."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from wtforms import PasswordField, SelectField, StringField, validators

from bot.staff.accounts import (
    AccountError,
    check_password_policy,
    find_user,
    hash_password,
    normalize_username,
)
from bot.staff.models import ROLE_LABELS, StaffUser
from bot.staff.security import current_staff
from bot.staff.views.base import ADMINS, StaffModelView
from bot.staff.views.ui import local_time


class StaffUserView(StaffModelView, model=StaffUser):
    name = "Tài khoản"
    name_plural = "Tài khoản cán bộ"
    icon = "fa-solid fa-users-gear"
    view_roles = ADMINS
    create_roles = ADMINS
    edit_roles = ADMINS
    delete_roles = ()  # deactivate instead: revisions keep pointing at the account
    export_roles = ()

    column_list = [
        StaffUser.username, StaffUser.role, StaffUser.is_active, StaffUser.last_login_at,
        StaffUser.created_at,
    ]
    column_details_list = column_list + [StaffUser.password_changed_at]
    column_labels = {
        "username": "Tên đăng nhập", "role": "Vai trò", "is_active": "Đang hoạt động",
        "last_login_at": "Đăng nhập gần nhất", "created_at": "Tạo lúc",
        "password_changed_at": "Đổi mật khẩu lúc",
    }
    column_formatters = {
        StaffUser.role: lambda m, a: ROLE_LABELS.get(m.role, m.role),
        StaffUser.last_login_at: lambda m, a: local_time(m.last_login_at),
        StaffUser.created_at: lambda m, a: local_time(m.created_at),
    }
    column_formatters_detail = {
        **column_formatters,
        StaffUser.password_changed_at: lambda m, a: local_time(m.password_changed_at),
    }
    column_searchable_list = [StaffUser.username]
    form_columns = [StaffUser.is_active]
    form_args = {"is_active": {"label": "Đang hoạt động"}}

    def build_extra_fields(self) -> dict[str, Any]:
        return {
            "new_username": StringField(
                "Tên đăng nhập",
                description="Khi sửa: để trống nếu không đổi.",
                validators=[validators.Optional(), validators.Length(max=80)],
            ),
            "new_role": SelectField("Vai trò", choices=list(ROLE_LABELS.items())),
            "new_password": PasswordField(
                "Mật khẩu mới",
                description="Ít nhất 10 ký tự. Khi sửa: để trống nếu không đổi. "
                "Đổi mật khẩu sẽ đăng xuất mọi phiên của tài khoản này.",
                validators=[validators.Optional()],
            ),
        }

    def load_extra(self, obj: Any) -> None:
        obj.new_username = obj.username
        obj.new_role = obj.role
        obj.new_password = ""

    def save_extra(self, session: Session, obj: Any, extras: dict[str, Any], created: bool) -> None:
        username = normalize_username(extras.get("new_username") or "")
        password = extras.get("new_password") or ""
        role = extras.get("new_role") or "viewer"
        me = current_staff()
        try:
            if created:
                if not username:
                    raise AccountError("Vui lòng nhập tên đăng nhập.")
                if find_user(session, username) is not None:
                    raise AccountError(f"Tài khoản “{username}” đã tồn tại.")
                check_password_policy(password, username)
                obj.username = username
                obj.password_hash = hash_password(password)
                obj.session_version = 1
                obj.is_active = True if obj.is_active is None else obj.is_active
            else:
                if me is not None and me.id == obj.id and (role != "admin" or not obj.is_active):
                    raise AccountError("Bạn không thể tự bỏ quyền quản trị hoặc tự khoá mình.")
                if username and username != obj.username:
                    other = find_user(session, username)
                    if other is not None and other.id != obj.id:
                        raise AccountError(f"Tài khoản “{username}” đã tồn tại.")
                    obj.username = username
                if password:
                    check_password_policy(password, obj.username)
                    obj.password_hash = hash_password(password)
                    obj.session_version = (obj.session_version or 1) + 1
                if not obj.is_active:
                    obj.session_version = (obj.session_version or 1) + 1
            obj.role = role
        except AccountError as exc:
            raise ValueError(str(exc)) from exc
        from bot.db import utcnow

        if created or password:
            obj.password_changed_at = utcnow()
