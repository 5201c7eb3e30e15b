import { describe, expect, it } from "vitest";

import { causeLabel, roleLabel } from "./causes";

describe("causes", () => {
  it("names every cause the API records, and says so when a run predates them", () => {
    expect(causeLabel("webhook")).toBe("inbound webhook");
    expect(causeLabel("itsm_event")).toBe("ITSM event");
    expect(causeLabel(null)).toMatch(/^unknown/);
    expect(causeLabel("some_new_cause")).toBe("some new cause");
  });

  it("says each person's part in words", () => {
    expect(roleLabel("requested_for")).toBe("requested for");
    expect(roleLabel("trigger_owner")).toBe("trigger owner");
  });
});
