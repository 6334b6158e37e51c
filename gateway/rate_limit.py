"""Per-client rate limiting with the `limits` library: a sliding window counter in this process's memory.

The sliding window counter keeps two counters per client (this window and the last, weighted by how
much of it still overlaps) instead of a timestamp per request, so each check costs the same whatever the
limit, and memory stays two numbers per client. (The library's moving window also hands each expiry
sweep to a thread, a thread hop on every request.)

Each gateway replica counts on its own; behind N replicas a client may make up to N times the limit,
which is the accepted price of keeping the gateway free of shared state.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """The IETF draft's RateLimit-* fields, and Retry-After when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


class ClientRateLimiter:
    def __init__(self, rate: str) -> None:
        self.item = parse(rate)
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def hit(self, client: str) -> RateDecision:
        allowed = await self.limiter.hit(self.item, client)
        stats = await self.limiter.get_window_stats(self.item, client)
        # The time until the weighted count next drops by one, when the next slot frees.
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return RateDecision(allowed, self.item.amount, stats.remaining, reset)
