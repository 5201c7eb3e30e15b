"""Queries of Slack, each from a tenant-scoped base: the tenant's app, its DM records, the cached Slack ids of users.

Another tenant's row is never found (a DM id of another tenant is "no such notice").
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import User
from tenantplane.notifications.slack.models import SlackApp, SlackMessage, SlackUser


def messages_of(tenant_id: uuid.UUID) -> Select[tuple[SlackMessage]]:
    return select(SlackMessage).where(SlackMessage.tenant_id == tenant_id)


async def find_app(session: AsyncSession, tenant_id: uuid.UUID) -> SlackApp | None:
    app: SlackApp | None = await session.scalar(select(SlackApp).where(SlackApp.tenant_id == tenant_id))
    return app


async def find_message(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> SlackMessage | None:
    message: SlackMessage | None = await session.scalar(messages_of(tenant_id).where(SlackMessage.id == message_id))
    return message


async def slack_id_of(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    found: str | None = await session.scalar(
        select(SlackUser.slack_user_id).where(SlackUser.tenant_id == tenant_id, SlackUser.user_id == user_id)
    )
    return found


async def user_of_slack_id(session: AsyncSession, tenant_id: uuid.UUID, slack_id: str) -> User | None:
    user: User | None = await session.scalar(
        select(User)
        .join(SlackUser, SlackUser.user_id == User.id)
        .where(SlackUser.tenant_id == tenant_id, User.tenant_id == tenant_id, SlackUser.slack_user_id == slack_id)
    )
    return user


async def user_by_email(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> User | None:
    user: User | None = await session.scalar(
        select(User).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower())
    )
    return user


async def remember_slack_id(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, slack_id: str) -> None:
    """Cache which Slack user our user is (a first answer wins; either side already known changes nothing)."""
    await session.execute(
        insert(SlackUser)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, user_id=user_id, slack_user_id=slack_id)
        .on_conflict_do_nothing()
    )
