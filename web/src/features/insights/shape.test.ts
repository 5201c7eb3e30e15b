import { describe, expect, it } from "vitest";

import {
  ageBars,
  complianceSeries,
  dayLabel,
  durationBars,
  executionStacks,
  formatDuration,
  hideZero,
  monthLabel,
  outcomeBars,
  trendSeries,
  trendTotals,
  unitFor,
  waitingItemLabel,
  waitingItemPath,
  waitingItemTitle,
} from "./shape";

describe("durations", () => {
  it("picks the unit from the largest value", () => {
    expect(unitFor(90).label).toBe("seconds");
    expect(unitFor(600).label).toBe("minutes");
    expect(unitFor(3 * 3600).label).toBe("hours");
    expect(unitFor(5 * 86_400).label).toBe("days");
  });

  it("reads for people", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(12 * 60)).toBe("12 min");
    expect(formatDuration(3.5 * 3600)).toBe("3.5 h");
    expect(formatDuration(2.14 * 86_400)).toBe("2.1 d");
  });

  it("draws p50 and p90 in one unit and leaves out rows with nothing decided", () => {
    const rows = [
      { definition_name: "Manager", count: 2, p50_seconds: 7200, p90_seconds: 14_400 },
      { definition_name: "CAB", count: 1, p50_seconds: 1800, p90_seconds: 1800 },
      { definition_name: "Unused", count: 0, p50_seconds: null, p90_seconds: null },
    ];
    const { unit, bars } = durationBars(rows, "definition");
    expect(unit.label).toBe("hours");
    expect(bars).toEqual([
      { name: "Manager", count: 2, p50: 2, p90: 4 },
      { name: "CAB", count: 1, p50: 0.5, p90: 0.5 },
    ]);
  });

  it("names steps and approvers", () => {
    const row = { definition_name: "Laptop", step_name: "CAB", approver_name: "Mona", workflow_name: "Deploy", count: 1, p50_seconds: 1, p90_seconds: 1 };
    expect(durationBars([row], "step").bars[0]?.name).toBe("Laptop · CAB");
    expect(durationBars([row], "approver").bars[0]?.name).toBe("Mona");
    expect(durationBars([row], "workflow_step").bars[0]?.name).toBe("Deploy · CAB");
  });
});

describe("trends", () => {
  const rows = [
    { day: "2026-12-06", approved: 2, rejected: 1, submitted: 4 },
    { day: "2026-12-07", approved: 0, rejected: 0, submitted: 1 },
  ];

  it("labels each UTC day and counts its decisions", () => {
    expect(trendSeries(rows).map((r) => [r.label, r.decided])).toEqual([
      ["6 Dec", 3],
      ["7 Dec", 0],
    ]);
    expect(dayLabel("2026-01-31")).toBe("31 Jan");
  });

  it("adds up the range", () => {
    expect(trendTotals(rows)).toEqual({ approved: 2, rejected: 1, submitted: 5 });
    expect(trendTotals([])).toEqual({ approved: 0, rejected: 0, submitted: 0 });
  });
});

describe("distributions", () => {
  it("turns outcome rates into percentages", () => {
    const bars = outcomeBars([{ definition_name: "Manager", approved: 2, rejected: 1, cancelled: 0, approval_rate: 2 / 3 }]);
    expect(bars).toEqual([{ name: "Manager", approved: 2, rejected: 1, cancelled: 0, approvalPercent: 66.7 }]);
  });

  it("labels the age buckets in their order", () => {
    expect(ageBars([{ bucket: "lt_1h", count: 3 }, { bucket: "gt_7d", count: 1 }])).toEqual([
      { name: "< 1 h", count: 3 },
      { name: "> 7 d", count: 1 },
    ]);
  });

  it("sums SLA compliance over items per month and target", () => {
    const { targets, series } = complianceSeries([
      { month: "2026-12", target: "resolution", met: 1, breached: 1 },
      { month: "2026-11", target: "resolution", met: 3, breached: 0 },
      { month: "2026-12", target: "resolution", met: 2, breached: 0 },
      { month: "2026-12", target: "approval", met: 0, breached: 0 },
    ]);
    expect(targets).toEqual(["approval", "resolution"]);
    expect(series).toEqual([
      { month: "2026-11", label: "Nov 2026", approval: null, resolution: 100 },
      { month: "2026-12", label: "Dec 2026", approval: null, resolution: 75 },
    ]);
    expect(monthLabel("2027-01")).toBe("Jan 2027");
  });

  it("stacks executions per workflow by status", () => {
    const { statuses, stacks } = executionStacks([
      { workflow_name: "Deploy", status: "failed", count: 1 },
      { workflow_name: "Deploy", status: "succeeded", count: 4 },
      { workflow_name: "Onboard", status: "succeeded", count: 2 },
    ]);
    expect(statuses).toEqual(["succeeded", "failed"]);
    expect(stacks).toEqual([
      { name: "Deploy", failed: 1, succeeded: 4 },
      { name: "Onboard", succeeded: 2 },
    ]);
  });
});

describe("waiting items", () => {
  it("open the request, the change, or the approval", () => {
    expect(waitingItemPath({ instance_id: "i", record_type: "service_request", record_id: "r" })).toBe("/portal/requests/r");
    expect(waitingItemPath({ instance_id: "i", record_type: "change_request", record_id: "c" })).toBe("/itsm/changes/c");
    expect(waitingItemPath({ instance_id: "i", record_type: "other", record_id: "x" })).toBe("/approvals/instances/i");
  });
});

describe("waiting item names", () => {
  const item = { record_type: "service_request", record_id: "1a2b3c4d-0000-4000-8000-000000000000" };
  it("link with the number, else the title, else the kind and short id", () => {
    expect(waitingItemLabel({ ...item, record_number: "REQ0000007", title: "Laptop" })).toBe("REQ0000007");
    expect(waitingItemLabel({ ...item, record_number: "CHG0000042", title: null })).toBe("CHG0000042");
    expect(waitingItemLabel({ ...item, record_number: null, title: "Laptop" })).toBe("Laptop");
    expect(waitingItemLabel({ ...item, record_number: null, title: null })).toBe("Request 1a2b3c4d");
    expect(waitingItemLabel({ record_type: "change_request", record_id: "9f", title: null })).toBe("Change 9f");
  });
  it("show the title beside a numbered link only", () => {
    expect(waitingItemTitle({ record_number: "REQ0000007", title: "Laptop" })).toBe("Laptop");
    expect(waitingItemTitle({ record_number: "REQ0000007", title: null })).toBeNull();
    expect(waitingItemTitle({ record_number: null, title: "Laptop" })).toBeNull();
  });
});

describe("bar labels", () => {
  it("leave zeros and gaps unlabelled", () => {
    expect([hideZero(3), hideZero(0), hideZero(undefined), hideZero(null)]).toEqual(["3", "", "", ""]);
  });
});
