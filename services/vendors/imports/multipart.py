"""The `file` part of a `multipart/form-data` upload, streamed as it arrives.

Generated clients send files as multipart forms (openapi-python-client's `File`, a `Blob` in
TypeScript), so that is the documented body of an import. The form is parsed incrementally by
python-multipart's push parser: each chunk of the request is fed to it, and the bytes of the `file` part
it yields are passed on at once, so memory stays constant whatever the file's size, as with a raw body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from services.common.problems import FieldError, ValidationFailed

FILE_PART = b"file"
MAX_FILENAME = 255


def form_boundary(content_type: str) -> bytes | None:
    """The boundary of a `multipart/form-data` content type, or None for any other type."""
    media_type, options = parse_options_header(content_type)
    if media_type.lower() != b"multipart/form-data":
        return None
    return options.get(b"boundary") or b""


def _refused(message: str, code: str, location: list[str | int] | None = None) -> ValidationFailed:
    return ValidationFailed(
        f"The form cannot be read: {message}.",
        errors=[FieldError(location=location or ["body"], message=message, code=code)],
    )


class FilePart:
    """The bytes of the form's one `file` part, in the order they arrive; `filename` once its headers are
    read. Any other part, a second file, or a form that breaks off is refused (422)."""

    def __init__(self, body: AsyncIterator[bytes], boundary: bytes) -> None:
        if not boundary:
            raise _refused("the content type names no boundary", "multipart_boundary")
        self._body = body
        self._boundary = boundary
        self.filename: str | None = None
        self._pending: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._in_file = False
        self._seen_file = False
        self._ended = False

    async def chunks(self) -> AsyncIterator[bytes]:
        parser = MultipartParser(
            self._boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )
        try:
            async for chunk in self._body:
                parser.write(chunk)
                for piece in self._pending:
                    yield piece
                self._pending.clear()
            parser.finalize()
        except MultipartParseError:
            raise _refused("it is not a well-formed multipart/form-data body", "multipart_syntax") from None
        if not self._ended:
            raise _refused("the body ends before the form's closing boundary", "multipart_truncated")
        if not self._seen_file:
            raise _refused("it has no `file` part", "missing", ["body", "file"])

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name")
        if name != FILE_PART:
            shown = (name or b"").decode("utf-8", "replace")[:40]
            raise _refused(
                f"`{shown}` is not a part of this form, which has one part, `file`", "extra_forbidden"
            )
        if self._seen_file:
            raise _refused("it has two `file` parts", "multipart_duplicate", ["body", "file"])
        self._seen_file = self._in_file = True
        filename = options.get(b"filename")
        if filename:
            self.filename = filename.decode("utf-8", "replace").replace("\x00", "")[:MAX_FILENAME] or None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(data[start:end])

    def _part_end(self) -> None:
        self._in_file = False

    def _end(self) -> None:
        self._ended = True
