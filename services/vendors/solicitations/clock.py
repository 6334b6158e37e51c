"""The server clock that every procurement rule is judged by.

A request reads the clock once (`Now`), so that all its rules agree on one instant: a bid is on time
or late, a solicitation open or closed, by the same reading. Tests move time by overriding the
`request_time` dependency; nothing sleeps and nothing is scheduled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from services.common.db import utcnow


async def request_time() -> datetime:
    return utcnow()


Now = Annotated[datetime, Depends(request_time)]
