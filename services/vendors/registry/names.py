"""Name normalisation: how `ACME Construction, Inc.` and `Acme Construction Incorporated` meet.

NFKC, lower case, `&` as `and`, punctuation dropped, and legal-form suffixes removed wherever they
stand at the end (`Inc`, `L.L.C.`, `Corp`, …), so that search and duplicate detection compare the
names people mean rather than how they were typed.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "llc", "corp", "corporation", "co", "company", "ltd", "limited",
        "lp", "llp", "pc", "pllc", "plc", "dba", "pa",
    }
)  # fmt: skip
_DOTTED_ABBREVIATION = re.compile(r"\b(?:[a-z]\.){2,}")
_NON_WORD = re.compile(r"[^\w\s]+")


def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    # "l.l.c." and "p.c." become "llc" and "pc" before punctuation turns dots into spaces.
    text = _DOTTED_ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), text)
    words = _NON_WORD.sub(" ", text).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def search_terms(query: str) -> list[str]:
    """The words of a `q` search, normalised as names are, for a prefix full-text query."""
    normalized = normalize_name(query)
    return [word for word in normalized.split() if word][:8]
