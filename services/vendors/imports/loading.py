"""What every import's loading step shares: its outcome, and how SQL mints the service's ids."""

from __future__ import annotations

from dataclasses import dataclass

# A UUIDv7 from the clock and gen_random_uuid(): time-ordered, like every id the service makes
# (services.common.db.new_id), for rows written by INSERT … SELECT.
UUID_V7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), "
    "52, 1), 53, 1), 'hex')::uuid"
)


@dataclass(frozen=True)
class Outcome:
    """Every staged row is exactly one of loaded, already present or failed."""

    loaded: int
    already_present: int
    failed: int
    error_count: int
    matched_by_identifier: int | None = None
    matched_by_name: int | None = None
