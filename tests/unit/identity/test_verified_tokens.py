"""A verified token's claims are remembered until it expires, and only for the key that verified it."""

from __future__ import annotations

import time
import uuid

import pytest

from tenantplane.identity import security
from tenantplane.identity.security import issue_token, read_token

KEY = "unit-test-key-" + "x" * 32


def _token(ttl_seconds: int = 60) -> str:
    return issue_token(
        KEY, kind="access", subject=uuid.uuid4(), tenant_id=uuid.uuid4(), generation=3, ttl_seconds=ttl_seconds
    )


def test_a_remembered_token_reads_the_same_claims() -> None:
    token = _token()
    first = read_token(KEY, token)
    assert first is not None
    assert read_token(KEY, token) == first
    assert first.generation == 3


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    token = _token(ttl_seconds=1)
    assert read_token(KEY, token) is not None
    time.sleep(1.1)
    assert read_token(KEY, token) is None


def test_a_token_verified_with_one_key_is_not_accepted_with_another() -> None:
    token = _token()
    assert read_token(KEY, token) is not None
    assert read_token("another-key-" + "y" * 32, token) is None


def test_a_tampered_token_is_refused_even_when_the_original_is_remembered() -> None:
    token, other = _token(), _token()
    assert read_token(KEY, token) is not None
    head, _, signature = token.split(".")
    assert read_token(KEY, f"{head}.{other.split('.')[1]}.{signature}") is None


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "VERIFIED_TOKENS_KEPT", 3)
    for _ in range(10):
        assert read_token(KEY, _token()) is not None
    assert len(security._verified) <= 3
