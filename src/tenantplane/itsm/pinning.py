"""The fulfillment a service request pins at submit: runbook or workflow, its version and the rendered parameters.

Approvers decide on exactly this, and fulfillment (and every retry) runs exactly this, whatever is edited meanwhile.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.schemas import FulfillmentRead, FulfillmentTargetRead
from tenantplane.automation.definitions import repository as automation_repo
from tenantplane.itsm.models import CatalogItem, ServiceRequest
from tenantplane.kit.errors import DomainError
from tenantplane.kit.templating import TemplateFailed, render_async
from tenantplane.runbooks import repository as runbooks_repo
from tenantplane.runbooks.parameters import with_defaults


def template_context(request: ServiceRequest, item: CatalogItem) -> dict[str, Any]:
    """What fulfillment templates may use: the request's variables and a few facts about it."""
    return {
        "variables": request.variables,
        "request": {
            "id": str(request.id),
            "number": request.number,
            "requester_id": str(request.requester_id),
            "requested_for": str(request.requested_for_id),
            "justification": request.justification,
        },
        "item": {"id": str(item.id), "name": item.name, "category": item.category},
    }


class _Target:
    """The runbook or workflow version a fulfillment runs, and the JSON Schema its parameters follow."""

    def __init__(self, target_id: uuid.UUID, name: str, version: int, schema: dict[str, Any] | None) -> None:
        self.id, self.name, self.version, self.schema = target_id, name, version, schema


async def _runbook_target(session: AsyncSession, tenant_id: uuid.UUID, runbook_id: uuid.UUID) -> _Target:
    runbook = await runbooks_repo.get_runbook(session, tenant_id, runbook_id)
    saved = await runbooks_repo.get_version(session, tenant_id, runbook.id, runbook.current_version)
    return _Target(runbook.id, runbook.name, saved.version, saved.definition.get("parameters"))


async def _workflow_target(session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> _Target:
    workflow = await automation_repo.get_workflow(session, tenant_id, workflow_id)
    saved = await automation_repo.get_version(session, tenant_id, workflow.id, workflow.version)
    return _Target(workflow.id, workflow.name, saved.version, saved.definition.get("inputs"))


async def pin_fulfillment(session: AsyncSession, request: ServiceRequest, item: CatalogItem) -> None:
    """Record the item's fulfillment on the request as it stands now: the current version of its runbook or
    workflow and the parameters rendered from the request's variables (with that version's defaults).

    Nothing here refuses the submit: a target or template that fails is kept as `fulfillment_error`, and the
    request goes `fulfillment_failed` with that reason when its fulfillment would start.
    """
    request.fulfillment_type = item.fulfillment_type
    if item.fulfillment_type in ("runbook", "workflow"):
        try:
            await _pin_target(session, request, item)
        except (TemplateFailed, DomainError) as exc:
            request.fulfillment_error = exc.detail if isinstance(exc, DomainError) else str(exc)
    await session.flush()


async def _pin_target(session: AsyncSession, request: ServiceRequest, item: CatalogItem) -> None:
    runbook = item.fulfillment_type == "runbook"
    config = item.fulfillment_config
    key = "runbook_id" if runbook else "workflow_id"
    try:
        target_id = uuid.UUID(str(config[key]))
    except (KeyError, ValueError) as exc:
        raise TemplateFailed(f"the catalog item's fulfillment_config has no valid {key}") from exc
    resolve = _runbook_target if runbook else _workflow_target
    target = await resolve(session, request.tenant_id, target_id)
    if runbook:
        request.fulfillment_runbook_id = target.id
    else:
        request.fulfillment_workflow_id = target.id
    request.fulfillment_version, request.fulfillment_name = target.version, target.name
    templates = config.get("parameters" if runbook else "inputs", {})
    rendered = await render_async(templates, template_context(request, item))
    if not isinstance(rendered, dict):
        raise TemplateFailed("the fulfillment parameters must render to an object")
    request.fulfillment_parameters = with_defaults(target.schema, rendered)


_KINDS: dict[str, Literal["manual", "runbook", "workflow"]] = {
    "manual": "manual",
    "runbook": "runbook",
    "workflow": "workflow",
}


def fulfillment_read(request: ServiceRequest) -> FulfillmentRead | None:
    """The pinned fulfillment as the request read, the approval instance and the inbox show it."""
    kind = _KINDS.get(request.fulfillment_type or "")
    if kind is None:
        return None  # submitted before requests pinned their fulfillment
    target = None
    target_id = request.fulfillment_runbook_id or request.fulfillment_workflow_id
    if target_id is not None and request.fulfillment_version is not None:
        target = FulfillmentTargetRead(
            id=target_id, name=request.fulfillment_name or "", version=request.fulfillment_version
        )
    return FulfillmentRead(
        type=kind,
        runbook=target if kind == "runbook" else None,
        workflow=target if kind == "workflow" else None,
        parameters=request.fulfillment_parameters,
        error=request.fulfillment_error,
        runs=request.fulfillment_runs,
    )
