"""ORM models of single sign-on: a tenant's OpenID provider and the link of our users to (issuer, subject).

The client secret lives only encrypted (`kit.crypto`, purpose "oidc"); the `users` table gets no column of ours.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned


class OidcProvider(TenantOwned, Base):
    """One tenant's identity provider (at most one per tenant)."""

    __tablename__ = "oidc_providers"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    display_name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default=text("'{openid,email,profile}'"))
    email_claim: Mapped[str] = mapped_column(String(100), server_default="email")
    name_claim: Mapped[str] = mapped_column(String(100), server_default="name")
    groups_claim: Mapped[str | None] = mapped_column(String(100))
    manager_claim: Mapped[str | None] = mapped_column(String(100))
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(String(255)), server_default=text("'{}'"))
    jit: Mapped[bool] = mapped_column(server_default=text("false"))
    password_sign_in: Mapped[bool] = mapped_column(server_default=text("true"))


class UserIdentity(TenantOwned, Base):
    """Which of our users an IdP account (issuer, subject) is: found by e-mail or created on its first sign-in."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer", "subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
