import { describe, expect, it } from "vitest";

import { type Fulfillment, fulfillmentLabel, mayRetryFulfillment } from "./fulfillment";

const runbook: Fulfillment = {
  type: "runbook",
  runbook: { id: "r1", name: "Create account", version: 3 },
  workflow: null,
  parameters: { username: "ada" },
  error: null,
  runs: 1,
};

describe("fulfillmentLabel", () => {
  it("names the pinned runbook and its version", () => {
    expect(fulfillmentLabel(runbook)).toBe("Runbook “Create account” v3");
  });
  it("names a pinned workflow", () => {
    const workflow: Fulfillment = { ...runbook, type: "workflow", runbook: null, workflow: { id: "w", name: "Onboard", version: 1 } };
    expect(fulfillmentLabel(workflow)).toBe("Automation workflow “Onboard” v1");
  });
  it("says a manual fulfillment is done by hand", () => {
    expect(fulfillmentLabel({ ...runbook, type: "manual", runbook: null })).toBe("By hand (a fulfiller)");
  });
});

describe("mayRetryFulfillment", () => {
  it("offers a retry only for a failed runbook or workflow fulfillment", () => {
    expect(mayRetryFulfillment("fulfillment_failed", runbook)).toBe(true);
    expect(mayRetryFulfillment("in_fulfillment", runbook)).toBe(false);
    expect(mayRetryFulfillment("fulfillment_failed", { ...runbook, type: "manual" })).toBe(false);
    expect(mayRetryFulfillment("fulfillment_failed", null)).toBe(false);
  });
});
