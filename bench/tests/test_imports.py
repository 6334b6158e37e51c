"""The import benchmark end to end at a tiny size: every leg runs, every line of the file loads through the
API, and the figures and verdicts it records are the ones it printed. Timing itself is not judged here."""

from __future__ import annotations

import argparse
import csv
import os
import random
from pathlib import Path

from bench import imports


def test_the_two_files_hold_the_same_lines(tmp_path: Path):
    firms = [
        imports.Firm(id=f"00000000-0000-7000-8000-{n:012d}", scheme="CA-SOS", identifier=f"C{n:07d}", name=f"Firm {n}",
                     codes=["620-80"], weight=1.0 + n)
        for n in range(20)
    ]  # fmt: skip
    upload, resolved = imports.write_files(firms, 500, tmp_path, random.Random(1))
    with upload.open() as raw_file, resolved.open() as resolved_file:
        raw, facts = list(csv.DictReader(raw_file)), list(csv.DictReader(resolved_file))
    assert len(raw) == len(facts) == 500
    by_identifier = {firm.identifier: firm.id for firm in firms}
    by_name = {firm.name: firm.id for firm in firms}
    for line, fact in zip(raw, facts, strict=True):
        paid_to = by_identifier.get(line["vendor_identifier"]) or by_name[line["vendor_name"]]
        assert (line["external_ref"], line["amount"], line["paid_date"]) == (
            fact["external_ref"],
            fact["amount"],
            fact["paid_date"],
        )
        assert fact["vendor_id"] == paid_to
        assert (line["tier"] == "sub") == bool(fact["prime_vendor_id"])


def test_a_tiny_run_loads_every_line_and_records_its_verdicts(tmp_path: Path, monkeypatch):
    if os.environ.get("CITYOPS_TEST_DATABASE_URL"):
        monkeypatch.setenv("CITYOPS_BENCH_DATABASE_URL", os.environ["CITYOPS_TEST_DATABASE_URL"])
    args = argparse.Namespace(import_lines=300, import_vendors=60, import_through_gateway=True)
    figures = imports.benchmark(args, tmp_path)
    assert figures["import_report"] == {"rows": 300, "loaded": 300, "already_present": 0, "failed": 0}
    assert figures["import_through_gateway_report"] == {"status": "completed", "loaded": 300, "failed": 0}
    assert set(figures["ratios"]) == {"import_vs_bare_copy", "import_vs_copy_into_payments"}
    assert [verdict["ratio"] for verdict in figures["targets"]] == list(figures["ratios"])
    assert all(verdict["met"] == (verdict["value"] >= imports.TARGET) for verdict in figures["targets"])
    assert not list(tmp_path.glob("payments*.csv"))  # the files are removed after the run
