"""CSV cells that a spreadsheet cannot run: every CSV the platform writes passes its cells through
`exported_cell`, and every CSV it reads through `imported_cell`.

A spreadsheet opening a CSV takes a cell starting with `=`, `+`, `-` or `@` for a formula, and a tab
or carriage return before one does not always stop it. A vendor named `=HYPERLINK("http://…")` would
otherwise be a live link, or a command, in the hands of whoever opens a report. OWASP's rule
("CSV Injection"): prefix such a cell with a single quote, which spreadsheets show as text. Plain
numbers, negative ones included, are left alone: `-40.00` is a refund, not a formula, and a quote
would make it text.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def exported_cell(text: str) -> str:
    """The cell as written into a CSV: inert for a spreadsheet."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def imported_cell(raw: str) -> str:
    """The cell as read from an uploaded CSV, without surrounding whitespace.

    A tab or carriage return before a formula character is what kept the cell inert in the sender's
    spreadsheet. Trimming it would hand on a live formula, so it becomes the quote an export would
    have written; a leading quote is kept as it is."""
    text = raw.strip()
    leading = raw[: len(raw) - len(raw.lstrip())]
    if ("\t" in leading or "\r" in leading) and text != exported_cell(text):
        return "'" + text
    return text
