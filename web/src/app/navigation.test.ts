import { describe, expect, it } from "vitest";

import { safeNext, visibleNavigation } from "./navigation";

describe("visibleNavigation", () => {
  const labels = (permissions: string[]) => visibleNavigation(permissions).flatMap((s) => s.items.map((i) => i.label));

  it("shows an admin every page", () => {
    expect(labels(["users.read", "users.manage", "audit.read", "jobs.read"])).toEqual([
      "Dashboard",
      "Users",
      "Groups",
      "Roles",
      "Audit log",
      "Jobs",
      "Tenant settings",
    ]);
  });

  it("shows only what the permissions allow, and drops empty sections", () => {
    expect(labels(["jobs.read", "users.read"])).toEqual(["Dashboard", "Users", "Groups", "Roles", "Jobs"]);
    expect(visibleNavigation([]).map((s) => s.label)).toEqual([undefined]);
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
