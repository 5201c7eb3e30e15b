"""HTTP routes of action links: the token in the path is the credential (no sign-in), GET shows, POST decides.

GET never decides (mail scanners and link previews open links); only the confirmation page's POST does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from tenantplane.actionlinks import service
from tenantplane.actionlinks.schemas import ActionLinkDecision, ActionLinkRead, ActionLinkResult
from tenantplane.kit.db import SessionDep
from tenantplane.kit.openapi import problems

router = APIRouter(tags=["action links"])
Token = Annotated[str, Path(description="The link's token, from the approval notice")]
ONE = "/api/action-links/{token}"


@router.get(ONE, response_model=ActionLinkRead, responses=problems(409, 410))
async def read_action_link(token: Token, session: SessionDep) -> ActionLinkRead:
    """What the link approves or rejects, and for whom. 404 unknown, 410 used or expired, 409 already decided."""
    return await service.open_link(session, token=token)


@router.post(ONE, response_model=ActionLinkResult, responses=problems(410))
async def use_action_link(token: Token, body: ActionLinkDecision, session: SessionDep) -> ActionLinkResult:
    """Decide as the link's person, with the same rules as the app (four-eyes, delegation, quorum); once only."""
    return await service.decide_by_link(session, token=token, comment=body.comment)
