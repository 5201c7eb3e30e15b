"""A small, hand-countable data set for the insights tests, written as the services leave their rows.

Approval states are built with the engine's own stored form (`engine.to_dict`), so the queries read what a real
instance holds. Decided ladders sit in November 2026 (T0 = 2 Nov 00:00 UTC); pending ones are relative to now.
tests/api/test_insights.py holds the figures each route must answer, worked out by hand from these rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tenantplane.approvals import engine
from tenantplane.approvals.models import ApprovalAssignment, ApprovalDefinition, ApprovalInstance
from tenantplane.automation.definitions.models import Workflow
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.executions.models import Execution, StepRun
from tenantplane.itsm.models import ServiceRequest
from tenantplane.sla.models import SlaClock
from tests.api.conftest import Actor, TenantContext

T0 = datetime(2026, 11, 2, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


@dataclass
class Seeded:
    owner: Actor  # service_owner, member of item A's owner group
    item_a: str
    item_b: str
    definition: str
    ann: str  # decides the "manager" steps
    bob: str  # decides the "it" steps (once through a delegate)
    workflow: str
    pending: dict[str, str] = field(default_factory=dict)  # name → instance id
    numbers: dict[str, str] = field(default_factory=dict)  # name → its request's number (REQ…)


def _step(name: str, order: int, status: str, opened: datetime | None, *decisions: engine.Decision) -> Any:
    return engine.StepState(name=name, order=order, status=status, opened_at=opened, decisions=decisions)  # type: ignore[arg-type]


def _decision(user: str, outcome: str, at: datetime, on_behalf_of: str | None = None) -> engine.Decision:
    return engine.Decision(user_id=user, outcome=outcome, at=at, on_behalf_of=on_behalf_of)  # type: ignore[arg-type]


async def _items(t: TenantContext) -> tuple[str, str, str, Actor]:
    c, h = t.client, t.admin.headers
    group = (await c.post("/api/groups", json={"name": f"owners-{uuid.uuid4().hex[:6]}"}, headers=h)).json()["id"]
    owner = await t.user(roles=["service_owner"])
    assert (await c.post(f"/api/groups/{group}/members", json={"user_id": owner.id}, headers=h)).status_code < 300
    item_a = await c.post("/api/itsm/catalog", json={"name": "Laptop", "owner_group_id": group}, headers=h)
    assert item_a.status_code == 201, item_a.text
    assert item_a.json()["owner_group_id"] == group
    item_b = await c.post("/api/itsm/catalog", json={"name": "Phone"}, headers=h)
    assert item_b.status_code == 201, item_b.text
    return group, item_a.json()["id"], item_b.json()["id"], owner


async def seed(t: TenantContext) -> Seeded:
    _, item_a, item_b, owner = await _items(t)
    ann, bob, delegate = await t.member(), await t.member(), await t.member()
    tenant = uuid.UUID(t.id)
    now = datetime.now(UTC)
    async with t.database.transaction() as session:
        definition = ApprovalDefinition(tenant_id=tenant, name="Laptop ladder")
        workflow = Workflow(tenant_id=tenant, name="Onboard")
        session.add_all([definition, workflow])
        await session.flush()
        seeded = Seeded(owner, item_a, item_b, str(definition.id), ann, bob, str(workflow.id))
        number = iter(range(1, 100))

        def instance(item: str, created: datetime, status: str, finished: datetime | None, *steps: Any) -> Any:
            request = ServiceRequest(
                tenant_id=tenant,
                number=f"REQ{next(number):07d}",
                catalog_item_id=uuid.UUID(item),
                requester_id=uuid.UUID(t.admin.id),
                requested_for_id=uuid.UUID(t.admin.id),
                status="pending_approval" if status == "pending" else "rejected",
                created_at=created,
            )
            state = engine.InstanceState(
                requester_id=t.admin.id, status=status, current_step=1, steps=tuple(steps), finished_at=finished
            )  # type: ignore[arg-type]
            row = ApprovalInstance(
                id=uuid.uuid4(),
                tenant_id=tenant,
                definition_id=definition.id,
                definition_version=1,
                record_type="service_request",
                record_id=request.id or uuid.uuid4(),
                requester_id=uuid.UUID(t.admin.id),
                status=status,
                state=engine.to_dict(state),
                finished_at=finished,
                created_at=created,
            )
            request.id, request.approval_instance_id = row.record_id, row.id
            session.add_all([request, row])
            return request, row

        # I1 (A): manager approved after 1h, it approved 2h later → approved, 3h.
        r1, _ = instance(
            item_a, T0, "approved", T0 + 3 * H,
            _step("manager", 1, "approved", T0, _decision(ann, "approved", T0 + H)),
            _step("it", 2, "approved", T0 + H, _decision(bob, "approved", T0 + 3 * H)),
        )  # fmt: skip
        t2 = T0 + D  # I2 (A): manager 2h, it rejected 30 min later → rejected, 2.5h.
        r2, _ = instance(
            item_a, t2, "rejected", t2 + 2.5 * H,
            _step("manager", 1, "approved", t2, _decision(ann, "approved", t2 + 2 * H)),
            _step("it", 2, "rejected", t2 + 2 * H, _decision(bob, "rejected", t2 + 2.5 * H)),
        )  # fmt: skip
        t3 = T0 + 2 * D  # I3 (A): manager rejected after 4h → rejected, 4h (it skipped, never opened).
        r3, _ = instance(
            item_a, t3, "rejected", t3 + 4 * H,
            _step("manager", 1, "rejected", t3, _decision(ann, "rejected", t3 + 4 * H)),
            _step("it", 2, "skipped", None),
        )  # fmt: skip
        t4 = T0 + 3 * D  # I4 (A): cancelled after 1h, nobody decided.
        instance(item_a, t4, "cancelled", t4 + H, _step("manager", 1, "pending", t4), _step("it", 2, "pending", None))
        t5 = T0 + 4 * D  # I5 (B): manager 10h, it 2h later by Bob's delegate → approved, 12h.
        r5, _ = instance(
            item_b, t5, "approved", t5 + 12 * H,
            _step("manager", 1, "approved", t5, _decision(ann, "approved", t5 + 10 * H)),
            _step("it", 2, "approved", t5 + 10 * H, _decision(delegate, "approved", t5 + 12 * H, bob)),
        )  # fmt: skip
        # Pending now: P1 (A) 2h old at manager (Ann, Bob may decide); P2 (A) 30h old, at it since 5h (Bob);
        # P3 (B) 10 days old at manager (Ann).
        for name, item, age, opened, assigned, steps in (
            ("P1", item_a, 2 * H, 2 * H, [ann, bob], lambda c, o: [_step("manager", 1, "pending", o)]),
            (
                "P2", item_a, 30 * H, 5 * H, [bob],
                lambda c, o: [
                    _step("manager", 1, "approved", c, _decision(ann, "approved", o)), _step("it", 2, "pending", o)
                ],
            ),
            ("P3", item_b, 10 * D, 10 * D, [ann], lambda c, o: [_step("manager", 1, "pending", o)]),
        ):  # fmt: skip
            created = now - age
            request, row = instance(item, created, "pending", None, *steps(created, now - opened))
            step_name = "it" if name == "P2" else "manager"
            await session.flush()  # the instance before who may decide it
            for user in assigned:
                session.add(
                    ApprovalAssignment(
                        instance_id=row.id, step_name=step_name, user_id=uuid.UUID(user), tenant_id=tenant
                    )
                )
            seeded.pending[name], seeded.numbers[name] = str(row.id), request.number
        await session.flush()
        # Fulfilment: R1 closed 2h after its approval (5h after submit), R5 (B) 1h after (13h); R6 (A) has no
        # approval, fulfilled 1h after submit; R7 (A) failed.
        r1.status, r1.closed_at = "fulfilled", T0 + 5 * H
        r5.status, r5.closed_at = "fulfilled", t5 + 13 * H
        for status, created, closed in (
            ("fulfilled", T0 + 5 * D, T0 + 5 * D + H),
            ("fulfillment_failed", T0 + 6 * D, T0 + 6 * D + H),
        ):
            session.add(
                ServiceRequest(
                    tenant_id=tenant, number=f"REQ{next(number):07d}", catalog_item_id=uuid.UUID(item_a),
                    requester_id=uuid.UUID(t.admin.id), requested_for_id=uuid.UUID(t.admin.id), status=status,
                    created_at=created, closed_at=closed,
                )
            )  # fmt: skip
        # SLA clocks: A November approval met twice, breached once; A October fulfilment breached; B met; one running.
        for record, target, state, started in (
            (r1, "approval", "met", T0), (r2, "approval", "breached", t2), (r3, "approval", "met", t3),
            (r1, "fulfilment", "breached", datetime(2026, 10, 31, 12, tzinfo=UTC)), (r5, "approval", "met", t5),
            (r5, "fulfilment", "running", t5),
        ):  # fmt: skip
            session.add(
                SlaClock(
                    tenant_id=tenant, record_type="service_request", record_id=record.id,
                    catalog_item_id=record.catalog_item_id, target=target, clock="wall",
                    minutes=60, state=state, started_at=started, warn_at=started, due_at=started + H,
                )
            )  # fmt: skip
        await _automation(session, tenant, workflow.id)
    return seeded


async def _automation(session: Any, tenant: uuid.UUID, workflow: uuid.UUID) -> None:
    """E1 succeeded (a 10s, b 30s), E2 failed (a 20s, b failed after 5s: boom), E3 succeeded (a 40s, b 60s),
    E4 waiting. Gates: E1 approved after 600s, E2 rejected after 1200s, E3 approved after 1800s, E4 pending."""
    s = timedelta(seconds=1)
    runs = (
        ("succeeded", [("a", "succeeded", 10, None), ("b", "succeeded", 30, None)], "approved", 600),
        ("failed", [("a", "succeeded", 20, None), ("b", "failed", 5, "boom")], "rejected", 1200),
        ("succeeded", [("a", "succeeded", 40, None), ("b", "succeeded", 60, None)], "approved", 1800),
        ("waiting", [], "pending", None),
    )
    for n, (status, steps, gate, wait) in enumerate(runs):
        created = T0 + n * D + 8 * H
        execution = Execution(
            tenant_id=tenant,
            kind="workflow",
            status=status,
            workflow_id=workflow,
            workflow_version=1,
            created_at=created,
        )
        session.add(execution)
        await session.flush()
        for position, (step, step_status, took, reason) in enumerate(steps):
            session.add(
                StepRun(
                    tenant_id=tenant, execution_id=execution.id, position=position, name=f"Step {step}", type="echo",
                    status=step_status, step_id=step, reason=reason, started_at=created, finished_at=created + took * s,
                )
            )  # fmt: skip
        decided = None if wait is None else created + wait * s
        session.add(
            ApprovalGate(
                tenant_id=tenant, execution_id=execution.id, step_id="approve", attempt=1, status=gate, approvers=[],
                eligible=[], min_approvals=1, created_at=created, decided_at=decided,
            )
        )  # fmt: skip
