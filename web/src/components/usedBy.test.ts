import { describe, expect, it } from "vitest";

import { usedByHref, usedByKind } from "./usedBy";

describe("usedBy", () => {
  it("names each kind of user and links to the page that changes it", () => {
    const item = { type: "catalog_item", id: "c 1", name: "Laptop" };
    const setting = { type: "tenant_setting", id: "change_definitions.emergency", name: "default definition of emergency changes" };
    expect([usedByKind(item), usedByHref(item)]).toEqual(["Catalog item", "/itsm/catalog/c%201"]);
    expect([usedByKind(setting), usedByHref(setting)]).toEqual(["Tenant setting", "/admin/tenant"]);
    expect(usedByHref({ type: "workflow", id: "w", name: "Restart" })).toBe("/workflows/w");
  });

  it("keeps an unknown kind readable and unlinked", () => {
    const odd = { type: "notification_rule", id: "n", name: "x" };
    expect([usedByKind(odd), usedByHref(odd)]).toEqual(["notification rule", null]);
  });
});
