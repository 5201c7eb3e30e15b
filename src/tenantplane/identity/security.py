"""Password hashing (argon2), signed access tokens (JWT) and personal API token secrets.

API token secrets are 32 random bytes, so a SHA-256 digest is a safe and fast way to store them.
"""

from __future__ import annotations

import hashlib
import secrets
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
    """The claims of a valid, unexpired token, or None."""
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub", "kind"]})
        return TokenClaims(
            kind=claims["kind"],
            subject=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]) if claims.get("tid") else None,
            generation=int(claims.get("gen", 0)),
            csrf=claims.get("csrf"),
            session_id=uuid.UUID(claims["sid"]) if claims.get("sid") else None,
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None


def new_api_token() -> tuple[str, str, str]:
    """A fresh API token: (the secret shown once, its display prefix, its stored digest)."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[: len(API_TOKEN_PREFIX) + 6], digest(secret)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
