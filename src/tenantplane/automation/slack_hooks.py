"""Automation approval gates decided from Slack: `decide_gate` as the mapped user (four-eyes, quorum, 409 hold).

Found by name (`tenantplane.automation.slack_hooks`) before the first Slack decision.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.runs.gates import decide_gate
from tenantplane.notifications.slack.hooks import SlackDecision, on_slack_decision
from tenantplane.notifications.slack.notices import GATE


@on_slack_decision(GATE)
async def decide_from_slack(session: AsyncSession, decision: SlackDecision) -> None:
    await decide_gate(
        session,
        actor=decision.actor,
        gate_id=decision.message.subject_id,
        verdict=decision.verdict,
        comment=decision.comment,
        channel="slack",
    )
