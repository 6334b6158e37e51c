"""Rules of imports: stage the upload, check and merge its rows, record the report, in one transaction.

Synchronous imports (`run`) do it all in the request's unit of work and answer with the final report.
Asynchronous ones (`start`) stage the upload during the request in a transaction of their own, answer
once the file is safely staged, and check and merge afterwards in that same transaction, a task of the
service's runner, holding the import's worker lock (see repository) until it commits. Either way the
rows, the report and the audit event commit together or not at all.
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.clock import utcnow
from services.common.db import new_id
from services.common.observability import current_request_id
from services.common.pagination import Pager
from services.common.problems import NotFound
from services.common.tasks import TaskRunner
from services.common.unit_of_work import Sessions
from services.vendors.contracts import (
    CSV_COLUMNS,
    ERRORS_SHOWN,
    Import,
    ImportFile,
    ImportKind,
    ImportReport,
    ImportRowError,
    ImportStatus,
)
from services.vendors.db import audit
from services.vendors.imports import payment_rows, repository, staging, vendor_rows
from services.vendors.imports.loading import Outcome
from services.vendors.imports.repository import ImportErrorRecord, ImportRecord
from services.vendors.imports.upload import CsvUpload, OneOf, checked_header

logger = logging.getLogger("cityops.vendors.imports")

# A payment row names its vendor by identifier (scheme and value) or by name: the header must allow one.
_VENDOR_REFERENCE: OneOf = (("vendor_name",), ("vendor_identifier_scheme", "vendor_identifier"))
ONE_OF: dict[ImportKind, tuple[OneOf, ...]] = {
    ImportKind.payments: (_VENDOR_REFERENCE,),
    ImportKind.vendors: (),
}
UNEXPECTED_FAILURE = (
    "The import failed unexpectedly and nothing of it was loaded; quote the import id when reporting it."
)


def to_contract(row: ImportRecord) -> Import:
    return Import(
        id=row.id,
        kind=ImportKind(row.kind),
        status=ImportStatus(row.status),
        file=ImportFile(name=row.file_name, bytes=row.file_bytes, sha256=row.file_sha256),
        rows=row.rows_total,
        loaded=row.rows_loaded,
        already_present=row.rows_already_present,
        failed=row.rows_failed,
        error_count=row.error_count,
        matched_by_identifier=row.matched_by_identifier,
        matched_by_name=row.matched_by_name,
        failure=row.failure,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        completed_at=row.completed_at,
    )


def to_row_error(row: ImportErrorRecord) -> ImportRowError:
    return ImportRowError(line=row.line, column=row.column_name, code=row.code, message=row.message)


async def run(
    session: AsyncSession, kind: ImportKind, upload: CsvUpload, actor: Principal, now: datetime, today: date
) -> ImportReport:
    """The whole import in the request's unit of work; the final report."""
    import_id = new_id()
    rows = await _stage(session, kind, upload)
    await repository.insert_import(session, _new_import(import_id, kind, upload, actor, now, rows))
    await _complete(session, import_id, kind, actor, now, today)
    return await get(session, import_id)


async def start(
    session: AsyncSession,
    sessions: Sessions,
    tasks: TaskRunner,
    kind: ImportKind,
    upload: CsvUpload,
    actor: Principal,
    now: datetime,
    today: date,
) -> ImportReport:
    """Stages the upload in a worker session of its own, under the import's worker lock, records the import
    as `processing` in the request's unit of work, and hands the worker to the task runner, which checks
    and merges the rows on that same transaction once the request has committed (`_finish`)."""
    import_id = new_id()
    worker = sessions.writer()
    try:
        await repository.hold_worker_lock(worker, import_id)
        rows = await _stage(worker, kind, upload)
        await repository.insert_import(session, _new_import(import_id, kind, upload, actor, now, rows))
        await repository.hold_recording_lock(session, import_id)
    except BaseException:
        await worker.close()  # closing rolls the staging back
        raise
    tasks.submit(
        _finish,
        import_id,
        kind,
        actor,
        now,
        today,
        session=worker,
        on_failure=functools.partial(_record_failure, import_id=import_id),
    )
    return await get(session, import_id)


async def _finish(
    worker: AsyncSession, import_id: uuid.UUID, kind: ImportKind, actor: Principal, now: datetime, today: date
) -> None:
    """Checks and merges what `start` staged, once the request that recorded the import has committed; the
    runner commits it all, or rolls it all back and records the failure."""
    if not await repository.wait_until_recorded(worker, import_id):
        logger.warning("import not recorded: its request failed", extra={"import_id": str(import_id)})
        return
    await _complete(worker, import_id, kind, actor, now, today)


async def _record_failure(session: AsyncSession, *, import_id: uuid.UUID) -> None:
    """Marks the import `failed`; should even that fail, it still reads as failed once its lock is gone."""
    values = {"status": ImportStatus.failed.value, "failure": UNEXPECTED_FAILURE, "completed_at": utcnow()}
    await repository.update_import(session, import_id, values)


async def _stage(session: AsyncSession, kind: ImportKind, upload: CsvUpload) -> int:
    columns = CSV_COLUMNS[kind]
    header = checked_header(await upload.header(), columns, one_of=ONE_OF[kind])
    # A file of millions of lines takes longer than the statement timeout that bounds a request's
    # queries; the import's own transaction (staging, then the merge) runs unbounded.
    await session.execute(text("SET LOCAL statement_timeout = 0"))
    await staging.create_stage(session, columns)
    return await staging.copy_upload(session, upload, header)


def _new_import(
    import_id: uuid.UUID, kind: ImportKind, upload: CsvUpload, actor: Principal, now: datetime, rows: int
) -> dict[str, Any]:
    return {
        "id": import_id,
        "kind": kind.value,
        "status": ImportStatus.processing.value,
        "file_name": upload.name,
        "file_bytes": upload.bytes,
        "file_sha256": upload.sha256,
        "rows_total": rows,
        "submitted_by": actor.sub,
        "submitted_at": now,
    }


async def _complete(
    session: AsyncSession,
    import_id: uuid.UUID,
    kind: ImportKind,
    actor: Principal,
    now: datetime,
    today: date,
) -> None:
    """Checks and merges the staged rows and writes the counts and the audit event; does not commit."""
    outcome: Outcome
    if kind is ImportKind.payments:
        outcome = await payment_rows.merge(session, import_id, today, now)
    else:
        outcome = await vendor_rows.merge(session, import_id, now, actor.sub, current_request_id())
    await staging.drop_stage(session)
    counts = {
        "rows_loaded": outcome.loaded,
        "rows_already_present": outcome.already_present,
        "rows_failed": outcome.failed,
        "error_count": outcome.error_count,
        "matched_by_identifier": outcome.matched_by_identifier,
        "matched_by_name": outcome.matched_by_name,
    }
    await repository.update_import(
        session, import_id, {**counts, "status": ImportStatus.completed.value, "completed_at": utcnow()}
    )
    await audit.record(
        session,
        actor=actor,
        action="import",
        entity="import",
        entity_id=import_id,
        changes={"kind": kind.value, **counts},
    )


async def get(session: AsyncSession, import_id: uuid.UUID) -> ImportReport:
    row = await repository.get(session, import_id)
    if row is None:
        raise NotFound(f"No import has id {import_id}.")
    errors = await repository.first_errors(session, import_id, ERRORS_SHOWN)
    return ImportReport(**to_contract(row).model_dump(), errors=[to_row_error(error) for error in errors])


async def list_page(
    session: AsyncSession, pager: Pager, kind: ImportKind | None
) -> tuple[list[Import], str | None]:
    statement = repository.select_imports()
    if kind is not None:
        statement = statement.where(repository.imports.c.kind == kind.value)
    rows, token = await repository.page(session, statement, pager, {"kind": kind})
    return [to_contract(row) for row in rows], token


async def errors_page(
    session: AsyncSession, import_id: uuid.UUID, pager: Pager
) -> tuple[list[ImportRowError], str | None]:
    if await repository.get(session, import_id) is None:
        raise NotFound(f"No import has id {import_id}.")
    rows, token = await repository.errors_page(session, import_id, pager)
    return [to_row_error(row) for row in rows], token
