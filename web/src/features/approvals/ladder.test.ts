import { describe, expect, it } from "vitest";

import { addStep, fromStepRead, moveStep, removeStep, renumber, setParallel, sortLadder, toStepWrite } from "./ladder";

const s = (name: string, order: number) => ({ name, order });
const view = (steps: { name: string; order: number }[]) => steps.map((x) => `${x.order}:${x.name}`);

describe("ladder ordering", () => {
  it("sorts by order and keeps parallel steps in their place", () => {
    expect(view(sortLadder([s("c", 3), s("a", 1), s("b2", 2), s("b1", 2)]))).toEqual(["1:a", "2:b2", "2:b1", "3:c"]);
  });

  it("renumbers to 1..n, keeping steps that share an order together", () => {
    expect(view(renumber([s("a", 10), s("b", 20), s("c", 20), s("d", 35)]))).toEqual(["1:a", "2:b", "2:c", "3:d"]);
  });

  it("moves a step up and down by trading orders with its neighbour", () => {
    const ladder = [s("manager", 1), s("cab", 2), s("finance", 3)];
    expect(view(moveStep(ladder, 2, -1))).toEqual(["1:manager", "2:finance", "3:cab"]);
    expect(view(moveStep(ladder, 0, 1))).toEqual(["1:cab", "2:manager", "3:finance"]);
  });

  it("leaves the first step at the top and the last at the bottom", () => {
    const ladder = [s("a", 1), s("b", 2)];
    expect(view(moveStep(ladder, 0, -1))).toEqual(["1:a", "2:b"]);
    expect(view(moveStep(ladder, 1, 1))).toEqual(["1:a", "2:b"]);
  });

  it("removes a step and closes the gap", () => {
    expect(view(removeStep([s("a", 1), s("b", 2), s("c", 3)], 1))).toEqual(["1:a", "2:c"]);
    expect(view(removeStep([s("a", 1), s("b", 2), s("c", 2), s("d", 3)], 1))).toEqual(["1:a", "2:c", "3:d"]);
  });

  it("runs a step in parallel with the previous one, and on its own again", () => {
    const parallel = setParallel([s("a", 1), s("b", 2), s("c", 3)], 2, true);
    expect(view(parallel)).toEqual(["1:a", "2:b", "2:c"]);
    expect(view(setParallel(parallel, 2, false))).toEqual(["1:a", "2:b", "3:c"]);
    expect(view(setParallel([s("a", 1), s("b", 1), s("c", 2)], 1, false))).toEqual(["1:a", "2:b", "3:c"]);
  });

  it("adds steps at the end, each in its own order", () => {
    const ladder = addStep(addStep([], { name: "Manager", approver_type: "manager" }), { name: "CAB", approver_type: "role" });
    expect(view(ladder)).toEqual(["1:Manager", "2:CAB"]);
    expect(new Set(ladder.map((x) => x.key)).size).toBe(2);
  });
});

describe("toStepWrite", () => {
  it("drops the value for manager/any, the quorum for single approvers and on_timeout without a timeout", () => {
    const [manager, cab] = addStep(addStep([], { name: "Manager", approver_type: "manager", approver_value: "x", on_timeout: "skip" }), {
      name: "CAB",
      approver_type: "role",
      approver_value: " cab ",
      min_approvals: 2,
      timeout: "3600",
      on_timeout: "reject",
    });
    expect(toStepWrite(manager!)).toMatchObject({ approver_value: null, min_approvals: 1, timeout: null, on_timeout: null });
    expect(toStepWrite(cab!)).toMatchObject({ order: 2, approver_value: "cab", min_approvals: 2, timeout: 3600, on_timeout: "reject" });
  });

  it("round-trips a step read from the API", () => {
    const step = fromStepRead({
      name: "CAB",
      order: 2,
      approver_type: "group",
      approver_value: "g-1",
      approver_label: "CAB board",
      required: false,
      min_approvals: 2,
      timeout: 60,
      on_timeout: "escalate",
      remind_after: 10,
      escalate_after: 30,
      escalate_to: "group:g-2",
      escalation_replaces: true,
    });
    expect(toStepWrite(step)).toEqual({
      name: "CAB",
      order: 2,
      approver_type: "group",
      approver_value: "g-1",
      required: false,
      min_approvals: 2,
      timeout: 60,
      on_timeout: "escalate",
      remind_after: 10,
      escalate_after: 30,
      escalate_to: "group:g-2",
      escalation_replaces: true,
    });
  });

  it("sends no escalation target without an escalate_after", () => {
    const [step] = addStep([], { escalate_to: "manager", escalation_replaces: true, remind_after: "600" });
    expect(toStepWrite(step!)).toMatchObject({ remind_after: 600, escalate_after: null, escalate_to: null, escalation_replaces: false });
  });
});
