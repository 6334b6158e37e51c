"""Per-client rate limiting with the `limits` library: a moving window in this process's memory.

Each gateway replica counts on its own; behind N replicas a client may make up to N times the limit,
which is the accepted price of keeping the gateway free of shared state.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


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
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, client: str) -> RateDecision:
        allowed = await self.limiter.hit(self.item, client)
        stats = await self.limiter.get_window_stats(self.item, client)
        # In a moving window the oldest request leaving the window frees the next slot.
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return RateDecision(allowed, self.item.amount, stats.remaining, reset)
