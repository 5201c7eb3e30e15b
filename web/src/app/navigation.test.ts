import { describe, expect, it } from "vitest";

import { safeNext, visibleNavigation } from "./navigation";

describe("visibleNavigation", () => {
  const labels = (permissions: string[]) => visibleNavigation(permissions).flatMap((s) => s.items.map((i) => i.label));
  const SERVICE_DESK = ["Service portal", "My requests", "Approvals"];

  it("shows an admin every page", () => {
    expect(
      labels(["users.read", "users.manage", "audit.read", "jobs.read", "requests.fulfill", "requests.read_all", "catalog.manage", "approval_definitions.manage"]),
    ).toEqual([
      "Dashboard",
      ...SERVICE_DESK,
      "Fulfillment queue",
      "Changes",
      "Catalog items",
      "Approval definitions",
      "Users",
      "Groups",
      "Roles",
      "Audit log",
      "Jobs",
      "Tenant settings",
      "Single sign-on",
      "SCIM provisioning",
    ]);
  });

  it("shows only what the permissions allow, and drops empty sections", () => {
    expect(labels(["jobs.read", "users.read"])).toEqual(["Dashboard", ...SERVICE_DESK, "Users", "Groups", "Roles", "Jobs"]);
    expect(visibleNavigation([]).map((s) => s.label)).toEqual([undefined, "Service desk"]);
  });

  it("shows Insights to those who may read them (admins, service owners, automation engineers)", () => {
    expect(labels(["insights.read"])).toEqual(["Dashboard", ...SERVICE_DESK, "Insights"]);
    expect(labels(["catalog.manage"])).not.toContain("Insights");
  });

  it("gives every requester the portal and the approvals inbox, and fulfillers their queue", () => {
    expect(labels([])).toEqual(["Dashboard", ...SERVICE_DESK]);
    expect(labels(["requests.fulfill", "users.read", "requests.read_all"])).toEqual([
      "Dashboard",
      ...SERVICE_DESK,
      "Fulfillment queue",
      "Changes",
      "Users",
      "Groups",
      "Roles",
    ]);
    expect(labels(["catalog.manage", "approval_definitions.manage"])).toEqual(["Dashboard", ...SERVICE_DESK, "Catalog items", "Approval definitions"]);
  });
});

describe("safeNext", () => {
  it("keeps a path of this app", () => {
    expect(safeNext("/admin/users?q=x")).toBe("/admin/users?q=x");
  });

  it.each([null, "", "https://evil.example", "//evil.example/x", "/\\evil.example", "admin", "/sign-in?next=/x"])(
    "sends %s to the dashboard",
    (next) => {
      expect(safeNext(next)).toBe("/");
    },
  );
});
