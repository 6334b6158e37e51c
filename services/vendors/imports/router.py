"""HTTP surface of imports: upload a CSV file (streamed, never held whole), read the reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response, status

from services.common.auth import AUTH_PROBLEMS
from services.common.clock import Now, city_today
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
from services.common.unit_of_work import service_router
from services.vendors.access import Reader, Writer
from services.vendors.contracts import (
    CSV_COLUMNS,
    ERRORS_SHOWN,
    ImportKind,
    ImportPage,
    ImportReport,
    ImportRowErrorPage,
)
from services.vendors.imports import service
from services.vendors.imports.multipart import FilePart, form_boundary
from services.vendors.imports.problems import InvalidCsv, LoadedMeanwhile, UnsupportedMediaType
from services.vendors.imports.upload import CsvUpload

router = service_router(tags=["imports"])

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
Loads a CSV file of payments or vendors, sent as a `multipart/form-data` form whose one part, `file`,
is the file (UTF-8, comma-separated, a header line naming the columns in any order; a byte-order mark is
allowed). The form is read as it arrives and the file streamed straight into the database: files of
millions of lines take constant memory. The file's name is the `filename` parameter, else the part's.

Every valid row is loaded; every invalid row is reported with its line and a precise message, and not
loaded. Rows already loaded by an earlier import are counted as `already_present` and left alone, so
importing the same file again changes nothing. A file that cannot be read as CSV of the documented
columns (an unknown or missing column, a broken quote, a row with too many fields, text that is not UTF-8)
is refused as a whole: 422 `invalid-csv` with the `line` where it broke. A form that cannot be read (no
`file` part, another part, a broken body) is 422 `validation-error`.

By default the answer is 201 with the complete report once the file is loaded. With
`Prefer: respond-async` the answer is 202 as soon as the file is received and staged, with the import
`processing` and its `Location`; poll it until `completed` (or `failed`, in which case nothing of it was
loaded). Use this for large files and through the gateway, whose per-request deadline a long load would
exceed.

Needs `procurement:write`. `Idempotency-Key` is accepted for bodies up to a configured size (16 MiB by
default; a larger keyed body is refused with 413), because the key's store holds the whole body in
memory: send large files without it. The import is idempotent by its content anyway. A retry with the
same key must send the same bytes, boundary included.

{_columns_table(ImportKind.payments)}

{_columns_table(ImportKind.vendors)}
"""

# One documented body: a form with the file, which every generator can send. The raw CSV body of the
# first version (`Content-Type: text/csv`) is still read, undocumented, for the clients written for it.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A form whose one part, `file`, is the CSV file.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "title": "ImportUpload",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The CSV file (UTF-8).",
                        }
                    },
                    "required": ["file"],
                    "additionalProperties": False,
                },
                "encoding": {"file": {"contentType": "text/csv, application/octet-stream"}},
            }
        },
    }
}


def _upload(request: Request, filename: str | None) -> CsvUpload:
    """The file of the request: the `file` part of a form, or (the first version's way) the whole body."""
    content_type = request.headers.get("content-type", "")
    boundary = form_boundary(content_type)
    if boundary is not None:
        part = FilePart(request.stream(), boundary)
        return CsvUpload(part.chunks(), filename, part)
    _check_raw_csv(content_type)
    return CsvUpload(request.stream(), filename)


def _check_raw_csv(content_type: str) -> None:
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType("Send the file as the `file` part of a `multipart/form-data` form.")
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
    upload = _upload(request, filename)
    if _wants_async(prefer):
        state = request.app.state
        report = await service.start(
            session, state.sessions, state.tasks, kind, upload, actor, now, city_today(now)
        )
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Preference-Applied"] = RESPOND_ASYNC
    else:
        report = await service.run(session, kind, upload, actor, now, city_today(now))
    response.headers["Location"] = f"/v1/procurement/imports/{report.id}"
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
