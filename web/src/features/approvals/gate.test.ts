import { describe, expect, it } from "vitest";

import { approvalCount, approverLabel, displayParameter, gateChain, gateHistory, gateSubject, gateVerdict } from "./gate";

const ME = "11111111-1111-1111-1111-111111111111";
const OTHER = "22222222-2222-2222-2222-222222222222";

function gate(overrides: Partial<Parameters<typeof gateVerdict>[0]> = {}) {
  return { status: "pending", started_by: OTHER, allow_self_approval: false, min_approvals: 1, decisions: [], ...overrides };
}

describe("gateSubject", () => {
  it("reads an inbox item's what: execution, step, inputs and the runbook steps with their version and rendered parameters", () => {
    const subject = gateSubject({
      execution_id: "e1",
      step_id: "approve",
      inputs: { host: "db1" },
      workflow: { id: "w1", name: "Restart database", version: 3 },
      next_steps: [
        { step_id: "restart", runbook_id: "r1", runbook: "restart-db", runbook_version: 4, parameters: { host: "db1", force: true } },
        { step_id: "older", runbook_id: "r2", parameters: {} },
        "junk" as never, // not an object: left out (the API types it, but a stored gate may be damaged)
      ],
    });
    expect(subject).toEqual({
      workflow: { name: "Restart database", version: 3 },
      executionId: "e1",
      stepId: "approve",
      inputs: { host: "db1" },
      nextSteps: [
        { stepId: "restart", runbookId: "r1", runbook: "restart-db", runbookVersion: 4, parameters: { host: "db1", force: true } },
        { stepId: "older", runbookId: "r2", runbook: null, runbookVersion: null, parameters: {} },
      ],
    });
  });

  it("falls back to the gate's own ids and tolerates a subject without inputs", () => {
    expect(gateSubject({ next_steps: [] }, { execution_id: "e2", step_id: "gate" })).toEqual({
      workflow: null,
      executionId: "e2",
      stepId: "gate",
      inputs: {},
      nextSteps: [],
    });
  });
});

describe("gateVerdict", () => {
  it("lets an approver decide a pending gate someone else started", () => {
    expect(gateVerdict(gate(), ME)).toEqual({ canDecide: true });
  });

  it("refuses everyone in the chain that caused the execution, saying why (four-eyes)", () => {
    const requested = gateVerdict(gate({ started_by: null, caused_by: [{ user_id: OTHER, role: "requester" }, { user_id: ME, role: "requested_for" }] }), ME);
    expect(!requested.canDecide && requested.reason).toMatch(/^The ITSM request behind this execution is for you.*four-eyes/);
    const owner = gateVerdict(gate({ started_by: null, caused_by: [{ user_id: ME, role: "trigger_owner" }] }), ME);
    expect(!owner.canDecide && owner.reason).toMatch(/^You own the trigger/);
    expect(gateVerdict(gate({ started_by: null, caused_by: [{ user_id: OTHER, role: "requester" }] }), ME)).toEqual({ canDecide: true });
    expect(gateVerdict(gate({ caused_by: [{ user_id: ME, role: "requester" }], allow_self_approval: true }), ME)).toEqual({ canDecide: true });
  });

  it("lists who caused the gate's execution, its starter included on older gates", () => {
    expect(gateChain(gate({ started_by: ME, caused_by: [] }))).toEqual([{ userId: ME, role: "starter" }]);
    expect(gateChain(gate({ started_by: null, caused_by: [] }))).toEqual([]);
  });

  it("refuses the starter (four-eyes) unless the workflow allows self-approval", () => {
    const mine = gateVerdict(gate({ started_by: ME }), ME);
    expect(mine.canDecide).toBe(false);
    expect(!mine.canDecide && mine.reason).toMatch(/four-eyes/);
    expect(gateVerdict(gate({ started_by: ME, allow_self_approval: true }), ME)).toEqual({ canDecide: true });
  });

  it("refuses someone the API does not list as an approver", () => {
    const outsider = gateVerdict(gate(), ME, false);
    expect(!outsider.canDecide && outsider.reason).toMatch(/not an approver/);
    expect(gateVerdict(gate(), ME, true)).toEqual({ canDecide: true });
    // Four-eyes is the better explanation when both apply.
    const starter = gateVerdict(gate({ started_by: ME }), ME, false);
    expect(!starter.canDecide && starter.reason).toMatch(/four-eyes/);
  });

  it("refuses a closed gate and a second vote", () => {
    const closed = gateVerdict(gate({ status: "timed_out" }), ME);
    expect(!closed.canDecide && closed.reason).toMatch(/timed out/);
    const voted = gateVerdict(gate({ min_approvals: 2, decisions: [{ user_id: ME, decision: "approved" }] }), ME);
    expect(!voted.canDecide && voted.reason).toMatch(/already decided/);
  });
});

describe("approvalCount", () => {
  it("counts one vote per approver, a delegate's for whom they stand in", () => {
    const decisions = [
      { user_id: ME, decision: "approved" },
      { user_id: OTHER, on_behalf_of: ME, decision: "approved" },
      { user_id: "3", decision: "rejected", comment: "no" },
    ];
    expect(approvalCount(gate({ decisions }))).toBe(1);
  });
});

describe("displayParameter", () => {
  it("shows scalars as text and structures as JSON", () => {
    expect(displayParameter("x")).toBe("x");
    expect(displayParameter(3)).toBe("3");
    expect(displayParameter(false)).toBe("false");
    expect(displayParameter(null)).toBe("—");
    expect(displayParameter({ a: [1] })).toBe('{"a":[1]}');
  });
});

describe("approverLabel", () => {
  it("names the approver kinds", () => {
    expect(approverLabel({ type: "role", value: "cab" })).toBe("role cab");
    expect(approverLabel({ type: "user", value: "1a2b3c4d-0000" })).toBe("user 1a2b3c4d");
    expect(approverLabel({ type: "any" })).toBe("anyone");
  });
});

describe("gateHistory", () => {
  it("reads reminders and the escalation as sentences, oldest first, and leaves out what it does not know", () => {
    const entries = gateHistory([
      { kind: "reminded", at: "2026-12-01T10:00:00Z", recipients: [ME, OTHER] },
      { kind: "escalated", at: "2026-12-01T11:00:00Z", to: "the approvers' managers", reason: "escalated to the approvers' managers after 3600 s without a decision", added: [OTHER], removed: [ME] },
      { kind: "something-new", at: "2026-12-01T12:00:00Z" },
      { kind: "reminded", at: "2026-12-01T13:00:00Z", recipients: [OTHER] },
    ]);
    expect(entries).toEqual([
      { kind: "reminded", at: "2026-12-01T10:00:00Z", text: "Reminded 2 approvers who had not decided" },
      { kind: "escalated", at: "2026-12-01T11:00:00Z", text: "Escalated to the approvers' managers after 3600 s without a decision · 1 approver added · 1 no longer asked" },
      { kind: "reminded", at: "2026-12-01T13:00:00Z", text: "Reminded 1 approver who had not decided" },
    ]);
    expect(gateHistory(undefined)).toEqual([]);
  });
});
