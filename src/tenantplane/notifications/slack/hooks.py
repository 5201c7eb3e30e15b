"""Who decides what a Slack button names: the domain owning the subject type registers in `<domain>.slack_hooks`.

Slack sits below approvals and automation, so it asks them through this registry instead of importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import ValidationFailed
from tenantplane.kit.hooks import Hook, HookRegistry
from tenantplane.notifications.slack.models import SlackMessage


@dataclass(frozen=True)
class SlackDecision:
    """A decision made in Slack: by whom (our user, mapped from the signed Slack user), on which message, what."""

    actor: Principal
    message: SlackMessage
    verdict: Literal["approved", "rejected"]
    comment: str | None


_DECIDERS: HookRegistry[SlackDecision] = HookRegistry("slack_hooks")


def on_slack_decision(subject_type: str) -> Callable[[Hook[SlackDecision]], Hook[SlackDecision]]:
    """Register `fn(session, decision)` that decides subjects of this type through the domain's own rules."""
    return _DECIDERS.on(subject_type)


async def decide(session: AsyncSession, decision: SlackDecision) -> None:
    if not await _DECIDERS.run(decision.message.subject_type, session, decision):
        raise ValidationFailed.field("payload", f"nothing decides a {decision.message.subject_type} from Slack")
