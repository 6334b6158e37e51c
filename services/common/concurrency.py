"""Optimistic concurrency: a strong ETag from the row's version, `If-Match` required to change it.

The ETag of version 3 is the strong entity-tag `"v3"` (RFC 9110 §8.8.3), quotes included. `If-Match` is
`*` (any current representation) or a list of entity-tags (§13.1.1), compared strongly: a weak tag, or a
tag this API never issued, matches no version (412, once the request is otherwise valid). A value that is
not an entity-tag at all, such as the unquoted `v3` or `3`, is a malformed field: 400
`invalid-entity-tag` at once, since there is no precondition to evaluate (RFC 9110 §15.5.1).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Response

from services.common.problems import InvalidEntityTag, PreconditionFailed, PreconditionRequired

# What a weak or foreign If-Match stands for: versions start at 1, so it matches none.
NO_VERSION = 0
# The form of the ETag this API sends, for the OpenAPI document.
ETAG_PATTERN = r'^"v[1-9][0-9]*"$'
# What a client sends in If-Match: `*` or the ETag it read.
IF_MATCH_PATTERN = r'^(\*|"v[1-9][0-9]*")$'

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_OUR_TAG = re.compile(r"v([1-9][0-9]{0,17})")
# The longest ETag the API sends, and the longest If-Match it can match: `"v` + 18 digits + `"`.
ETAG_MAX_LENGTH = 21
_LIST_SEPARATORS = " \t,"


def etag(version: int) -> str:
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` value names, or None for `*` (any current version).

    Used by the `IfMatch` dependency, and directly by routes where If-Match is optional
    (create-or-replace). 428 without one; 400 when it is not an entity-tag list.
    """
    value = (if_match or "").strip(" \t")
    if not value:
        raise PreconditionRequired("Send `If-Match` with the ETag you last read.")
    if value == "*":
        return None
    versions = {version for weak, opaque in _entity_tags(value) if not weak and (version := _version(opaque))}
    if len(versions) > 1:
        raise InvalidEntityTag(
            f"`If-Match` names {len(versions)} versions of the resource; send the one `ETag` you read."
        )
    # A weak or foreign tag matches no version. Refusing it is left to `check_version`, in the service:
    # preconditions are judged after the request is otherwise valid (RFC 9110 §13.2.1), so a bad body
    # is still a 422, not a 412.
    return versions.pop() if versions else NO_VERSION


def _entity_tags(value: str) -> list[tuple[bool, str]]:
    """The (weak, opaque) entity-tags of an `If-Match` list; 400 for anything else in it."""
    tags: list[tuple[bool, str]] = []
    position = 0
    while True:
        while position < len(value) and value[position] in _LIST_SEPARATORS:
            position += 1
        if position == len(value):
            break
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            raise _malformed(value)
        tags.append((match.group(1) is not None, match.group(2)))
        position = match.end()
        while position < len(value) and value[position] in " \t":
            position += 1
        if position < len(value) and value[position] != ",":
            raise _malformed(value)
    if not tags:
        raise _malformed(value)
    return tags


def _version(opaque: str) -> int:
    match = _OUR_TAG.fullmatch(opaque)
    return int(match.group(1)) if match else NO_VERSION


def _malformed(value: str) -> InvalidEntityTag:
    shown = value if len(value) <= 64 else value[:61] + "..."
    return InvalidEntityTag(
        f"`If-Match: {shown}` is not an entity-tag. Send the `ETag` exactly as you read it, quotes "
        'included (`If-Match: "v3"`), or `*`.'
    )


async def _if_match_header(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            # Longer than any tag of ours: a 422 at once, as the document's bound says.
            max_length=ETAG_MAX_LENGTH,
            description='The `ETag` of the version you read, quotes included (`"v3"`), or `*`; the change '
            "is refused (412) if the resource moved on.",
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
