"""ITSM approval steps decided from Slack: `decide_step` as the mapped user, so every rule of the inbox holds.

Found by name (`tenantplane.approvals.slack_hooks`) before the first Slack decision.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.service import decide_step
from tenantplane.notifications.slack.hooks import SlackDecision, on_slack_decision
from tenantplane.notifications.slack.notices import STEP


@on_slack_decision(STEP)
async def decide_from_slack(session: AsyncSession, decision: SlackDecision) -> None:
    await decide_step(
        session,
        actor=decision.actor,
        instance_id=decision.message.subject_id,
        outcome="approved" if decision.verdict == "approved" else "rejected",
        comment=decision.comment,
        step_name=decision.message.step_name,
        channel="slack",
    )
