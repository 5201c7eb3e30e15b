import { describe, expect, it } from "vitest";

import { runsByStep, statusTone, versionLabel } from "./runs";

describe("runs", () => {
  it("keys step runs by step id, the latest position winning", () => {
    const runs = runsByStep([
      { step_id: "a", name: "A", position: 2, status: "succeeded" },
      { step_id: "a", name: "A", position: 1, status: "failed" },
      { step_id: null, name: "b", position: 3, status: "pending" },
    ]);
    expect(runs.a!.status).toBe("succeeded");
    expect(runs.b!.status).toBe("pending");
  });

  it("labels pinned versions", () => {
    expect(versionLabel(3)).toBe("v3");
    expect(versionLabel(null)).toBe("—");
  });

  it("gives each status a tone", () => {
    expect(["succeeded", "timed_out", "waiting", "queued", "pending", undefined].map(statusTone)).toEqual(["good", "bad", "warn", "info", "neutral", "neutral"]);
  });
});
