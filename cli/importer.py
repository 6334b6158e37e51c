"""`cityops import FILE --kind payments`: stream a CSV file to the imports API and show its report.

The file is read and sent in blocks, never held whole, behind a progress bar of bytes sent; the import
runs asynchronously on the server (`Prefer: respond-async`), so no proxy deadline cuts a long load
short, and the command polls its report until it completes. It talks HTTP only, to the gateway or a
service, like any other client.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

IMPORTS_PATH = "/v1/procurement/imports"
BLOCK_BYTES = 1024 * 1024
POLL_SECONDS = (0.2, 0.5, 1.0, 2.0)
ERRORS_SHOWN = 10


class ImportRefused(Exception):
    """The server refused the upload; the message is its problem document, summarised."""


@dataclass(frozen=True)
class ImportTarget:
    base_url: str
    token: str
    timeout: float = 60.0


def _blocks(path: Path, progress: Progress, task: Any) -> Iterator[bytes]:
    with path.open("rb") as file:
        while block := file.read(BLOCK_BYTES):
            progress.advance(task, len(block))
            yield block


def upload(path: Path, kind: str, target: ImportTarget, console: Console) -> dict[str, Any]:
    """Sends the file and waits for its import to finish; returns the final report."""
    headers = {
        "Authorization": f"Bearer {target.token}",
        "Content-Type": "text/csv",
        "Prefer": "respond-async",
    }
    timeout = httpx.Timeout(target.timeout, connect=10.0)
    with httpx.Client(base_url=target.base_url, timeout=timeout) as client:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"sending {path.name}", total=path.stat().st_size)
            response = client.post(
                IMPORTS_PATH,
                params={"kind": kind, "filename": path.name},
                content=_blocks(path, progress, task),
                headers=headers,
            )
        report = _answer(response)
        if response.status_code == httpx.codes.ACCEPTED:
            with console.status(f"checking and loading {report.get('rows') or 0:,} rows…"):
                report = _wait(client, response.headers["location"], headers["Authorization"])
        return report


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (httpx.codes.OK, httpx.codes.CREATED, httpx.codes.ACCEPTED):
        body: dict[str, Any] = response.json()
        return body
    try:
        problem = response.json()
    except ValueError:
        raise ImportRefused(f"{response.status_code}: {response.text[:500]}") from None
    lines = [f"{response.status_code} {problem.get('title', '')}: {problem.get('detail', '')}".rstrip(": ")]
    lines += [
        f"  {'/'.join(map(str, error.get('location', [])))}: {error.get('message')}"
        for error in problem.get("errors") or []
    ]
    raise ImportRefused("\n".join(lines))


def _wait(client: httpx.Client, location: str, authorization: str) -> dict[str, Any]:
    attempt = 0
    while True:
        report = _answer(client.get(location, headers={"Authorization": authorization}))
        if report["status"] != "processing":
            return report
        time.sleep(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)])
        attempt += 1


def summary(report: dict[str, Any]) -> list[str]:
    """The report as the command prints it."""
    lines = [
        f"import {report['id']}: {report['status']}",
        f"  rows {report['rows'] or 0:,}: loaded {report['loaded']:,}, "
        f"already present {report['already_present']:,}, failed {report['failed']:,}",
    ]
    if report.get("matched_by_identifier") is not None:
        lines.append(
            f"  vendors found by identifier on {report['matched_by_identifier']:,} rows, by name on "
            f"{report['matched_by_name']:,}"
        )
    if report.get("failure"):
        lines.append(f"  {report['failure']}")
    for error in report.get("errors", [])[:ERRORS_SHOWN]:
        column = f" {error['column']}" if error.get("column") else ""
        lines.append(f"  line {error['line']}{column}: {error['message']} ({error['code']})")
    if report.get("error_count", 0) > ERRORS_SHOWN:
        lines.append(f"  … {report['error_count']:,} errors in all: GET {IMPORTS_PATH}/{report['id']}/errors")
    return lines
