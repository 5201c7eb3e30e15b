import { describe, expect, it } from "vitest";

import { calendarBody, calendarDraft, minutesText, parseHours, policyBody, policyDraft, targetSummary, weekSummary } from "./model";

describe("service-level forms", () => {
  it("reads typed opening hours as intervals, keeping bad pieces for the API to name", () => {
    expect(parseHours("09:00-12:00, 13:00 - 17:00")).toEqual([
      { start: "09:00", end: "12:00" },
      { start: "13:00", end: "17:00" },
    ]);
    expect(parseHours("")).toEqual([]);
    expect(parseHours("9am")).toEqual([{ start: "9am", end: "" }]);
  });

  it("turns a calendar draft into its body, leaving closed days out", () => {
    const draft = { ...calendarDraft(), name: " Berlin desk ", timeZone: "Europe/Berlin", holidays: "2026-12-25\n2026-12-26, 2027-01-01" };
    const body = calendarBody({ ...draft, hours: { ...draft.hours, fri: "09:00-13:00" } });
    expect(body.name).toBe("Berlin desk");
    expect(Object.keys(body.working_hours ?? {})).toEqual(["mon", "tue", "wed", "thu", "fri"]);
    expect(body.working_hours?.fri).toEqual([{ start: "09:00", end: "13:00" }]);
    expect(body.holidays).toEqual(["2026-12-25", "2026-12-26", "2027-01-01"]);
  });

  it("counts approval steps from 1 on screen and from 0 in the API", () => {
    const draft = policyDraft();
    const body = policyBody({
      ...draft,
      name: "Desk",
      targets: [
        { target: "approval_step", step: "2", minutes: "60", clock: "wall" },
        { target: "resolution", step: "1", minutes: "480", clock: "business" },
      ],
    });
    expect(body.targets).toEqual([
      { target: "approval_step", step: 1, minutes: 60, clock: "wall" },
      { target: "resolution", minutes: 480, clock: "business" },
    ]);
    expect(body.warn_percent).toBe(80);
    expect(policyBody({ ...draft, warnPercent: "lots" }).warn_percent).toBe("lots");
  });

  it("sums up a week, joining runs of equal days", () => {
    const span = [{ start: "09:00", end: "17:00" }];
    const calendar = { working_hours: { mon: span, tue: span, wed: span, fri: span, sat: [{ start: "10:00", end: "12:00" }] } };
    expect(weekSummary(calendar as never)).toBe("Mon–Wed 09:00-17:00; Fri 09:00-17:00; Sat 10:00-12:00");
    expect(weekSummary({ working_hours: {} } as never)).toBe("closed");
  });

  it("describes targets in words", () => {
    expect(minutesText(150)).toBe("2 h 30 min");
    expect(minutesText(1440)).toBe("1 d");
    expect(targetSummary({ target: "approval_step", step: 0, minutes: 60, clock: "wall" })).toBe("Approval step 1: 1 h wall clock");
    expect(targetSummary({ target: "approval", minutes: 30, clock: "business" })).toBe("Approval: 30 min business time");
  });
});
