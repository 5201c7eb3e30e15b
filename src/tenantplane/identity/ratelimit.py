"""A per-caller request rate limit: a token bucket per credential (an API token, a user's bearer or session), kept
in each API process, answering 429 with `Retry-After` once a caller has spent its burst.

One script looping on the API (a runaway integration, a webhook relay gone wrong) cannot take the process's time
from everyone else: each caller gets `api_rate_per_second` requests per second sustained and `api_rate_burst` at
once. The buckets live in the process (no database write per request): with `serve --workers N` a caller may reach
N times the rate in total, which the README says. `api_rate_per_second = 0` turns the limit off.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from tenantplane.kit.errors import TooManyRequests

# Callers remembered per process; the least recently seen are forgotten first (a forgotten one starts full).
MAX_CALLERS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by caller key; `take` spends one request or raises `TooManyRequests`."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second, self.burst = per_second, max(1, burst)
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> None:
        if self.per_second <= 0:
            return
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self.buckets[key] = bucket
            if len(self.buckets) > MAX_CALLERS:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
        if bucket.tokens < 1:
            wait = (1 - bucket.tokens) / self.per_second
            raise TooManyRequests(
                f"Too many requests from this caller: at most {self.per_second:g} per second "
                f"(bursts of {self.burst}); retry after the Retry-After seconds.",
                retry_after=max(1, math.ceil(wait)),
            )
        bucket.tokens -= 1
