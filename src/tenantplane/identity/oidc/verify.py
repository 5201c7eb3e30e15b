"""The identity provider as we see it: its discovery document and keys (fetched through the egress guard, cached),
and the check of an ID token (signature, issuer, audience, nonce, expiry; an unknown key id refetches the keys once).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tenantplane.kit.egress import EgressDenied, check_url, checked_transport, denial_of

CACHE_SECONDS = 3600.0  # discovery and keys are fetched again after an hour (or at once for an unknown key id)
LEEWAY_SECONDS = 60  # clock skew allowed between the IdP and us
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
FETCH_TIMEOUT = httpx.Timeout(10.0)


class OidcError(Exception):
    """A sign-in (or a connection test) failed; `reason` is a short code the sign-in page explains."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Egress:
    """The allow-lists a fetch from the IdP is held to: the operator's (private addresses) and the tenant's."""

    operator_allowed: tuple[str, ...]
    tenant_allowed: tuple[str, ...] = ()

    @classmethod
    def of(cls, operator_setting: str, tenant_allowed: Iterable[str]) -> Egress:
        return cls(tuple(h.strip() for h in operator_setting.split(",") if h.strip()), tuple(tenant_allowed))

    def client(self) -> httpx.AsyncClient:
        transport = checked_transport(operator_allowed=self.operator_allowed, tenant_allowed=self.tenant_allowed)
        return httpx.AsyncClient(transport=transport, timeout=FETCH_TIMEOUT, follow_redirects=False)


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


async def fetch_json(egress: Egress, url: str) -> dict[str, Any]:
    """GET a JSON object from the IdP; every problem becomes an OidcError naming the URL."""
    try:
        await check_url(url, operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed)
    except EgressDenied as refused:
        raise OidcError("idp_unreachable", refused.detail) from refused
    try:
        async with egress.client() as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        denied = denial_of(error)
        raise OidcError("idp_unreachable", denied.detail if denied else f"{url}: {error!r}") from error
    if response.status_code != 200:
        raise OidcError("idp_unreachable", f"{url} answered {response.status_code}.")
    try:
        body = response.json()
    except ValueError as error:
        raise OidcError("idp_unreachable", f"{url} did not answer JSON.") from error
    if not isinstance(body, dict):
        raise OidcError("idp_unreachable", f"{url} did not answer a JSON object.")
    return body


def _discovery_of(issuer: str, body: dict[str, Any]) -> Discovery:
    found = str(body.get("issuer", "")).rstrip("/")
    if found != issuer.rstrip("/"):
        raise OidcError("idp_misconfigured", f"The discovery document names the issuer '{found}', not '{issuer}'.")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not isinstance(body.get(k), str)]
    if missing:
        raise OidcError("idp_misconfigured", f"The discovery document lacks {', '.join(missing)}.")
    userinfo = body.get("userinfo_endpoint")
    return Discovery(
        issuer=str(body["issuer"]),
        authorization_endpoint=body["authorization_endpoint"],
        token_endpoint=body["token_endpoint"],
        jwks_uri=body["jwks_uri"],
        userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
    )


def _key_set(uri: str, body: dict[str, Any]) -> KeySet:
    try:
        return KeySet.import_key_set(body)  # type: ignore[arg-type]
    except (JoseError, KeyError, TypeError, ValueError) as error:
        raise OidcError("idp_misconfigured", f"The key set at {uri} cannot be read: {error}.") from error


@dataclass
class _Entry:
    value: Any
    fetched_at: float


@dataclass
class ProviderDirectory:
    """Discovery documents and key sets per issuer, kept for CACHE_SECONDS; `fetches` counts key-set fetches."""

    clock: Callable[[], float] = time.monotonic
    _discovery: dict[str, _Entry] = field(default_factory=dict)
    _keys: dict[str, _Entry] = field(default_factory=dict)
    fetches: int = 0

    def _fresh(self, entry: _Entry | None) -> bool:
        return entry is not None and self.clock() - entry.fetched_at < CACHE_SECONDS

    async def discovery(self, issuer: str, egress: Egress) -> Discovery:
        entry = self._discovery.get(issuer)
        if entry is None or not self._fresh(entry):
            url = issuer.rstrip("/") + "/.well-known/openid-configuration"
            entry = _Entry(_discovery_of(issuer, await fetch_json(egress, url)), self.clock())
            self._discovery[issuer] = entry
        discovery: Discovery = entry.value
        return discovery

    async def keys(self, discovery: Discovery, egress: Egress, *, refresh: bool = False) -> KeySet:
        entry = self._keys.get(discovery.jwks_uri)
        if refresh or entry is None or not self._fresh(entry):
            self.fetches += 1
            entry = _Entry(_key_set(discovery.jwks_uri, await fetch_json(egress, discovery.jwks_uri)), self.clock())
            self._keys[discovery.jwks_uri] = entry
        keys: KeySet = entry.value
        return keys

    def forget(self, issuer: str) -> None:
        self._discovery.pop(issuer, None)


DIRECTORY = ProviderDirectory()  # one per process: every tenant of one issuer shares its keys

KeySource = Callable[[bool], Awaitable[KeySet]]  # refresh? → the IdP's keys


def _kid_of(token: str) -> str | None:
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, UnicodeError) as error:
        raise OidcError("bad_token", f"The ID token is not a JWS: {error}.") from error
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _has_key(keys: KeySet, kid: str | None) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys.keys)


async def verify_id_token(
    token: str, *, keys: KeySource, issuer: str, audience: str, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, nonce and times check out; else OidcError.

    A key id missing from the cached keys means the IdP rotated its keys: they are fetched once more, and a kid still
    unknown is refused.
    """
    kid = _kid_of(token)
    key_set = await keys(False)
    if not _has_key(key_set, kid):
        key_set = await keys(True)
        if not _has_key(key_set, kid):
            raise OidcError("bad_token", f"The ID token is signed with a key the IdP does not publish (kid {kid!r}).")
    try:
        decoded = jwt.decode(token, key_set.get_by_kid(kid), algorithms=list(ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(decoded.claims)
    except JoseError as error:
        raise OidcError("bad_token", f"The ID token was refused: {error.error}: {error.description or ''}.") from error
    claims = dict(decoded.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != audience:
        raise OidcError("bad_token", "The ID token has several audiences and is not authorized for this client.")
    return claims


def directory_keys(directory: ProviderDirectory, discovery: Discovery, egress: Egress) -> KeySource:
    async def source(refresh: bool) -> KeySet:
        return await directory.keys(discovery, egress, refresh=refresh)

    return source
