"""Numbers on the wire are ASCII: Python's `\\d`, `int()` and `Decimal()` also read other scripts'
digits, so `"١٢.00"` would otherwise be stored as 12.00 and `"v¹"` match version 1."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from services.common.concurrency import NO_VERSION, expected_version
from services.common.money import ASCII_NUMBER, Amount, Money
from services.common.problems import InvalidEntityTag

OTHER_SCRIPTS = ["١٢.00", "１２.00", "۱۲.00", "१२.00"]  # Arabic-Indic, fullwidth, Persian, Devanagari


@pytest.mark.parametrize("amount", OTHER_SCRIPTS)
def test_money_amounts_in_other_scripts_digits_are_refused(amount):
    with pytest.raises(ValidationError):
        TypeAdapter(Money).validate_python({"amount": amount, "currency": "USD"})


def test_ascii_amounts_still_parse():
    assert TypeAdapter(Amount).validate_python(" 12.5 ") == Decimal("12.50")


@pytest.mark.parametrize("quantity", ["١٢", "１２", "12²"])
def test_a_plain_decimal_field_guarded_by_ascii_number_refuses_other_digits(quantity):
    adapter = TypeAdapter(Annotated[Decimal, ASCII_NUMBER, Field(gt=0)])
    with pytest.raises(ValidationError):
        adapter.validate_python(quantity)
    assert adapter.validate_python("12") == Decimal(12)


# As a header arrives (bytes read as Latin-1): other scripts' digits are obs-text, inside an entity-tag.
@pytest.mark.parametrize("tag", ['"v١"', '"v１"', '"v1_0"', '"v¹"'])
def test_if_match_versions_are_ascii_digits(tag):
    assert expected_version(tag.encode().decode("latin-1")) == NO_VERSION


@pytest.mark.parametrize("tag", ['"v 1"', "v1", "1"])
def test_if_match_that_is_not_an_entity_tag_is_refused(tag):
    with pytest.raises(InvalidEntityTag):
        expected_version(tag)


def test_if_match_with_an_ascii_version_reads_it():
    assert expected_version('"v12"') == 12
