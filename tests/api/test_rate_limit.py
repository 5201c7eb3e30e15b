"""The per-caller API rate limit: a caller past its burst gets 429 with `Retry-After` and a problem body; other
callers are not slowed by it; the bucket refills at the sustained rate."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tenantplane.identity.ratelimit import MAX_CALLERS, RateLimiter
from tenantplane.kit.errors import TooManyRequests
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext


@pytest.fixture
def settings(clean_database: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=clean_database,
        data_dir=tmp_path,
        secret_key="test-secret-key-" + "x" * 32,
        log_format="console",
        log_level="WARNING",
        api_rate_per_second=2,
        api_rate_burst=3,
    )


async def test_a_caller_past_its_burst_is_refused_and_others_are_not(tenant: TenantContext) -> None:
    other = await tenant.user()  # the admin's call: wait till its bucket is full again
    await asyncio.sleep(1.6)
    answers = [await tenant.client.get("/api/me", headers=tenant.admin.headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"].endswith("/too-many-requests")
    assert (await tenant.client.get("/api/me", headers=other.headers)).status_code == 200, "buckets are per caller"
    await asyncio.sleep(0.6)  # 2 per second: one more request's worth
    assert (await tenant.client.get("/api/me", headers=tenant.admin.headers)).status_code == 200


def test_the_bucket_refills_at_the_rate_and_never_past_the_burst() -> None:
    limiter = RateLimiter(per_second=10, burst=2)
    limiter.take("a", now=0.0)
    limiter.take("a", now=0.0)
    with pytest.raises(TooManyRequests) as refused:
        limiter.take("a", now=0.0)
    assert refused.value.retry_after == 1
    limiter.take("a", now=0.1)  # 0.1 s at 10/s is one request
    with pytest.raises(TooManyRequests):
        limiter.take("a", now=0.1)
    limiter.take("a", now=100.0)
    limiter.take("a", now=100.0)
    with pytest.raises(TooManyRequests):
        limiter.take("a", now=100.0)  # a long quiet spell refills to the burst, not beyond


def test_an_unlimited_limiter_and_a_bounded_memory() -> None:
    off = RateLimiter(per_second=0, burst=1)
    for _ in range(100):
        off.take("a", now=0.0)
    limiter = RateLimiter(per_second=1, burst=1)
    for n in range(MAX_CALLERS + 10):
        limiter.take(f"caller-{n}", now=0.0)
    assert len(limiter.buckets) == MAX_CALLERS
