import { describe, expect, it } from "vitest";

import { curlExample, describeCron, emptyForm, formOf, formToBody, timeZones, triggerSummary, webhookUrl } from "./format";

describe("describeCron", () => {
  it.each([
    ["* * * * *", "Every minute"],
    ["*/5 * * * *", "Every 5 min"],
    ["*/1 * * * *", "Every minute"],
    ["15 * * * *", "Every hour at :15"],
    ["0 */6 * * *", "Every 6 hours at :00"],
    ["30 8 * * *", "Daily at 08:30"],
    ["0 8,17 * * *", "Daily at 08:00 and 17:00"],
    ["0 2 * * 6", "Every Saturday at 02:00"],
    ["0 2 * * SAT", "Every Saturday at 02:00"],
    ["0 7 * * 0", "Every Sunday at 07:00"],
    ["0 7 * * 7", "Every Sunday at 07:00"],
    ["0 9 * * 1-5", "Every weekday at 09:00"],
    ["0 9 * * 1,3,5", "Every Monday, Wednesday and Friday at 09:00"],
    ["0 9 * * 2-4", "Every Tuesday to Thursday at 09:00"],
    ["45 23 1 * *", "Monthly on day 1 at 23:45"],
  ])("%s → %s", (cron, words) => {
    expect(describeCron(cron)).toBe(words);
  });

  it.each(["0 0 1 1 *", "5-10 * * * *", "0 9 * * 1-9", "not a cron", "*/5 * * *", "0 9 1 * 1"])("%s is a custom schedule", (cron) => {
    expect(describeCron(cron)).toBe("Custom schedule");
  });
});

describe("triggerSummary", () => {
  it("says a schedule in words with its expression and time zone", () => {
    expect(triggerSummary({ kind: "schedule", config: { cron: "*/5 * * * *", timezone: "Europe/Berlin" } })).toBe("Every 5 min (*/5 * * * *, Europe/Berlin)");
    expect(triggerSummary({ kind: "schedule", config: { cron: "0 2 * * 6" } })).toBe("Every Saturday at 02:00 (0 2 * * 6, UTC)");
  });

  it("names an ITSM event and its catalog item (by name when known)", () => {
    const config = { event: "itsm.request.approved", catalog_item_id: "c1" };
    expect(triggerSummary({ kind: "itsm_event", config }, { c1: "New laptop" })).toBe("When a service request is approved (catalog item New laptop)");
    expect(triggerSummary({ kind: "itsm_event", config })).toBe("When a service request is approved (catalog item c1)");
    expect(triggerSummary({ kind: "itsm_event", config: { event: "itsm.change.approved" } })).toBe("When a change is approved");
  });

  it("describes a webhook without its (unknown) URL", () => {
    expect(triggerSummary({ kind: "webhook", config: {} })).toBe("When its secret URL receives a POST");
  });
});

describe("formToBody", () => {
  it("sends a schedule's trimmed cron and time zone, and parsed inputs", () => {
    const form = { ...emptyForm("schedule", "Europe/Berlin"), cron: " */5 * * * * ", inputs: '{"env": "prod"}' };
    expect(formToBody(form)).toEqual({ body: { kind: "schedule", enabled: true, config: { cron: "*/5 * * * *", timezone: "Europe/Berlin", inputs: { env: "prod" } } } });
  });

  it("leaves an invalid cron for the API to judge (its message goes beside the field)", () => {
    expect(formToBody({ ...emptyForm("schedule"), cron: "every day" })).toEqual({ body: { kind: "schedule", enabled: true, config: { cron: "every day", timezone: "UTC" } } });
  });

  it("sends a webhook with only its inputs, and a disabled one disabled", () => {
    expect(formToBody({ ...emptyForm("webhook"), enabled: false })).toEqual({ body: { kind: "webhook", enabled: false, config: {} } });
  });

  it("sends an ITSM event with its catalog item only for request events", () => {
    const form = { ...emptyForm("itsm_event"), event: "itsm.request.fulfilled", catalogItemId: "c1" };
    expect(formToBody(form)).toEqual({ body: { kind: "itsm_event", enabled: true, config: { event: "itsm.request.fulfilled", catalog_item_id: "c1" } } });
    expect(formToBody({ ...form, event: "itsm.change.approved" })).toEqual({ body: { kind: "itsm_event", enabled: true, config: { event: "itsm.change.approved" } } });
    expect(formToBody({ ...form, catalogItemId: "" })).toEqual({ body: { kind: "itsm_event", enabled: true, config: { event: "itsm.request.fulfilled" } } });
  });

  it("refuses inputs that are not a JSON object, locally", () => {
    expect(formToBody({ ...emptyForm("webhook"), inputs: "{nope" })).toEqual({ inputsError: "Not valid JSON." });
    expect(formToBody({ ...emptyForm("webhook"), inputs: "[1]" })).toEqual({ inputsError: "The inputs are a JSON object." });
  });

  it("round-trips an existing trigger through the edit form", () => {
    const trigger = { kind: "schedule", enabled: false, config: { cron: "0 2 * * 6", timezone: "Europe/Berlin", inputs: { env: "dev" } } };
    const form = formOf(trigger);
    expect(form).toMatchObject({ kind: "schedule", enabled: false, cron: "0 2 * * 6", timezone: "Europe/Berlin" });
    expect(formToBody(form)).toEqual({ body: { kind: "schedule", enabled: false, config: trigger.config } });
  });
});

describe("webhook helpers", () => {
  it("joins the origin and the API's path", () => {
    expect(webhookUrl("http://127.0.0.1:8000/", "/api/hooks/abc")).toBe("http://127.0.0.1:8000/api/hooks/abc");
  });

  it("gives a curl POST with a JSON body to the URL", () => {
    expect(curlExample("https://tp.example.com/api/hooks/abc")).toBe(
      `curl -X POST -H 'Content-Type: application/json' -d '{"host": "web-1"}' 'https://tp.example.com/api/hooks/abc'`,
    );
  });
});

describe("timeZones", () => {
  it("puts UTC first and keeps a current zone the browser does not list", () => {
    expect(timeZones("UTC", ["Europe/Berlin", "UTC"])).toEqual(["UTC", "Europe/Berlin"]);
    expect(timeZones("Europe/Kiev", ["Europe/Berlin"])).toEqual(["UTC", "Europe/Kiev", "Europe/Berlin"]);
  });
});
