"""CSV cells a spreadsheet would run as formulas are written inert (OWASP: a leading single quote), and
an uploaded cell kept inert by a leading tab is not trimmed into a live formula."""

from __future__ import annotations

import pytest

from services.common.csv_cells import exported_cell, imported_cell


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example","Open")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1",
    ],
)
def test_formula_cells_are_exported_behind_a_quote(cell):
    assert exported_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["Boyle Heights Paving LLC", "-40.00", "1250.00", "-7", "", "'=already inert"]
)
def test_other_cells_and_plain_numbers_are_exported_as_they_are(cell):
    assert exported_cell(cell) == cell


def test_an_imported_cell_is_trimmed():
    assert imported_cell("  Harbor Striping LLC \t") == "Harbor Striping LLC"
    assert imported_cell(" -40.00 ") == "-40.00"


@pytest.mark.parametrize("raw", ["\t=HYPERLINK(1)", "\r@SUM(A1)", " \t+cmd"])
def test_an_imported_cell_kept_inert_by_a_tab_stays_inert(raw):
    assert imported_cell(raw) == "'" + raw.strip()


def test_an_imported_leading_quote_is_kept():
    assert imported_cell("'=1+1") == "'=1+1"
