"""The authorization code flow with PKCE (S256), by authlib's OAuth 2 client: the redirect to the IdP, and the code
exchanged for an ID token at the callback. State, nonce and code verifier travel in an encrypted, short-lived cookie.
"""

from __future__ import annotations

import json
import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError

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
from tenantplane.kit.egress import EgressDenied, check_url, checked_transport, denial_of

with warnings.catch_warnings():  # authlib prefers httpx2 and warns that it falls back to httpx, which we use
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

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


def _client(provider: OidcProvider, secret: str | None, redirect_uri: str, egress: Egress) -> AsyncOAuth2Client:
    transport = checked_transport(operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed)
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=secret,
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        transport=transport,
        timeout=httpx.Timeout(10.0),
        trust_env=False,
    )


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
    async with _client(provider, None, redirect_uri, egress) as client:
        url, _ = client.create_authorization_url(
            discovery.authorization_endpoint,
            state=pending.state,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
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
    try:
        async with _client(provider, secret, redirect_uri, egress) as client:
            token = await client.fetch_token(
                discovery.token_endpoint,
                code=code,
                code_verifier=pending.code_verifier,
                grant_type="authorization_code",
            )
    except httpx.HTTPError as error:
        denied = denial_of(error)
        raise OidcError("idp_unreachable", denied.detail if denied else f"token endpoint: {error!r}") from error
    except (AuthlibBaseError, ValueError) as error:
        raise OidcError("idp_refused", f"The IdP refused the code: {error}.") from error
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
