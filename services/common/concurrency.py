"""Optimistic concurrency: a strong ETag from the row's version, `If-Match` required to change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from services.common.problems import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def _expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The `ETag` of the version you read; the change is refused (412) if it moved on.",
        ),
    ] = None,
) -> int | None:
    """The version the client saw, or None for `If-Match: *` (any current version)."""
    if if_match is None:
        raise PreconditionRequired("Send `If-Match` with the ETag you last read.")
    tag = if_match.strip()
    if tag == "*":
        return None
    if tag.startswith("W/"):
        raise PreconditionFailed("Weak ETags cannot be used to change a resource.")
    try:
        return int(tag.strip('"').removeprefix("v"))
    except ValueError:
        raise PreconditionFailed("`If-Match` does not hold an ETag issued by this API.") from None


IfMatch = Annotated[int | None, Depends(_expected_version)]


def check_version(expected: int | None, current: int) -> None:
    """Call with the row locked (SELECT … FOR UPDATE) so that two writers cannot both pass."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"You sent If-Match {etag(expected)} but the resource is at {etag(current)}; read it again.",
            current_etag=etag(current),
        )
