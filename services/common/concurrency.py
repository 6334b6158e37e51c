"""Optimistic concurrency: a strong ETag from the row's version, `If-Match` required to change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from services.common.problems import PreconditionFailed, PreconditionRequired

# What a weak or foreign If-Match stands for: versions start at 1, so it matches none.
NO_VERSION = 0


def etag(version: int) -> str:
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` value names, or None for `*` (any current version).

    Used by the `IfMatch` dependency, and directly by routes where If-Match is optional
    (create-or-replace).
    """
    tag = (if_match or "").strip()
    if not tag:
        raise PreconditionRequired("Send `If-Match` with the ETag you last read.")
    if tag == "*":
        return None
    # A weak or foreign tag matches no version. Refusing it is left to `check_version`, in the service:
    # preconditions are judged after the request is otherwise valid (RFC 9110 §13.2.1), so a bad body
    # is still a 422, not a 412.
    if tag.startswith("W/"):
        return NO_VERSION
    try:
        version = int(tag.strip('"').removeprefix("v"))
    except ValueError:
        return NO_VERSION
    return version if version > NO_VERSION else NO_VERSION


async def _if_match_header(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The `ETag` of the version you read; the change is refused (412) if it moved on.",
        ),
    ] = None,
) -> int | None:
    return expected_version(if_match)


IfMatch = Annotated[int | None, Depends(_if_match_header)]


def check_version(expected: int | None, current: int) -> None:
    """Call with the row locked (SELECT … FOR UPDATE) so that two writers cannot both pass."""
    if expected == NO_VERSION:
        raise PreconditionFailed(
            "`If-Match` does not hold a strong ETag issued by this API; read the resource again.",
            current_etag=etag(current),
        )
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"You sent If-Match {etag(expected)} but the resource is at {etag(current)}; read it again.",
            current_etag=etag(current),
        )
