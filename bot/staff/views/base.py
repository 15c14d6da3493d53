"""The base of every model page: role checks per request, revisions on every save, safe actions.

sqladmin reads ``can_create``/``can_edit``/``can_delete``/``can_export`` both to draw buttons and to
allow the routes, so they are properties here that look at the signed-in role. Saving goes through
one database transaction that writes the change and its revision together.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anyio
from sqladmin import ModelView, action, expose
from sqladmin._queries import Query
from sqladmin.helpers import get_object_identifier, object_identifier_values
from sqlalchemy import false, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import Form

from bot.staff.models import ROLES
from bot.staff.revisions import record_change, snapshot, tracked_type_of
from bot.staff.security import current_role
from bot.staff.views.ui import flash

EDITORS = ("admin", "editor")
ADMINS = ("admin",)


class StaffModelView(ModelView):
    """A model page whose permissions depend on the signed-in role.

    Subclasses set the role tuples; ``extra_fields`` adds form fields that are not columns
    (e.g. phrasings one per line), filled by ``load_extra`` and saved by ``save_extra``.
    """

    view_roles: ClassVar[tuple[str, ...]] = ROLES
    create_roles: ClassVar[tuple[str, ...]] = EDITORS
    edit_roles: ClassVar[tuple[str, ...]] = EDITORS
    delete_roles: ClassVar[tuple[str, ...]] = ()
    export_roles: ClassVar[tuple[str, ...]] = ROLES
    # name -> (label, roles allowed, confirmation question)
    bulk_ops: ClassVar[dict[str, tuple[str, tuple[str, ...], str]]] = {}
    extra_fields: ClassVar[dict[str, Any]] = {}
    history_type: ClassVar[str | None] = None  # revision entity type, for the history link
    page_size = 25
    page_size_options = [25, 50, 100]

    # --- permissions ---------------------------------------------------------------------

    def is_accessible(self, request: Request) -> bool:
        return current_role() in self.view_roles

    def is_visible(self, request: Request) -> bool:
        return current_role() in self.view_roles

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return current_role() in self.create_roles

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return current_role() in self.edit_roles

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return current_role() in self.delete_roles

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return current_role() in self.export_roles

    async def export_data(self, data: list[Any], export_type: str = "csv") -> Response:
        """sqladmin's CSV export, written by the workspace's one writer (formulas neutralised)."""
        if export_type != "csv":
            return await super().export_data(data, export_type)
        from sqladmin.helpers import secure_filename

        from bot.staff.transfer.tabular import write_rows

        columns = list(self._export_prop_names)
        rows = [{name: await self.get_prop_value(row, name) for name in columns} for row in data]
        filename = secure_filename(self.get_export_name(export_type="csv"))
        return Response(
            write_rows(columns, rows, "csv"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment;filename={filename}"},
        )

    def _stmt_by_identifier(self, identifier: str) -> Select:
        """sqladmin's lookup by id; for an id no row can have, a query that finds nothing.

        sqladmin converts with ``int()``, which raises on "abc" and accepts "1_000" and Unicode
        digits, and a 40-digit number makes the database fail: all of them are a plain 404.
        """
        identifier = str(identifier)
        try:
            values = object_identifier_values(identifier, self.model)
        except (TypeError, ValueError, OverflowError):
            return select(self.model).where(false())
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if any(not 0 < v < 2**63 for v in numbers) or (
            len(values) == 1 and numbers and str(numbers[0]) != identifier
        ):
            return select(self.model).where(false())
        return super()._stmt_by_identifier(identifier)

    def action_allowed(self, name: str) -> bool:
        """Whether the signed-in role may see action ``name`` (templates hide the others)."""
        return name not in self.bulk_ops or current_role() in self.bulk_ops[name][1]

    def allowed_ops(self) -> dict[str, tuple[str, tuple[str, ...], str]]:
        role = current_role()
        return {name: op for name, op in self.bulk_ops.items() if role in op[1]}

    # --- forms ---------------------------------------------------------------------------

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)
        extras = self.build_extra_fields()
        if not extras:
            return form
        return type(f"{form.__name__}Extra", (form,), extras)

    def build_extra_fields(self) -> dict[str, Any]:
        """Unbound WTForms fields added to the model form (per request: choices can change)."""
        return dict(self.extra_fields)

    def load_extra(self, obj: Any) -> None:
        """Set the extra fields' current values as plain attributes on ``obj`` (edit form)."""

    def save_extra(self, session: Session, obj: Any, extras: dict[str, Any], created: bool) -> None:
        """Apply the extra fields' submitted values to ``obj``."""

    def prepare(self, session: Session, obj: Any, data: dict[str, Any], created: bool) -> None:
        """Last changes before the row is written (validation errors raise ValueError)."""

    async def get_object_for_edit(self, request: Request) -> Any:
        obj = await super().get_object_for_edit(request)
        if obj is not None:
            # A detached copy used only to fill the form; children come eagerly loaded
            # through ``form_edit_query``.
            self.load_extra(obj)
        return obj

    # --- saving (one transaction: change + revision) -------------------------------------

    def _split_extra(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        names = set(self.build_extra_fields())
        extras = {k: v for k, v in data.items() if k in names}
        columns = {k: v for k, v in data.items() if k not in names}
        return columns, extras

    async def insert_model(self, request: Request, data: dict) -> Any:
        if not self.can_create:
            raise HTTPException(status_code=403)
        return await anyio.to_thread.run_sync(self._insert_sync, request, data)

    def _insert_sync(self, request: Request, data: dict) -> Any:
        columns, extras = self._split_extra(data)
        with self.session_maker(expire_on_commit=False) as session:
            obj = self.model()
            obj = Query(self)._set_attributes_sync(session, obj, columns)
            session.add(obj)
            self.save_extra(session, obj, extras, created=True)
            self.prepare(session, obj, columns, created=True)
            if tracked_type_of(obj) is not None:
                record_change(session, obj, None, "create")
            session.commit()
            return obj

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        if not self.can_edit:
            raise HTTPException(status_code=403)
        return await anyio.to_thread.run_sync(self._update_sync, request, pk, data)

    def _update_sync(self, request: Request, pk: str, data: dict) -> Any:
        columns, extras = self._split_extra(data)
        for column in self.pk_columns:  # identifiers never change through a form
            columns.pop(column.key, None)
        with self.session_maker(expire_on_commit=False) as session:
            obj = session.execute(self._stmt_by_identifier(pk)).scalars().first()
            if obj is None:
                raise HTTPException(status_code=404)
            tracked = tracked_type_of(obj) is not None
            before = snapshot(obj) if tracked else None
            status_before = getattr(obj, "status", None)
            obj = Query(self)._set_attributes_sync(session, obj, columns)
            self.save_extra(session, obj, extras, created=False)
            self.prepare(session, obj, columns, created=False)
            if tracked:
                record_change(session, obj, before, _action_for(status_before, obj))
            session.commit()
            return obj

    async def delete_model(self, request: Request, pk: Any) -> None:
        if not self.can_delete:
            raise HTTPException(status_code=403)
        await anyio.to_thread.run_sync(self._delete_sync, pk)

    def _delete_sync(self, pk: Any) -> None:
        with self.session_maker() as session:
            obj = session.execute(self._stmt_by_identifier(str(pk))).scalars().first()
            if obj is None:
                return
            if tracked_type_of(obj) is not None:
                record_change(session, obj, snapshot(obj), "delete", deleted=True)
            session.delete(obj)
            session.commit()

    # --- actions: a GET only shows a confirmation; the change is a POST with the CSRF token --

    async def confirm_page(self, request: Request, op: str) -> Response:
        ops = self.allowed_ops()
        if op not in ops:
            raise HTTPException(status_code=403)
        label, _roles, question = ops[op]
        pks = [pk for pk in request.query_params.get("pks", "").split(",") if pk]
        if not pks:
            flash(request, "Hãy chọn ít nhất một mục.", "warning")
            return RedirectResponse(request.url_for("admin:list", identity=self.identity), 302)
        return await self.templates.TemplateResponse(
            request,
            "staff/confirm.html",
            {
                "model_view": self,
                "title": label,
                "question": question,
                "pks": pks,
                "action_url": request.url_for(f"admin:view-{self.identity}-run_bulk_op", op=op),
                "back_url": request.url_for("admin:list", identity=self.identity),
            },
        )

    @expose("/bulk/{op}", methods=["POST"])
    async def run_bulk_op(self, request: Request) -> Response:
        op = request.path_params["op"]
        if op not in self.allowed_ops():
            raise HTTPException(status_code=403)
        form = await request.form()
        pks = [pk for pk in str(form.get("pks") or "").split(",") if pk]
        done = await anyio.to_thread.run_sync(self._bulk_sync, op, pks)
        label = self.bulk_ops[op][0]
        flash(request, f"{label}: đã xử lý {done}/{len(pks)} mục.", "success" if done else "info")
        return RedirectResponse(request.url_for("admin:list", identity=self.identity), 302)

    def _bulk_sync(self, op: str, pks: list[str]) -> int:
        done = 0
        with self.session_maker(expire_on_commit=False) as session:
            for pk in pks:
                obj = session.execute(self._stmt_by_identifier(pk)).scalars().first()
                if obj is None:
                    continue
                tracked = tracked_type_of(obj) is not None
                before = snapshot(obj) if tracked else None
                if not self.apply_op(session, obj, op):
                    continue
                if tracked:
                    record_change(session, obj, before, op)
                done += 1
            session.commit()
        return done

    def apply_op(self, session: Session, obj: Any, op: str) -> bool:
        """Carry out bulk operation ``op`` on one object; False when it does not apply."""
        raise HTTPException(status_code=404)


def _action_for(status_before: Any, obj: Any) -> str:
    """Name a form save after what it did to the status, so the history reads naturally."""
    status_after = getattr(obj, "status", None)
    if status_before != status_after and status_after in ("published", "archived"):
        return {"published": "publish", "archived": "archive"}[status_after]
    return "update"


def status_action(name: str, label: str, roles: tuple[str, ...], question: str) -> Any:
    """A list/detail action that leads to the confirmation page of bulk operation ``name``."""

    @action(name=name, label=label, add_in_detail=True, add_in_list=True)
    async def handler(self: StaffModelView, request: Request) -> Response:
        return await self.confirm_page(request, name)

    handler.__name__ = f"action_{name.replace('-', '_')}"
    return handler


def object_pk(obj: Any) -> str:
    return str(get_object_identifier(obj))
