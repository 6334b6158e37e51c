"""Category levels: where each commodity scheme's hierarchy cuts a code.

Level 1 is the broadest (NIGP class `620`, UNSPSC segment, NAICS sector), level 2 the next (NIGP
class-item `620-80`), level 3 the next (`620-80-21`), level 4 the code as recorded. A code recorded
above a level stays as it is there (a line coded `620` is `620` at every level).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, func
from sqlalchemy.sql.elements import ColumnElement

# Characters of the code kept at levels 1 to 3 (NIGP codes are stored dashed).
LEVEL_LENGTHS: dict[str, tuple[int, int, int]] = {
    "nigp": (3, 6, 9),
    "unspsc": (2, 4, 6),
    "naics": (2, 3, 4),
}
FINEST_LEVEL = 4
# `spend_category_yearly` keeps codes at this level, so reports at it or above can read it.
ROLLUP_LEVEL = 2


def level_length(scheme: str, level: int) -> int | None:
    """How many characters of a `scheme` code `level` keeps; None for the whole code."""
    if level >= FINEST_LEVEL:
        return None
    return LEVEL_LENGTHS[scheme][level - 1]


def code_at_level(scheme: ColumnElement[Any], code: ColumnElement[Any], level: int) -> ColumnElement[str]:
    """The SQL of `code` cut at `level` of its scheme's hierarchy."""
    if level >= FINEST_LEVEL:
        return code
    lengths = {name: lengths[level - 1] for name, lengths in LEVEL_LENGTHS.items()}
    return func.left(code, case(lengths, value=scheme, else_=func.length(code)), type_=String)
