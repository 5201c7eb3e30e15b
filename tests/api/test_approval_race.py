"""Concurrent decisions never double-advance: fifty approvers racing for a quorum of one, exactly one counts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, several, signed_in, start_instance, step

RACERS = 50


async def _count(t: TenantContext, sql: str, instance_id: str) -> int:
    async with t.database.transaction() as session:
        return int(await session.scalar(text(sql), {"id": instance_id}) or 0)


@pytest.mark.parametrize("named_step", [{"step": "first"}, {}], ids=["naming the step", "without a step"])
async def test_fifty_concurrent_approvals_of_a_quorum_of_one_count_exactly_once(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, named_step: dict[str, Any]
) -> None:
    racers = await several(tenant, app, RACERS, roles=["racer"])
    final, requester = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("first", 1, "role", "racer"), step("final", 2, "user", final.id))
    instance = await start_instance(requester, definition["id"])

    responses = await asyncio.gather(*(decide(racer, instance["id"], **named_step) for racer in racers))

    codes = [r.status_code for r in responses]
    assert sorted(codes) == [200] + [409] * (RACERS - 1), [r.text for r in responses if r.status_code not in (200, 409)]
    winner = racers[codes.index(200)]
    read = (await client.get(f"{INSTANCES}/{instance['id']}", headers=requester.headers)).json()
    first = read["step_results"][0]
    assert (read["current_step"], first["status"]) == (2, "approved")
    assert [d["user_id"] for d in first["decisions"]] == [winner.id]
    opened_final = await _count(
        tenant,
        "SELECT count(*) FROM approval_events WHERE instance_id = CAST(:id AS uuid) "
        "AND kind = 'notice.approval_requested' AND payload->>'step_name' = 'final'",
        instance["id"],
    )
    audited = await _count(
        tenant,
        "SELECT count(*) FROM audit_events WHERE object_id = :id AND action = 'approval_instance.approved'",
        instance["id"],
    )
    assignees = await _count(
        tenant, "SELECT count(*) FROM approval_assignments WHERE instance_id = CAST(:id AS uuid)", instance["id"]
    )
    assert (opened_final, audited, assignees) == (1, 1, 1), "the instance advanced exactly once"
    assert (await decide(final, instance["id"])).json()["status"] == "approved"
