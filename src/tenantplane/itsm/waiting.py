"""A request waiting on its requester: a fulfiller asks them something (`awaiting_requester`), and the requester's
next comment, or a fulfiller's resume, puts it back in fulfillment. Its SLA clocks pause meanwhile when its policy
says so (`service_levels.record_moved`); the move's timeline entry and the requester's notice come from `lifecycle`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.permissions import Permission
from tenantplane.itsm import lifecycle
from tenantplane.itsm.models import ServiceRequest
from tenantplane.kit.errors import Forbidden

AWAITING = "awaiting_requester"


async def await_requester(session: AsyncSession, *, actor: Principal, request: ServiceRequest, question: str) -> None:
    """A fulfiller hands a request in fulfillment back to its requester with a question (409 in any other status)."""
    if not actor.can(Permission.REQUESTS_FULFILL):
        raise Forbidden("Waiting on the requester needs the 'requests.fulfill' permission.")
    message = f"{request.number} waits for your answer: {question}"
    await lifecycle.move_request(
        session, request, AWAITING, actor_id=actor.id, message=message, data={"question": question}
    )
    await _audit(session, actor, request, "service_request.awaiting_requester")


async def resume(session: AsyncSession, *, actor: Principal, request: ServiceRequest) -> None:
    """A fulfiller (or the requester) puts a waiting request back in fulfillment without an answer."""
    if actor.id != request.requester_id and not actor.can(Permission.REQUESTS_FULFILL):
        raise Forbidden("Only the requester or a fulfiller can resume a request.")
    await _back_in_fulfillment(session, actor, request, f"{request.number} is back in fulfillment")
    await _audit(session, actor, request, "service_request.resumed")


async def answered(session: AsyncSession, *, actor: Principal, request: ServiceRequest) -> None:
    """The requester commented on a request waiting for them: it goes back to fulfillment (the comment is the audit
    event). Anyone else's comment, or a comment on a request not waiting, changes nothing."""
    if request.status == AWAITING and actor.id == request.requester_id:
        await _back_in_fulfillment(session, actor, request, f"{request.number}: the requester answered")


async def _back_in_fulfillment(session: AsyncSession, actor: Principal, request: ServiceRequest, message: str) -> None:
    await lifecycle.move_request(session, request, "in_fulfillment", actor_id=actor.id, message=message)


async def _audit(session: AsyncSession, actor: Principal, request: ServiceRequest, action: str) -> None:
    await record_event(
        session,
        actor=actor,
        action=action,
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number},
    )
