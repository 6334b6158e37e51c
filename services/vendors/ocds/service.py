"""The OCDS feed and records: read-only, public, built from the procurement tables at each request.

A page of releases is built in a fixed number of queries whatever its size: the page of events, then
the rows of the processes it touches (batched by solicitation), then the certifications of every
party on every release day in one statement.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import Pager
from services.common.problems import NotFound
from services.vendors.contracts import OcdsRecord, OcdsRelease
from services.vendors.ocds import repository
from services.vendors.ocds.merge import compiled_release
from services.vendors.ocds.process import Certificates, Process
from services.vendors.ocds.releases import ProcessReleases


async def releases_page(
    session: AsyncSession, pager: Pager, since: datetime | None
) -> tuple[list[OcdsRelease], str | None]:
    events, token = await repository.events_page(session, pager, since)
    payment_ids = {
        event.entity_id for event in events if event.kind == "payment" and event.entity_id is not None
    }
    processes = await _processes(session, {event.solicitation_id for event in events}, payment_ids)
    builders = {solicitation_id: ProcessReleases(process) for solicitation_id, process in processes.items()}
    certificates = await _certificates(
        session, [(builders[event.solicitation_id], event.date) for event in events]
    )
    releases = [builders[event.solicitation_id].release(event, certificates) for event in events]
    return [OcdsRelease.model_validate(release) for release in releases], token


async def record(session: AsyncSession, ocid: str) -> OcdsRecord:
    solicitation_id = await repository.published_by_ocid(session, ocid)
    if solicitation_id is None:
        raise NotFound(f"No published contracting process has the ocid {ocid!r}.")
    events = await repository.events_of(session, solicitation_id)
    processes = await _processes(session, {solicitation_id}, payment_ids=None)
    builder = ProcessReleases(processes[solicitation_id])
    certificates = await _certificates(session, [(builder, event.date) for event in events])
    releases = [builder.release(event, certificates) for event in events]
    return OcdsRecord(
        ocid=ocid,
        releases=[OcdsRelease.model_validate(release) for release in releases],
        compiledRelease=OcdsRelease.model_validate(compiled_release(ocid, releases)),
    )


async def _processes(
    session: AsyncSession, solicitation_ids: set[uuid.UUID], payment_ids: set[uuid.UUID] | None
) -> dict[uuid.UUID, Process]:
    """The rows of these processes; of their payments, those named (all of them when None)."""
    if not solicitation_ids:
        return {}
    processes = {
        row.id: Process(solicitation=row)
        for row in await repository.solicitations_by_id(session, solicitation_ids)
    }
    for addendum in await repository.addenda_of(session, solicitation_ids):
        processes[addendum.solicitation_id].addenda.append(addendum)
    for bid in await repository.bids_of(session, solicitation_ids):
        processes[bid.solicitation_id].bids.append(bid)
    for award in await repository.awards_of(session, solicitation_ids):
        processes[award.solicitation_id].awards.append(award)
    contract_process: dict[uuid.UUID, Process] = {}
    for contract in await repository.contracts_of(session, solicitation_ids):
        processes[contract.solicitation_id].contracts.append(contract)
        contract_process[contract.id] = processes[contract.solicitation_id]
    if contract_process:
        await _contract_rows(session, contract_process, payment_ids)
    return processes


async def _contract_rows(
    session: AsyncSession, contract_process: dict[uuid.UUID, Process], payment_ids: set[uuid.UUID] | None
) -> None:
    contract_ids = set(contract_process)
    for amendment in await repository.amendments_of(session, contract_ids):
        contract_process[amendment.contract_id].amendments.append(amendment)
    for first in await repository.first_payments(session, contract_ids):
        contract_process[first.contract_id].first_payments.append(first)
    if payment_ids is None:
        payments = await repository.payments_of(session, contract_ids)
    elif payment_ids:
        payments = await repository.payments_by_id(session, payment_ids)
    else:
        payments = []
    for payment in payments:
        contract_process[payment.contract_id].payments[payment.id] = payment


async def _certificates(
    session: AsyncSession, releases: list[tuple[ProcessReleases, datetime]]
) -> Certificates:
    """The certifications shown in these releases, for every (vendor, day) they need, in one query."""
    dates: dict[ProcessReleases, list[datetime]] = defaultdict(list)
    for builder, at in releases:
        dates[builder].append(at)
    asked = set().union(*(builder.certification_days(at) for builder, at in dates.items()))
    certificates: Certificates = defaultdict(list)
    for row in await repository.certifications_on(session, asked):
        certificates[(row.vendor_id, row.day)].append(row)
    return dict(certificates)
