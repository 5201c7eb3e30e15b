"""Request and response shapes of single sign-on: the provider settings (secret write-only), the connection test,
and what the sign-in page learns about a tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from tenantplane.kit.schemas import InputSchema, ReadSchema
from tenantplane.settings import absolute_base_url

ClaimName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_:./-]{1,100}$")]
Scope = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5b\x5d-\x7e]{1,100}$")]
Domain = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$", to_lower=True),
]


def _issuer(value: str) -> str:
    """An issuer is an http(s) URL with a host and no query or fragment; its trailing slash is kept as written."""
    absolute_base_url(value.rstrip("/") or value)
    return value


Issuer = Annotated[str, StringConstraints(min_length=8, max_length=500), AfterValidator(_issuer)]


def _with_openid(scopes: list[str]) -> list[str]:
    ordered = list(dict.fromkeys(scopes))
    return ordered if "openid" in ordered else ["openid", *ordered]


class ProviderWrite(InputSchema):
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="Shown on the sign-in button: 'Sign in with <display_name>'."
    )
    issuer: Issuer = Field(description="The issuer URL; its /.well-known/openid-configuration is fetched.")
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    client_secret: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = Field(
        default=None, description="Write-only. Omit to keep the stored secret."
    )
    scopes: Annotated[list[Scope], AfterValidator(_with_openid)] = Field(
        default_factory=lambda: ["openid", "email", "profile"], max_length=20
    )
    email_claim: ClaimName = "email"
    name_claim: ClaimName = "name"
    groups_claim: ClaimName | None = Field(
        default=None, description="A claim listing group names; the user's groups follow it on every sign-in."
    )
    manager_claim: ClaimName | None = Field(default=None, description="A claim holding the manager's e-mail.")
    allowed_domains: list[Domain] = Field(default_factory=list, max_length=100, description="Empty: any domain.")
    jit: bool = Field(default=False, description="Create users on their first sign-in; else they must exist.")
    password_sign_in: bool = Field(default=True, description="Off: only admins may still sign in with a password.")


class ProviderRead(ReadSchema):
    id: uuid.UUID
    display_name: str
    issuer: str
    client_id: str
    has_client_secret: bool
    scopes: list[str]
    email_claim: str
    name_claim: str
    groups_claim: str | None
    manager_claim: str | None
    allowed_domains: list[str]
    jit: bool
    password_sign_in: bool
    redirect_uri: str
    created_at: datetime
    updated_at: datetime


class ConnectionTest(ReadSchema):
    ok: bool
    problem: str | None = None
    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    jwks_uri: str | None = None
    key_ids: list[str] = Field(default_factory=list)


class SingleSignOn(ReadSchema):
    name: str
    login_url: str


class SignInOptions(ReadSchema):
    """What the sign-in page of a tenant offers; an unknown tenant looks like one without single sign-on."""

    tenant: str
    sso: SingleSignOn | None
    password_sign_in: bool
