"""HTTP routes of workflow triggers, and the inbound webhook that needs no login (its secret URL is the key).

Managing triggers needs `workflows.manage`; a webhook's secret URL is shown once, when it is created.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tenantplane.automation.triggers import firing, service
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import PayloadTooLarge
from tenantplane.kit.input_rules import parse_json
from tenantplane.kit.schemas import InputSchema

router = APIRouter(tags=["automation"])
WorkflowAdmin = Annotated[Principal, Depends(require(Permission.WORKFLOWS_MANAGE))]
TRIGGERS = "/api/workflows/{workflow_id:uuid}/triggers"
MAX_WEBHOOK_BYTES = 256 * 1024


class TriggerWrite(InputSchema):
    kind: Literal["schedule", "webhook", "itsm_event"]
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class TriggerUpdate(InputSchema):
    enabled: bool | None = None
    config: dict[str, Any] | None = Field(None, description="The whole new config (validated like on creation)")


class TriggerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workflow_id: uuid.UUID
    kind: str
    enabled: bool
    config: dict[str, Any]
    owner_id: uuid.UUID | None = Field(
        None, description="Who created or last changed it: four-eyes keeps them off the gates of a schedule's runs"
    )
    created_by: uuid.UUID | None = None
    last_fired_at: datetime | None
    next_fire_at: datetime | None
    created_at: datetime
    url: str | None = Field(None, description="A webhook's secret URL: only in the answer to its creation")


class TriggerList(BaseModel):
    items: list[TriggerRead]


class WebhookAccepted(BaseModel):
    execution_id: uuid.UUID


@router.get(TRIGGERS, response_model=TriggerList)
async def list_triggers(workflow_id: uuid.UUID, principal: WorkflowAdmin, session: SessionDep) -> TriggerList:
    rows = await service.list_triggers(session, principal.tenant, workflow_id)
    return TriggerList(items=[TriggerRead.model_validate(t) for t in rows])


@router.post(TRIGGERS, response_model=TriggerRead, status_code=201)
async def create_trigger(
    workflow_id: uuid.UUID, body: TriggerWrite, principal: WorkflowAdmin, session: SessionDep
) -> TriggerRead:
    """A schedule (`cron`, `timezone`), webhook, or ITSM event trigger; 422 names the `config.<field>`."""
    trigger, token = await service.create_trigger(
        session, actor=principal, workflow_id=workflow_id, kind=body.kind, config=body.config, enabled=body.enabled
    )
    read = TriggerRead.model_validate(trigger)
    if token is not None:
        read.url = service.HOOK_PATH + token
    return read


@router.get(TRIGGERS + "/{trigger_id}", response_model=TriggerRead)
async def get_trigger(
    workflow_id: uuid.UUID, trigger_id: uuid.UUID, principal: WorkflowAdmin, session: SessionDep
) -> TriggerRead:
    return TriggerRead.model_validate(await service.get_trigger(session, principal.tenant, workflow_id, trigger_id))


@router.patch(TRIGGERS + "/{trigger_id}", response_model=TriggerRead)
async def update_trigger(
    workflow_id: uuid.UUID, trigger_id: uuid.UUID, body: TriggerUpdate, principal: WorkflowAdmin, session: SessionDep
) -> TriggerRead:
    """Enable/disable or replace the config; a schedule is re-armed from now with its new cron."""
    trigger = await service.update_trigger(
        session,
        actor=principal,
        workflow_id=workflow_id,
        trigger_id=trigger_id,
        enabled=body.enabled,
        config=body.config,
    )
    return TriggerRead.model_validate(trigger)


@router.delete(TRIGGERS + "/{trigger_id}", status_code=204)
async def delete_trigger(
    workflow_id: uuid.UUID, trigger_id: uuid.UUID, principal: WorkflowAdmin, session: SessionDep
) -> Response:
    await service.delete_trigger(session, actor=principal, workflow_id=workflow_id, trigger_id=trigger_id)
    return Response(status_code=204)


@router.post("/api/hooks/{token}", response_model=WebhookAccepted, status_code=202)
async def inbound_webhook(token: str, request: Request, session: SessionDep) -> WebhookAccepted:
    """Start the webhook's workflow with the JSON body as `trigger.payload` (no login: the token is the key).

    The token is looked up first: an unknown or disabled webhook is a 404 before a byte of the body is read.
    The body is then JSON under the rules of every other body (whatever its content type says).
    """
    trigger = await firing.find_webhook(session, token)
    raw = await _webhook_body(request)
    payload = parse_json(raw) if raw.strip() else None
    execution = await firing.fire_webhook(session, trigger, payload)
    return WebhookAccepted(execution_id=execution.id)


async def _webhook_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge(f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes.")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes.")
    return bytes(raw)
