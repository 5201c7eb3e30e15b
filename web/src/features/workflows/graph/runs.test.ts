import { describe, expect, it } from "vitest";

import { runsByStep } from "./runs";

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
});
