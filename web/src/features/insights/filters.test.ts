import { describe, expect, it } from "vitest";

import { csvHref, filtersFromParams, filtersToParams, toApiQuery } from "./filters";

const ITEM = "6f1c2a9e-0b7d-4c1e-9a55-0d6c3f2b1a01";

describe("the Insights filters in the URL", () => {
  it("reads a range, an item, a definition and a workflow", () => {
    const filters = filtersFromParams(new URLSearchParams(`range=90d&catalog_item_id=${ITEM.toUpperCase()}&definition_id=nope`));
    expect(filters).toEqual({ range: "90d", catalogItemId: ITEM, definitionId: "", workflowId: "" });
  });

  it("falls back to the last 30 days for an unknown range", () => {
    expect(filtersFromParams(new URLSearchParams("range=5y")).range).toBe("30d");
  });

  it("writes only what differs from the defaults, and reads back the same", () => {
    expect(filtersToParams({ range: "30d", catalogItemId: "", definitionId: "", workflowId: "" }).toString()).toBe("");
    const filters = { range: "7d" as const, catalogItemId: ITEM, definitionId: "", workflowId: ITEM };
    const params = filtersToParams(filters);
    expect(params.toString()).toBe(`range=7d&catalog_item_id=${ITEM}&workflow_id=${ITEM}`);
    expect(filtersFromParams(params)).toEqual(filters);
  });
});

describe("the API query", () => {
  it("covers whole UTC days up to the end of today, the same all day", () => {
    const filters = filtersFromParams(new URLSearchParams("range=7d"));
    const morning = toApiQuery(filters, new Date("2026-12-07T00:00:01Z"));
    expect(morning).toEqual({ from: "2026-12-01T00:00:00.000Z", to: "2026-12-08T00:00:00.000Z" });
    expect(toApiQuery(filters, new Date("2026-12-07T23:59:59Z"))).toEqual(morning);
  });

  it("passes the chosen ids on", () => {
    const query = toApiQuery({ range: "365d", catalogItemId: ITEM, definitionId: ITEM, workflowId: "" }, new Date("2026-12-07T12:00:00Z"));
    expect(query).toEqual({ from: "2025-12-08T00:00:00.000Z", to: "2026-12-08T00:00:00.000Z", catalog_item_id: ITEM, definition_id: ITEM });
  });

  it("links each table's CSV with the same filters", () => {
    const href = csvHref("/api/insights/approvals/time-to-decision", { from: "a", to: "b", catalog_item_id: ITEM }, { group_by: "step" });
    expect(href).toBe(`/api/insights/approvals/time-to-decision?from=a&to=b&catalog_item_id=${ITEM}&group_by=step&format=csv`);
  });
});
