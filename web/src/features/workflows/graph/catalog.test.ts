import { describe, expect, it } from "vitest";

import { defaultConfig, isExpression, isStepType, newStepId, OUTCOME_WORDS_BY_STEP_TYPE, runbookVersionChoice, STEP_TYPES, stepDetail, stepLabel } from "./catalog";

describe("the step catalog", () => {
  it("makes unique slug ids per type", () => {
    expect(newStepId("runbook", [])).toBe("runbook-1");
    expect(newStepId("runbook", ["runbook-1", "runbook-3"])).toBe("runbook-2");
  });

  it("tells outcome words from expressions, per source type", () => {
    expect(isExpression("true")).toBe(false);
    expect(isExpression(null)).toBe(false);
    expect(isExpression("inputs.x > 1")).toBe(true);
    expect(OUTCOME_WORDS_BY_STEP_TYPE.condition).toContain("false");
    expect(OUTCOME_WORDS_BY_STEP_TYPE.approval).not.toContain("failure");
  });

  it("labels known types and spells unknown ones as they are", () => {
    expect(stepLabel("approval")).toBe("Approval gate");
    expect(stepLabel("webhook")).toBe("webhook");
    expect(isStepType("delay")).toBe(true);
    expect(isStepType("toString")).toBe(false);
  });

  it("gives each new step a config its form can edit", () => {
    expect(STEP_TYPES.map((type) => defaultConfig(type))).toEqual([
      { parameters: {} },
      { approvers: [], min_approvals: 1 },
      { expression: "" },
      { channel: "", subject: "" },
      { seconds: 60 },
    ]);
  });

  it("sums a step up in one line for its node", () => {
    expect(stepDetail("runbook", { runbook_id: "r1" }, { r1: "Build" })).toBe("Build");
    expect(stepDetail("runbook", {})).toBe("no runbook chosen");
    expect(stepDetail("approval", { approvers: [{ type: "any" }, { type: "role", value: "cab" }], min_approvals: 2 })).toBe("2 approvers, 2 needed");
    expect(stepDetail("condition", { expression: "inputs.x" })).toBe("inputs.x");
    expect(stepDetail("notification", { channel: "ops" })).toBe("to ops");
    expect(stepDetail("delay", { seconds: 60 })).toBe("60 s");
    expect(stepDetail("delay", { until: "{{ inputs.at }}" })).toBe("until {{ inputs.at }}");
  });

  it("reads a runbook step's version choice and shows it on the node", () => {
    expect(runbookVersionChoice({})).toEqual({ mode: "start" });
    expect(runbookVersionChoice({ version: "latest" })).toEqual({ mode: "latest" });
    expect(runbookVersionChoice({ version: 3 })).toEqual({ mode: "fixed", version: 3 });
    expect(stepDetail("runbook", { runbook_id: "r1", version: 2 }, { r1: "Deploy" })).toBe("Deploy · v2");
    expect(stepDetail("runbook", { runbook_id: "r1", version: "latest" }, { r1: "Deploy" })).toBe("Deploy · latest");
    expect(stepDetail("runbook", { runbook_id: "r1" }, { r1: "Deploy" })).toBe("Deploy");
  });
});
