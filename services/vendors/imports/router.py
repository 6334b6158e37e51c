"""HTTP surface of imports: upload a CSV file (streamed, never held whole), read the reports."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import AUTH_PROBLEMS, Principal
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    problem_responses,
)
from services.vendors.access import Reader, Writer
from services.vendors.certifications.validity import city_today
from services.vendors.contracts import (
    CSV_COLUMNS,
    ERRORS_SHOWN,
    ImportKind,
    ImportPage,
    ImportReport,
    ImportRowErrorPage,
)
from services.vendors.imports import service
from services.vendors.imports.problems import InvalidCsv, LoadedMeanwhile, UnsupportedMediaType
from services.vendors.imports.upload import CsvUpload
from services.vendors.solicitations.clock import Now

router = APIRouter(tags=["imports"])

BASE = "/imports"
CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv"})
RESPOND_ASYNC = "respond-async"


def _columns_table(kind: ImportKind) -> str:
    rows = "\n".join(
        f"| `{column.name}` | {'yes' if column.required else ''} | {column.description} |"
        for column in CSV_COLUMNS[kind]
    )
    return (
        f"**{kind.value}** (`kind={kind.value}`):\n\n| column | required | meaning |\n|---|---|---|\n{rows}"
    )


UPLOAD_DESCRIPTION = f"""
Loads a CSV file of payments or vendors. The body is the file itself (`Content-Type: text/csv`, UTF-8,
comma-separated, a header line naming the columns in any order; a byte-order mark is allowed), streamed
straight into the database: files of millions of lines take constant memory.

Every valid row is loaded; every invalid row is reported with its line and a precise message, and not
loaded. Rows already loaded by an earlier import are counted as `already_present` and left alone, so
importing the same file again changes nothing. A file that cannot be read as CSV of the documented
columns (an unknown or missing column, a broken quote, a row with too many fields, text that is not UTF-8)
is refused as a whole: 422 `invalid-csv` with the `line` where it broke.

By default the answer is 201 with the complete report once the file is loaded. With
`Prefer: respond-async` the answer is 202 as soon as the file is received and staged, with the import
`processing` and its `Location`; poll it until `completed` (or `failed`, in which case nothing of it was
loaded). Use this for large files and through the gateway, whose per-request deadline a long load would
exceed.

Needs `procurement:write`. `Idempotency-Key` is accepted for files up to a configured size (16 MiB by
default; a larger keyed file is refused with 413), because the key's store holds the whole body in
memory: send large files without it. The import is idempotent by its content anyway.

{_columns_table(ImportKind.payments)}

{_columns_table(ImportKind.vendors)}
"""

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The CSV file.",
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _check_media_type(request: Request) -> None:
    media_type, _, parameters = request.headers.get("content-type", "").partition(";")
    if media_type.strip().lower() not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType("Send the file as the body with `Content-Type: text/csv`.")
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (p.partition("=") for p in parameters.split(";"))
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Import files are UTF-8 text: send `charset=utf-8` or no charset.")


def _wants_async(prefer: str | None) -> bool:
    return any(token.strip().lower() == RESPOND_ASYNC for token in (prefer or "").split(","))


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    response_model=ImportReport,
    summary="Import a CSV file of payments or vendors",
    description=UPLOAD_DESCRIPTION,
    openapi_extra=UPLOAD_BODY,
    dependencies=[Depends(idempotency_key_header)],
    responses={
        202: {
            "description": "Received and staged (`Prefer: respond-async`): poll `Location`.",
            "model": ImportReport,
        },
        **problem_responses(
            *AUTH_PROBLEMS,
            PayloadTooLarge,
            UnsupportedMediaType,
            InvalidCsv,
            LoadedMeanwhile,
            ValidationFailed,
        ),
    },
)
async def imports_create(
    request: Request,
    session: Session,
    actor: Writer,
    now: Now,
    response: Response,
    kind: Annotated[ImportKind, Query(description="What the file holds.")],
    filename: Annotated[
        str | None,
        Query(max_length=255, pattern=r"^[^\x00]*$", description="The file's name, kept in the report."),
    ] = None,
    prefer: Annotated[
        str | None,
        Header(
            alias="Prefer", max_length=200, description="`respond-async`: answer 202 once the file is staged."
        ),
    ] = None,
) -> ImportReport:
    _check_media_type(request)
    upload = CsvUpload(request.stream(), filename)
    if _wants_async(prefer):
        report = await _start(request, session, kind, upload, actor, now)
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Preference-Applied"] = RESPOND_ASYNC
    else:
        report = await service.run(session, kind, upload, actor, now, city_today(now))
    response.headers["Location"] = f"/v1/procurement/imports/{report.id}"
    return report


async def _start(
    request: Request,
    session: AsyncSession,
    kind: ImportKind,
    upload: CsvUpload,
    actor: Principal,
    now: datetime,
) -> ImportReport:
    """Stages the upload on a session of its own, which the background worker then finishes and closes."""
    state = request.app.state
    worker = state.sessionmaker()
    try:
        report = await service.start(session, worker, kind, upload, actor, now)
    except BaseException:
        await worker.rollback()
        await worker.close()
        raise
    workers: set[asyncio.Task[None]] = getattr(state, "import_workers", set())
    state.import_workers = workers
    task = asyncio.create_task(
        service.finish(worker, state.sessionmaker, report.id, kind, actor, now, city_today(now))
    )
    workers.add(task)  # kept referenced until done, or the loop could collect it mid-run
    task.add_done_callback(workers.discard)
    return report


@router.get(
    BASE,
    response_model=ImportPage,
    summary="List imports",
    description="Keyset-paged, oldest first.",
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, ValidationFailed),
)
async def imports_list(
    session: Session,
    pager: PageParams,
    _: Reader,
    kind: Annotated[ImportKind | None, Query()] = None,
) -> ImportPage:
    items, token = await service.list_page(session, pager, kind)
    return ImportPage(items=items, next_page_token=token)


@router.get(
    BASE + "/{import_id}",
    response_model=ImportReport,
    summary="Get an import's report",
    description=f"Counts, and the first {ERRORS_SHOWN} row errors in file order. An import whose worker "
    "stopped before finishing (the service was restarted) reads as `failed`: nothing of it was loaded.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def imports_get(import_id: uuid.UUID, session: Session, _: Reader) -> ImportReport:
    return await service.get(session, import_id)


@router.get(
    BASE + "/{import_id}/errors",
    response_model=ImportRowErrorPage,
    summary="List an import's row errors",
    description="Every reason a row was not loaded, in file order (by line, then by column check).",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, BadRequest, ValidationFailed),
)
async def imports_errors_list(
    import_id: uuid.UUID, session: Session, pager: PageParams, _: Reader
) -> ImportRowErrorPage:
    items, token = await service.errors_page(session, import_id, pager)
    return ImportRowErrorPage(items=items, next_page_token=token)
