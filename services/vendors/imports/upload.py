"""The uploaded file as a stream: its header line parsed here, every other byte passed on to COPY.

Memory stays constant whatever the size: the body is read chunk by chunk from the request, hashed and
counted as it goes by, and regrouped into blocks of about `BLOCK_BYTES` so that COPY receives a few
large messages rather than many small ones.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import AsyncIterator

from services.common.problems import FieldError
from services.vendors.contracts import CsvColumn
from services.vendors.imports.multipart import FilePart
from services.vendors.imports.problems import InvalidCsv

BLOCK_BYTES = 256 * 1024
MAX_HEADER_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


class CsvUpload:
    def __init__(self, chunks: AsyncIterator[bytes], name: str | None, part: FilePart | None = None) -> None:
        self._chunks = chunks
        self._name = name
        self._part = part
        self.bytes = 0
        self._hash = hashlib.sha256()
        self._pending = b""

    @property
    def name(self) -> str | None:
        """The name the client gave (`filename`), else the form part's file name, known once it is read."""
        if self._name is None and self._part is not None:
            return self._part.filename
        return self._name

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    async def _next_chunk(self) -> bytes | None:
        async for chunk in self._chunks:
            if chunk:
                self.bytes += len(chunk)
                self._hash.update(chunk)
                return chunk
        return None

    async def header(self) -> list[str]:
        """The column names of the first line, lower-cased; the bytes after it stay for `rows`."""
        buffered = b""
        while b"\n" not in buffered:
            if len(buffered) > MAX_HEADER_BYTES:
                raise InvalidCsv(
                    f"The first line is longer than {MAX_HEADER_BYTES} bytes: it is not a header."
                )
            chunk = await self._next_chunk()
            if chunk is None:
                break
            buffered += chunk
        if not buffered.strip():
            raise InvalidCsv("The file is empty: it needs a header line naming its columns.", line=1)
        line, _, self._pending = buffered.partition(b"\n")
        try:
            text = line.removeprefix(UTF8_BOM).decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise InvalidCsv("The header line is not UTF-8 text.", line=1) from None
        return [name.strip().lower() for name in next(csv.reader([text]), [])]

    async def rows(self) -> AsyncIterator[bytes]:
        """The file after its header line, in blocks of about BLOCK_BYTES."""
        block = bytearray(self._pending)  # appended to in place: small chunks cost no copying
        self._pending = b""
        while True:
            chunk = await self._next_chunk()
            if chunk is None:
                break
            block += chunk
            if len(block) >= BLOCK_BYTES:
                yield bytes(block)
                block = bytearray()
        if block:
            yield bytes(block)


# Options of which a header must hold one in full, e.g. ((("vendor_name",), ("scheme", "identifier")),).
OneOf = tuple[tuple[str, ...], ...]


def checked_header(
    header: list[str], columns: tuple[CsvColumn, ...], *, one_of: tuple[OneOf, ...] = ()
) -> list[str]:
    """The header checked against the kind's columns: every name known and given once, every required
    column present, and of each `one_of` group at least one option in full."""
    known = {column.name for column in columns}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, name in enumerate(header):
        if name not in known:
            errors.append(_header_error(index, f"unknown column `{name}`", "unknown_column"))
        elif name in seen:
            errors.append(_header_error(index, f"column `{name}` is given twice", "duplicate_column"))
        seen.add(name)
    for column in columns:
        if column.required and column.name not in seen:
            errors.append(
                FieldError(
                    location=["body", "header"],
                    message=f"column `{column.name}` is required",
                    code="missing_column",
                )
            )
    for group in one_of:
        if not any(set(option) <= seen for option in group):
            wanted = " or ".join(" and ".join(f"`{name}`" for name in option) for option in group)
            errors.append(
                FieldError(location=["body", "header"], message=f"give {wanted}", code="missing_column")
            )
    if errors:
        raise InvalidCsv(
            "The header line does not name the columns of this import; see `errors` and the documented "
            "columns.",
            line=1,
            errors=errors,
        )
    return header


def _header_error(index: int, message: str, code: str) -> FieldError:
    return FieldError(location=["body", "header", index], message=message, code=code)
