"""The compiled release: a process's releases merged by the OCDS 1.1 merge rules (`ocdsmerge`).

The rules are written here rather than read from the release schema at start-up, so the service never
downloads the standard. They are those of the OCDS 1.1 release schema (which fields are discarded,
which lists are replaced whole) patched by the extensions the packages declare: the bids extension
adds its bids' tenderers' identifiers, and the organization classification extension replaces a
party's certifications whole, so that one lapsed while others hold leaves the compiled release. The
tests check them against the published schema and extensions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocdsmerge import Merger
from ocdsmerge.rules import MergeRules

OMIT = "omitWhenMerged"
WHOLE = "wholeListMerge"

MERGE_RULES: MergeRules = {
    ("id",): OMIT,
    ("date",): OMIT,
    ("tag",): OMIT,
    ("parties", "roles"): WHOLE,
    ("parties", "additionalIdentifiers"): WHOLE,
    ("parties", "details", "classifications"): WHOLE,
    ("buyer", "additionalIdentifiers"): WHOLE,
    ("relatedProcesses", "relationship"): WHOLE,
    ("tender", "submissionMethod"): WHOLE,
    ("tender", "additionalProcurementCategories"): WHOLE,
    ("tender", "items", "additionalClassifications"): WHOLE,
    ("tender", "procuringEntity", "additionalIdentifiers"): WHOLE,
    ("tender", "tenderers", "additionalIdentifiers"): WHOLE,
    ("tender", "amendment", "changes"): WHOLE,
    ("tender", "amendments", "changes"): WHOLE,
    ("bids", "details", "tenderers", "additionalIdentifiers"): WHOLE,
    ("awards", "items", "additionalClassifications"): WHOLE,
    ("awards", "suppliers", "additionalIdentifiers"): WHOLE,
    ("awards", "amendment", "changes"): WHOLE,
    ("awards", "amendments", "changes"): WHOLE,
    ("contracts", "items", "additionalClassifications"): WHOLE,
    ("contracts", "relatedProcesses", "relationship"): WHOLE,
    ("contracts", "amendment", "changes"): WHOLE,
    ("contracts", "amendments", "changes"): WHOLE,
    ("contracts", "implementation", "transactions", "payer", "additionalIdentifiers"): WHOLE,
    ("contracts", "implementation", "transactions", "payee", "additionalIdentifiers"): WHOLE,
}

_merger = Merger(merge_rules=MERGE_RULES)


def compiled_release(ocid: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """Merges releases given oldest first (their `date` is a datetime); the result is dated by the last."""
    compiled = _merger.create_compiled_release(releases)
    last: datetime = releases[-1]["date"]
    compiled["date"] = last
    # ocdsmerge names it `<ocid>-<date>` from the date's text; this keeps that form in RFC 3339.
    compiled["id"] = f"{ocid}-{last.isoformat()}"
    return compiled
