"""Dates and instants as query parameters take them: the kernel's (services/common/wire.py), ISO 8601
text of a bounded length only."""

from __future__ import annotations

from services.common.wire import ISO_DATE, IsoDate, ReportDay, Timestamp

__all__ = ["ISO_DATE", "IsoDate", "ReportDay", "Timestamp"]
