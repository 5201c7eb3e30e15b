"""The authorization code flow with PKCE (S256), by authlib's OAuth 2 request builders over our egress-checked httpx
client: the redirect to the IdP, and the code exchanged for an ID token at the callback. State, nonce and code
verifier travel in an encrypted, short-lived cookie.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tenantplane.identity.oidc.models import OidcProvider
from tenantplane.identity.oidc.verify import (
    DIRECTORY,
    Discovery,
    Egress,
    OidcError,
    ProviderDirectory,
    directory_keys,
    verify_id_token,
)
from tenantplane.kit.crypto import SecretUnreadable, decrypt, encrypt
from tenantplane.kit.egress import EgressDenied, check_url, denial_of

FLOW_COOKIE = "tp_oidc"
FLOW_SECONDS = 600  # a sign-in must come back from the IdP within ten minutes
_COOKIE_PURPOSE = "oidc-flow"


@dataclass(frozen=True)
class PendingSignIn:
    """What the callback needs to finish what the login route started."""

    tenant: str
    state: str
    nonce: str
    code_verifier: str
    expires_at: float

    def seal(self, secret_key: str) -> str:
        return encrypt(secret_key, json.dumps(self.__dict__), purpose=_COOKIE_PURPOSE)

    @classmethod
    def unseal(cls, secret_key: str, sealed: str | None, *, tenant: str, state: str | None) -> PendingSignIn:
        if not sealed or not state:
            raise OidcError("state_mismatch", "The sign-in was not started here (or its cookie was lost).")
        try:
            pending = cls(**json.loads(decrypt(secret_key, sealed, purpose=_COOKIE_PURPOSE)))
        except (SecretUnreadable, ValueError, TypeError) as error:
            raise OidcError("state_mismatch", "The sign-in cookie cannot be read.") from error
        if pending.tenant != tenant or not secrets.compare_digest(pending.state, state):
            raise OidcError("state_mismatch", "The answer from the IdP does not belong to this sign-in.")
        if pending.expires_at < time.time():
            raise OidcError("state_mismatch", "The sign-in took too long; start again.")
        return pending


def _client_auth(provider: OidcProvider, secret: str | None) -> tuple[httpx.Auth, dict[str, str]]:
    """client_secret_basic (RFC 6749 §2.3.1: id and secret form-encoded first) with a secret; a public client sends
    only its id in the body (and proves itself with PKCE)."""
    if secret is None:
        return httpx.Auth(), {"client_id": provider.client_id}  # the base Auth adds nothing
    return httpx.BasicAuth(quote(provider.client_id, safe=""), quote(secret, safe="")), {}


async def start(
    provider: OidcProvider, *, tenant: str, redirect_uri: str, egress: Egress, directory: ProviderDirectory = DIRECTORY
) -> tuple[str, PendingSignIn]:
    """The IdP's authorization URL to redirect to, and the pending sign-in to keep in the cookie."""
    discovery = await _discovery(provider, egress, directory)
    pending = PendingSignIn(
        tenant=tenant,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
        expires_at=time.time() + FLOW_SECONDS,
    )
    url = prepare_grant_uri(
        discovery.authorization_endpoint,
        client_id=provider.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=" ".join(provider.scopes),
        state=pending.state,
        nonce=pending.nonce,
        code_challenge=create_s256_code_challenge(pending.code_verifier),
        code_challenge_method="S256",
    )
    return str(url), pending


async def _discovery(provider: OidcProvider, egress: Egress, directory: ProviderDirectory) -> Discovery:
    discovery = await directory.discovery(provider.issuer, egress)
    for url in (discovery.authorization_endpoint, discovery.token_endpoint):
        try:
            await check_url(url, operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed)
        except EgressDenied as denied:
            raise OidcError("idp_unreachable", f"{url}: {denied.detail}") from denied
    return discovery


async def finish(
    provider: OidcProvider,
    *,
    secret: str | None,
    pending: PendingSignIn,
    code: str,
    redirect_uri: str,
    egress: Egress,
    directory: ProviderDirectory = DIRECTORY,
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the verified ID token's claims."""
    discovery = await _discovery(provider, egress, directory)
    auth, extra = _client_auth(provider, secret)
    body = prepare_token_request(
        "authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=pending.code_verifier, **extra
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    try:
        async with egress.client() as client:
            response = await client.post(discovery.token_endpoint, content=body, headers=headers, auth=auth)
    except httpx.HTTPError as error:
        denied = denial_of(error)
        raise OidcError("idp_unreachable", denied.detail if denied else f"token endpoint: {error!r}") from error
    try:
        token = response.json()
    except ValueError as error:
        raise OidcError("idp_refused", f"The token endpoint answered {response.status_code} without JSON.") from error
    if response.status_code != 200 or not isinstance(token, dict) or "error" in token:
        reason = token.get("error_description") or token.get("error") if isinstance(token, dict) else None
        raise OidcError("idp_refused", f"The IdP refused the code ({response.status_code}): {reason or 'no reason'}.")
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("bad_token", "The IdP answered without an ID token (is 'openid' among the scopes?).")
    return await verify_id_token(
        id_token,
        keys=directory_keys(directory, discovery, egress),
        issuer=discovery.issuer,
        audience=provider.client_id,
        nonce=pending.nonce,
    )


async def check_connection(
    provider: OidcProvider, *, egress: Egress, directory: ProviderDirectory = DIRECTORY
) -> tuple[Discovery, list[str]]:
    """Fetch discovery and keys afresh (no cache): what an admin sees behind "Test connection"."""
    directory.forget(provider.issuer)
    discovery = await _discovery(provider, egress, directory)
    keys = await directory.keys(discovery, egress, refresh=True)
    return discovery, [key.kid or "(no kid)" for key in keys.keys]
