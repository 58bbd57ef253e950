"""Upload a baseline survey, follow its progress, download its row-level report."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import text

from registry.imports import service
from sprpa_shared import audit
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Forbidden, NotFound, OutOfScope
from sprpa_shared.text import spreadsheet_cell

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
IMPORTERS = (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.VILLAGE_CADRE, Role.INTEGRATION)


class ImportStatus(BaseModel):
    id: uuid.UUID
    file_name: str
    file_format: Literal["csv", "xlsx"]
    file_bytes: int
    mode: Literal["all_or_nothing", "valid_rows_only"]
    status: Literal["queued", "processing", "completed", "failed"]
    total_rows: int | None
    processed_rows: int
    valid_rows: int
    error_rows: int
    created_children: int
    duplicate_rows: int
    failure: str | None
    created_at: datetime
    finished_at: datetime | None
    issues_url: str


def _status(row: dict) -> ImportStatus:
    finished = row["status"] in ("completed", "failed")
    return ImportStatus(**{**row, "total_rows": row["total_rows"] if finished else None},
                        issues_url=f"/api/v1/imports/{row['id']}/issues.csv")


def _require_importer(principal: Principal) -> None:
    if principal.role not in IMPORTERS or not principal.has_scope("registry:write"):
        raise Forbidden(f"the {principal.role.value} role may not import surveys")


@contextlib.asynccontextmanager
async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from the service's pool, outside any transaction. A new connection
    per request started a PostgreSQL backend each time a district's page polled an import."""
    async with request.app.state.engine.connect() as pooled:
        yield (await pooled.get_raw_connection()).driver_connection


@router.post("", dependencies=[needs("registry:write")],
             status_code=status.HTTP_202_ACCEPTED, response_model=ImportStatus,
             summary="Upload a survey (CSV or XLSX); rows are validated and imported in the background")
async def upload(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File(description="CSV (comma, semicolon or tab) or XLSX, first row headers")],
    mode: Annotated[Literal["all_or_nothing", "valid_rows_only"], Form()] = "valid_rows_only",
) -> ImportStatus:
    _require_importer(principal)
    settings = request.app.state.settings
    async with _connection(request) as connection:
        row, replayed = await service.accept(
            connection, upload=file, mode=mode, principal=principal, spool_dir=settings.import_spool_dir,
            max_bytes=settings.import_max_bytes, now=clock.now(),
        )
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/imports/{row['id']}"
    return _status(row)


_NAMED = text("SELECT DISTINCT child_id FROM import_issues WHERE import_id = :id AND child_id IS NOT NULL")


async def _visible(request: Request, principal: Principal, import_id: uuid.UUID) -> dict:
    async with _connection(request) as connection:
        row = await connection.fetchrow("SELECT * FROM imports WHERE id = $1", import_id)
    if row is None:
        raise NotFound("no such import")
    if not service.can_see(principal, row):
        raise OutOfScope("no such import", object_id=import_id)
    return dict(row)


@router.get("/{import_id}", dependencies=[needs("registry:read")],
            response_model=ImportStatus, summary="Progress and counts of an import")
async def import_status(import_id: uuid.UUID, request: Request, principal: PrincipalDep) -> ImportStatus:
    return _status(await _visible(request, principal, import_id))


@router.get("/{import_id}/issues.csv", dependencies=[needs("registry:read")],
            summary="Row-level errors and possible duplicates, as CSV",
            response_class=StreamingResponse)
async def import_issues(import_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                        clock: ClockDep) -> StreamingResponse:
    await _visible(request, principal, import_id)
    settings = request.app.state.settings
    named = (await (await session.connection()).execute(_NAMED, {"id": import_id})).scalars().all()
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=list(named),
                       object_id=import_id)

    async def lines():
        connection = await asyncpg.connect(settings.asyncpg_url)
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(["row", "kind", "field", "message", "existing_child_id"])
            async with connection.transaction():
                async for issue in connection.cursor(
                    "SELECT row_number, kind, field, message, child_id FROM import_issues WHERE import_id = $1 "
                    "ORDER BY row_number, kind", import_id):
                    writer.writerow([issue["row_number"], issue["kind"], issue["field"] or "",
                                     spreadsheet_cell(issue["message"]), issue["child_id"] or ""])
                    if buffer.tell() > 64 * 1024:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
            yield buffer.getvalue()
        finally:
            await connection.close()

    return StreamingResponse(lines(), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="import-{import_id}-issues.csv"'})
