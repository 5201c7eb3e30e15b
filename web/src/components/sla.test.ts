import { describe, expect, it } from "vitest";

import { mostUrgent, type SlaClock, slaTone, slaWords, span, targetLabel } from "./sla";

const NOW = Date.parse("2026-12-07T09:00:00Z");
const clock = (over: Partial<SlaClock>): SlaClock => ({
  target: "approval",
  state: "running",
  warn_at: "2026-12-07T09:30:00Z",
  due_at: "2026-12-07T10:00:00Z",
  stopped_at: null,
  ...over,
});

describe("SLA clocks", () => {
  it("are green on time, amber past the warning, red when late", () => {
    expect(slaTone(clock({}), NOW)).toBe("good");
    expect(slaTone(clock({ warn_at: "2026-12-07T08:59:00Z" }), NOW)).toBe("warn");
    expect(slaTone(clock({ due_at: "2026-12-07T08:59:00Z" }), NOW)).toBe("bad");
    expect(slaTone(clock({ state: "breached" }), NOW)).toBe("bad");
    expect(slaTone(clock({ state: "met", stopped_at: "2026-12-07T08:00:00Z" }), NOW)).toBe("good");
    expect(slaTone(clock({ state: "cancelled" }), NOW)).toBe("neutral");
  });

  it("say the time left, how late, or how they ended", () => {
    expect(slaWords(clock({}), NOW)).toBe("1 h left");
    expect(slaWords(clock({ due_at: "2026-12-07T08:55:00Z" }), NOW)).toBe("overdue 5 min");
    expect(slaWords(clock({ state: "met", stopped_at: "2026-12-07T08:00:00Z" }), NOW)).toBe("met");
    expect(slaWords(clock({ state: "breached", stopped_at: "2026-12-07T08:00:00Z" }), NOW)).toBe("breached");
    expect(span(((2 * 24 + 3) * 60 + 10) * 60_000)).toBe("2 days 3 h");
    expect(span(125 * 60_000)).toBe("2 h 5 min");
  });

  it("pick the running clock due soonest", () => {
    const later = clock({ target: "resolution", due_at: "2026-12-08T10:00:00Z" });
    const sooner = clock({ target: "fulfilment" });
    const done = clock({ target: "approval", due_at: "2026-12-01T00:00:00Z", state: "met", stopped_at: "2026-12-01T00:00:00Z" });
    expect(mostUrgent([later, done, sooner])?.target).toBe("fulfilment");
    expect(mostUrgent([done])).toBeUndefined();
  });

  it("names an approval step by its place in the ladder, counted from 1", () => {
    expect(targetLabel("approval_step", 0)).toBe("Approval step 1");
    expect(targetLabel("resolution", null)).toBe("Resolution");
  });

  it("shows a paused clock's time left as it stood when it paused", () => {
    const paused = clock({ state: "paused", paused_at: "2026-12-07T08:30:00Z", due_at: "2026-12-07T10:00:00Z" });
    expect(slaWords(paused, NOW)).toBe("paused, 1 h 30 min left");
    expect(slaTone(paused, NOW)).toBe("info");
    expect(mostUrgent([paused])).toBeUndefined();
  });
});
