"""Problems an upload can be refused with, before any of its rows is looked at."""

from __future__ import annotations

from typing import ClassVar

from services.common.problems import AppError, Conflict, UnprocessableEntity


class InvalidCsv(UnprocessableEntity):
    """The file as a whole cannot be read as this import's CSV: a bad header, a broken quote, a row with
    too many fields, text that is not UTF-8. Nothing of it is loaded; `line` says where it broke."""

    slug: ClassVar[str] = "invalid-csv"
    title: ClassVar[str] = "The file is not CSV this import can read"


class UnsupportedMediaType(AppError):
    status: ClassVar[int] = 415
    slug: ClassVar[str] = "unsupported-media-type"
    title: ClassVar[str] = "Unsupported media type"


class LoadedMeanwhile(Conflict):
    """A line of the file was recorded by another request (the payments API) while the import ran."""

    slug: ClassVar[str] = "loaded-meanwhile"
    title: ClassVar[str] = "A line of the file was recorded by another request meanwhile"
