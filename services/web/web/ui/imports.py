"""Survey files: upload, watch the progress (the page refreshes itself until the import ends), row errors."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_shared.auth.principal import Role
from web.ui.backends import ApiError
from web.ui.render import ViewerDep, backends, form_of, language, page, problem_context, redirect, require

router = APIRouter(include_in_schema=False)
UPLOADERS = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)


@router.get("/imports")
async def upload_form(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *UPLOADERS)
    return page(request, "imports.html", values={})


@router.post("/imports")
async def upload(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *UPLOADERS)
    form = await form_of(request, viewer)
    upload = form.get("file")
    mode = str(form.get("mode") or "valid_rows_only")
    files = None
    if upload is not None and getattr(upload, "filename", ""):
        # the spooled file itself: httpx streams it on to the registry without holding it in memory
        files = {"file": (upload.filename, upload.file, upload.content_type or "application/octet-stream")}
    try:  # without a file the registry answers which field is missing, as for every other form
        started = await backends(request).call("registry", "POST", "/api/v1/imports", token=viewer.access_token,
                                               files=files, data={"mode": mode})
    except ApiError as error:
        return page(request, "imports.html", status_code=error.status, values={"mode": mode},
                    **problem_context(error, language(request)))
    return redirect(f"/imports/{started['id']}")


@router.get("/imports/{import_id}")
async def progress(request: Request, viewer: ViewerDep, import_id: uuid.UUID) -> Response:
    require(viewer, *UPLOADERS)
    status = await backends(request).get("registry", f"/api/v1/imports/{import_id}", token=viewer.access_token)
    return page(request, "import.html", job=status, running=status["status"] in ("queued", "processing"))


@router.get("/imports/{import_id}/issues.csv")
async def issues(request: Request, viewer: ViewerDep, import_id: uuid.UUID) -> Response:
    require(viewer, *UPLOADERS)
    file = await backends(request).download("registry", f"/api/v1/imports/{import_id}/issues.csv",
                                            token=viewer.access_token)
    return Response(file.content, media_type=file.media_type, headers={"Content-Disposition": file.disposition})
