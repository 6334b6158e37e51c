"""A budget of refused attempts per caller: `AttemptLimit("10/hour")`, then 429 with Retry-After.

For answers that confirm a guess (a TIN another vendor holds): each confirmation is counted, and a
caller who has used the budget is refused every such request, confirming or not, until the window has
slid on, so that the refusal itself says nothing. A sliding window counter of the `limits` library, as
the gateway's rate limit, in this process's memory: behind N replicas a caller gets up to N budgets,
the price of keeping services free of shared state for a rare path.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from services.common.problems import TooManyRequests


class AttemptLimit:
    def __init__(self, rate: str, *, what: str) -> None:
        self.item = parse(rate)  # a malformed rate stops the start
        self.what = what
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def check(self, caller: str) -> None:
        """429 when `caller` has no attempt left in the window."""
        if await self._limiter.test(self.item, caller):
            return
        stats = await self._limiter.get_window_stats(self.item, caller)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            f"Too many {self.what} from this caller (at most {self.item}). Retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )

    async def count(self, caller: str) -> None:
        await self._limiter.hit(self.item, caller)
