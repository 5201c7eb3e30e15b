import { describe, expect, it } from "vitest";

import { executionStatusTone, statusLabel, statusTone, versionLabel } from "./status";

describe("record status", () => {
  it("tones a request's and a change's status words", () => {
    expect(statusTone("fulfilled")).toBe("good");
    expect(statusTone("fulfillment_failed")).toBe("bad");
    expect(statusTone("pending_approval")).toBe("warn");
    expect(statusTone("implementing")).toBe("info");
    expect(statusTone("cancelled")).toBe("neutral");
  });

  it("labels a status word with spaces", () => {
    expect(statusLabel("pending_approval")).toBe("pending approval");
  });
});

describe("execution status", () => {
  it("tones an execution's, step's and run's status words", () => {
    expect(executionStatusTone("succeeded")).toBe("good");
    expect(executionStatusTone("timed_out")).toBe("bad");
    expect(executionStatusTone("waiting")).toBe("warn");
    expect(executionStatusTone("cancelled")).toBe("warn");
    expect(executionStatusTone("queued")).toBe("info");
    expect(executionStatusTone(undefined)).toBe("neutral");
  });

  it("labels a pinned runbook version, and a dash when none is pinned", () => {
    expect(versionLabel(3)).toBe("v3");
    expect(versionLabel(null)).toBe("—");
  });
});
