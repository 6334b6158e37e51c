"""Every OpenAPI document CityOps publishes passes Spectral (spectral:oas and the OWASP API ruleset) and
Redocly (recommended) with the committed configuration in tools/contract: 0 errors. The warnings are
printed at the end of the run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .toolkit import REDOCLY_CONFIG, SPECTRAL_RULESET, TOOLS, Findings, redocly, snapshots, spectral

pytestmark = pytest.mark.contract

SNAPSHOTS = {str(path.parent.name): path for path in snapshots()}


def document_path(name: str, gateway_document_path: Path) -> Path:
    return gateway_document_path if name == "gateway" else SNAPSHOTS[name]


# Spectral errors still open, each needing a limit the server does not enforce yet, so that declaring
# one would make the document promise what the server does not keep: arrays whose length no rule bounds
# today (a merge adds both vendors' lists; bids, addenda and parcels per record have no cap; polygon rings
# and points), decimals written as strings without a length, and two bodies without a length of their
# own (a CSV rent schedule, an uploaded file). The list only shrinks: a new error anywhere fails, and so
# does an entry here that no document reports any more.
OPEN: set[tuple[str, str]] = {
    ("owasp:api4:2023-array-limit", f"components.schemas.{schema}.properties.{field}")
    for schema, fields in {
        "Asset": ("apns", "warnings"),
        "PublicAsset": ("apns",),
        "Bid": ("acknowledged_addenda", "missing_addenda"),
        "TabulatedBid": ("acknowledged_addenda", "missing_addenda"),
        "Tabulation": ("bids",),
        "Ranking": ("bids",),
        "RankedBid": ("preferences", "points", "open_issues"),
        "CertifyingAgency": ("certification_types",),
        "DirectoryEntry": ("dba_names", "commodity_codes", "certifications"),
        "DuplicateCandidate": ("reasons",),
        "MetricSeries": ("points",),
        "Vendor": ("dba_names", "identifiers", "addresses", "contacts", "commodity_codes"),
        "GeoPolygon": ("coordinates",),
    }.items()
    for field in fields
} | {
    ("owasp:api4:2023-array-limit", "components.schemas.GeoPolygon.properties.coordinates.items"),
    *(
        ("owasp:api4:2023-string-limit", f"components.schemas.{schema}.properties.{field}")
        for schema, field in (
            ("CpiEscalation", "floor_percent"),
            ("CpiEscalation", "cap_percent"),
            ("CpiMonthValue", "value"),
            ("CpiValue", "value"),
            ("CpiValuePut", "value"),
            ("FixedPercentEscalation", "percent"),
        )
    ),
    (
        "owasp:api4:2023-string-limit",
        "paths./v1/real-estate/leases/{lease_id}/rent-schedule.csv.get.responses.200.content.text/csv.schema",
    ),
    (
        "owasp:api4:2023-string-limit",
        "paths./v1/procurement/imports.post.requestBody.content.multipart/form-data.schema.properties.file",
    ),
}


def error_locations(findings: Findings) -> set[tuple[str, str]]:
    """(rule, where) of each error: the listing's lines read `error   <rule>: <message> at <where>`."""
    found = set()
    for line in findings.listing:
        if line.startswith("error"):
            rule = line.split()[1].rstrip(":")
            found.add((rule, line.rsplit(" at ", 1)[1]))
    return found


def assert_no_errors(findings: Findings, allowed: set[tuple[str, str]] | None = None) -> None:
    located = error_locations(findings)
    new = sorted(located - (allowed or set()))
    shown = "\n".join(f"{rule} at {where}" for rule, where in new[:60])
    assert not new, f"{findings.summary()}\n\n{len(new)} errors beyond the open list:\n{shown}"


def test_there_are_snapshots_to_lint() -> None:
    assert SNAPSHOTS, "no services/*/openapi.json found"


@pytest.mark.parametrize("name", [*SNAPSHOTS, "gateway"])
def test_spectral_oas_and_owasp_find_no_error(name, gateway_document_path, lint_findings) -> None:
    findings = spectral(document_path(name, gateway_document_path))
    lint_findings.append(findings)
    assert_no_errors(findings, OPEN)


def test_every_open_spectral_error_is_still_found(gateway_document_path) -> None:
    """Run after the documents are linted: an entry of `OPEN` that no document reports is fixed, and goes."""
    seen: set[tuple[str, str]] = set()
    for name in [*SNAPSHOTS, "gateway"]:
        seen |= error_locations(spectral(document_path(name, gateway_document_path)))
    assert sorted(OPEN - seen) == []


@pytest.mark.parametrize("name", [*SNAPSHOTS, "gateway"])
def test_redocly_recommended_finds_no_error(name, gateway_document_path, lint_findings) -> None:
    findings = redocly(document_path(name, gateway_document_path))
    lint_findings.append(findings)
    assert_no_errors(findings)


# A rule set to `off`, `warn`, `info` or `hint`, or a new rule defined in place of a stock one.
RULE_SETTING = re.compile(r"^\s+(?P<rule>[\w:.-]+):\s*(?P<value>off|warn|info|hint|error)?\s*$")


@pytest.mark.parametrize("config", [SPECTRAL_RULESET, REDOCLY_CONFIG], ids=lambda p: p.name)
def test_every_rule_turned_off_or_down_has_its_reason_beside_it(config: Path) -> None:
    lines = config.read_text(encoding="utf-8").splitlines()
    unexplained = []
    for number, line in enumerate(lines):
        match = RULE_SETTING.match(line)
        if not match or match["value"] in (None, "error"):
            continue
        above = next((lines[i].strip() for i in range(number - 1, -1, -1) if lines[i].strip()), "")
        if not above.startswith("#"):
            unexplained.append(f"{config.name}:{number + 1}: {line.strip()}")
    assert not unexplained, "a rule turned off or down needs a comment saying why, just above:\n" + "\n".join(
        unexplained
    )


def probe_document() -> dict:
    """A document with what the stock rules replaced in .spectral.yaml were there to catch."""
    parameter = {"in": "query", "schema": {"type": "string", "maxLength": 10, "format": "uuid"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "probe", "version": "1", "description": "probe", "contact": {"name": "probe"}},
        "servers": [
            {"url": "http://localhost:8000", "description": "local development", "x-internal": True},
            {"url": "http://api.example.city", "description": "production", "x-internal": False},
        ],
        "paths": {
            "/v1/things/{thing_id}": {
                "get": {
                    "operationId": "things_get",
                    "description": "probe",
                    "tags": ["things"],
                    "parameters": [
                        {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {
                            "name": "owner_id",
                            "in": "query",
                            "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                        },
                        {"name": "place_id", **parameter},
                        {"name": "page_token", **parameter},
                        {"name": "access_token", **parameter},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }


def test_the_rules_replacing_stock_ones_still_catch_what_those_caught(tmp_path: Path) -> None:
    probe = TOOLS / "build" / f"probe-{tmp_path.name}.json"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text(json.dumps(probe_document()), encoding="utf-8")
    try:
        findings = spectral(probe)
    finally:
        probe.unlink()
    parameters = "paths./v1/things/{thing_id}.get.parameters"
    assert {
        ("cityops-no-numeric-ids", f"{parameters}.0.schema"),  # an integer id
        ("cityops-no-numeric-ids", f"{parameters}.1.schema"),  # an optional integer id
        ("cityops-no-credentials-in-url", f"{parameters}.4.name"),  # a token in the URL
        ("cityops-no-server-http", "servers.1.url"),  # plain http beyond the loopback
    } <= findings.located, findings.listing
    # What the replacements let through: a UUID id, the page cursor, the loopback development server.
    assert (
        not {
            ("cityops-no-numeric-ids", f"{parameters}.2.schema"),
            ("cityops-no-credentials-in-url", f"{parameters}.3.name"),
            ("cityops-no-server-http", "servers.0.url"),
        }
        & findings.located
    )
