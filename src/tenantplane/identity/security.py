"""Password hashing (argon2), signed access tokens (JWT) and personal API token secrets.

API token secrets are 32 random bytes, so a SHA-256 digest is a safe and fast way to store them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
API_TOKEN_PREFIX = "tpat_"
VERIFIED_TOKENS_KEPT = 10_000
_verified: dict[tuple[str, str], tuple[TokenClaims, float]] = {}
TokenKind = Literal["access", "session", "platform"]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    kind: TokenKind
    subject: uuid.UUID
    tenant_id: uuid.UUID | None
    generation: int
    csrf: str | None
    session_id: uuid.UUID | None = None


def issue_token(
    key: str,
    *,
    kind: TokenKind,
    subject: uuid.UUID,
    tenant_id: uuid.UUID | None,
    generation: int,
    ttl_seconds: int,
    csrf: str | None = None,
    session_id: uuid.UUID | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "kind": kind,
        "sub": str(subject),
        "tid": str(tenant_id) if tenant_id else None,
        "gen": generation,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    if csrf:
        claims["csrf"] = csrf
    if session_id:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, key, algorithm="HS256")


def read_token(key: str, token: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token, or None.

    A token's claims cannot change, so a verified one is remembered (keyed on key and token) until it expires:
    a client sending the same token on every request pays for the signature check once. Only what is checked
    here is remembered; whether the user, session or generation is still good is asked of the database each time.
    """
    cache_key = (key, token)
    known = _verified.get(cache_key)
    if known is not None:
        claims, expires_at = known
        if time.time() < expires_at:
            return claims
        _verified.pop(cache_key, None)
    try:
        decoded = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub", "kind"]})
        claims = TokenClaims(
            kind=decoded["kind"],
            subject=uuid.UUID(decoded["sub"]),
            tenant_id=uuid.UUID(decoded["tid"]) if decoded.get("tid") else None,
            generation=int(decoded.get("gen", 0)),
            csrf=decoded.get("csrf"),
            session_id=uuid.UUID(decoded["sid"]) if decoded.get("sid") else None,
        )
        expires_at = float(decoded["exp"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
    if len(_verified) >= VERIFIED_TOKENS_KEPT:
        _verified.clear()  # a crude bound: at worst every token in use is verified once more
    _verified[cache_key] = (claims, expires_at)
    return claims


def new_api_token() -> tuple[str, str, str]:
    """A fresh API token: (the secret shown once, its display prefix, its stored digest)."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[: len(API_TOKEN_PREFIX) + 6], digest(secret)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
