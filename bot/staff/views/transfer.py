"""The import/export page: download FAQ and events as Excel, CSV or YAML; upload to update."""

from __future__ import annotations

import datetime as dt

import anyio
from sqladmin import BaseView, expose
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.config import TIMEZONE
from bot.staff.models import ROLES
from bot.staff.security import current_role, current_staff
from bot.staff.transfer import (
    FORMATS,
    KINDS,
    MEDIA_TYPES,
    FileFormatError,
    ImportReport,
    export_data,
    format_of,
    import_data,
)
from bot.staff.views.base import EDITORS


class TransferView(BaseView):
    home_identity = "transfer"
    name = "Nhập / xuất dữ liệu"
    icon = "fa-solid fa-file-arrow-up"

    def is_accessible(self, request: Request) -> bool:
        return current_role() in ROLES

    def is_visible(self, request: Request) -> bool:
        return current_role() in ROLES

    def _session_maker(self):  # noqa: ANN202
        return self._admin_ref.session_maker  # type: ignore[attr-defined]

    async def _page(self, request: Request, report: ImportReport | None = None,
                    error: str | None = None, kind: str | None = None,
                    status_code: int = 200) -> Response:
        return await self.templates.TemplateResponse(
            request,
            "staff/transfer.html",
            {
                "title": self.name, "kinds": KINDS, "formats": FORMATS, "report": report,
                "error": error, "kind": kind, "can_import": current_role() in EDITORS,
            },
            status_code=status_code,
        )

    @expose("/transfer", methods=["GET"], identity="transfer")
    async def transfer(self, request: Request) -> Response:
        return await self._page(request)

    @expose("/transfer/export/{kind}/{fmt}", methods=["GET"], identity="transfer-export")
    async def export(self, request: Request) -> Response:
        kind, fmt = request.path_params["kind"], request.path_params["fmt"]
        if kind not in KINDS or fmt not in FORMATS:
            raise HTTPException(status_code=404)
        content = await anyio.to_thread.run_sync(self._export_sync, kind, fmt)
        stamp = dt.datetime.now(TIMEZONE).strftime("%Y%m%d-%H%M")
        return Response(
            content,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{kind}-{stamp}.{fmt}"'},
        )

    def _export_sync(self, kind: str, fmt: str) -> bytes:
        with self._session_maker()() as session:
            return export_data(session, kind, fmt)

    @expose("/transfer/import", methods=["POST"], identity="transfer-import")
    async def upload(self, request: Request) -> Response:
        if current_role() not in EDITORS:
            raise HTTPException(status_code=403)
        form = await request.form()
        kind = str(form.get("kind") or "")
        upload = form.get("file")
        if kind not in KINDS or not isinstance(upload, UploadFile) or not upload.filename:
            return await self._page(request, error="Hãy chọn loại dữ liệu và một tệp.",
                                    status_code=400)
        try:
            fmt = format_of(upload.filename)
            content = await upload.read()
            report = await anyio.to_thread.run_sync(self._import_sync, kind, content, fmt)
        except FileFormatError as exc:
            return await self._page(request, error=str(exc), kind=kind, status_code=400)
        return await self._page(request, report=report, kind=kind)

    def _import_sync(self, kind: str, content: bytes, fmt: str) -> ImportReport:
        with self._session_maker()() as session:
            report = import_data(session, kind, content, fmt, current_staff())
            session.commit()
            return report
