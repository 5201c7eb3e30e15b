"""The Python API other domains use: start_workflow_instance, cancel_instance and the finished-hook registry.

In-transaction hooks run in the final decision's transaction: if one fails, the decision is not recorded.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals import hooks
from tenantplane.approvals import repository as repo
from tenantplane.approvals.models import ApprovalInstance
from tenantplane.approvals.service import cancel_instance, start_workflow_instance
from tenantplane.identity.auth import Principal
from tenantplane.jobs.worker import ExecutionJobRunner
from tenantplane.kit.errors import Conflict
from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, several, step

HOOKED = "test.hooked"


async def _start(t: TenantContext, definition_id: str, requester: Actor, **extra: Any) -> str:
    """What the ITSM request code does: start an instance inside its own transaction."""
    async with t.database.transaction() as session:
        definition = await repo.get_definition(session, uuid.UUID(t.id), uuid.UUID(definition_id))
        instance = await start_workflow_instance(
            session,
            definition=definition,
            record_type=HOOKED,
            record_id=uuid.uuid4(),
            requester_id=uuid.UUID(requester.id),
            **extra,
        )
        return str(instance.id)


@pytest.fixture
def finished(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Registers an in-transaction hook for HOOKED records; it records (instance id, status) as it sees them."""
    seen: list[tuple[str, str]] = []

    async def record(session: AsyncSession, instance: ApprovalInstance) -> None:
        seen.append((str(instance.id), instance.status))

    monkeypatch.setitem(hooks._IN_TRANSACTION._hooks, HOOKED, [record])
    return seen


async def test_the_finished_hook_runs_in_the_final_decisions_transaction(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, finished: list[tuple[str, str]]
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance_id = await _start(tenant, definition["id"], requester, variables={"number": "REQ0000001"}, title="REQ1")
    assert finished == []

    done = await decide(approver, instance_id)

    assert (done.status_code, done.json()["title"], done.json()["variables"]) == (200, "REQ1", {"number": "REQ0000001"})
    assert finished == [(instance_id, "approved")]


async def test_a_failing_hook_rolls_the_decision_back(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(session: AsyncSession, instance: ApprovalInstance) -> None:
        raise Conflict("the record changed meanwhile")  # any exception; a domain error keeps the log quiet

    monkeypatch.setitem(hooks._IN_TRANSACTION._hooks, HOOKED, [broken])
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance_id = await _start(tenant, definition["id"], requester)

    failed = await decide(approver, instance_id)

    assert failed.status_code == 409
    after = (await client.get(f"{INSTANCES}/{instance_id}", headers=requester.headers)).json()
    assert (after["status"], after["step_results"][0]["decisions"]) == ("pending", [])


async def test_an_instance_whose_every_step_is_skipped_finishes_while_starting(
    tenant: TenantContext, app: FastAPI, finished: list[tuple[str, str]]
) -> None:
    requester = (await several(tenant, app, 1))[0]
    group = await tenant.client.post("/api/groups", json={"name": "Nobody"}, headers=tenant.admin.headers)
    definition = await create_definition(tenant, step("advice", 1, "group", group.json()["id"], required=False))

    instance_id = await _start(tenant, definition["id"], requester)

    assert finished == [(instance_id, "approved")]


async def test_cancelling_from_another_module_can_leave_the_record_to_its_caller(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, finished: list[tuple[str, str]]
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance_id = await _start(tenant, definition["id"], requester)
    actor = Principal(
        kind="user",
        id=uuid.UUID(requester.id),
        label=requester.email,
        tenant_id=uuid.UUID(tenant.id),
        roles=frozenset(),
        via="test",
    )

    async with tenant.database.transaction() as session:
        instance = await repo.get_instance(session, uuid.UUID(tenant.id), uuid.UUID(instance_id), lock=True)
        await cancel_instance(session, actor=actor, instance=instance, comment="request withdrawn", run_hooks=False)

    assert finished == []
    after = (await client.get(f"{INSTANCES}/{instance_id}", headers=requester.headers)).json()
    assert after["status"] == "cancelled"


async def test_records_with_hooks_start_only_from_their_own_module(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, finished: list[tuple[str, str]]
) -> None:
    requester = (await several(tenant, app, 1))[0]
    definition = await create_definition(tenant, step("anyone", 1, "any"))
    body = {"definition_id": definition["id"], "record_type": HOOKED, "record_id": str(uuid.uuid4())}

    refused = await client.post(INSTANCES, json=body, headers=requester.headers)

    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "record_type")


async def test_after_finished_hooks_run_from_the_finished_job(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    later: list[str] = []

    async def follow_up(session: AsyncSession, instance: ApprovalInstance) -> None:
        later.append(instance.status)

    monkeypatch.setitem(hooks._AFTER_COMMIT._hooks, HOOKED, [follow_up])
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance_id = await _start(tenant, definition["id"], requester)

    await decide(approver, instance_id, "reject", comment="no")

    for _ in range(75):
        if later:
            break
        await asyncio.sleep(0.2)
    assert later == ["rejected"]
