import { describe, expect, it } from "vitest";

import { ageLabel, appPath, notificationsLinkName, unreadBadge } from "./notices";

describe("unreadBadge", () => {
  it("is empty when nothing is unread", () => {
    expect(unreadBadge(0, false)).toBe("");
  });

  it("shows the count", () => {
    expect(unreadBadge(1, false)).toBe("1");
    expect(unreadBadge(99, false)).toBe("99");
  });

  it("caps at 99+ when the page could not count them all", () => {
    expect(unreadBadge(99, true)).toBe("99+");
    expect(unreadBadge(150, false)).toBe("99+");
  });
});

describe("notificationsLinkName", () => {
  it("names the unread count", () => {
    expect(notificationsLinkName(3, false)).toBe("Notifications, 3 unread");
    expect(notificationsLinkName(99, true)).toBe("Notifications, 99+ unread");
  });

  it("is plain with none unread", () => {
    expect(notificationsLinkName(0, false)).toBe("Notifications");
  });
});

describe("appPath", () => {
  it("keeps paths of this app", () => {
    expect(appPath("/approvals/gates/123")).toBe("/approvals/gates/123");
    expect(appPath(" /portal/requests/abc ")).toBe("/portal/requests/abc");
  });

  it("refuses other sites and empty links", () => {
    expect(appPath(null)).toBeNull();
    expect(appPath("")).toBeNull();
    expect(appPath("https://evil.example.com/")).toBeNull();
    expect(appPath("//evil.example.com/")).toBeNull();
    expect(appPath("/\\evil.example.com")).toBeNull();
    expect(appPath("javascript:alert(1)")).toBeNull();
  });
});

describe("ageLabel", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");

  it("says how long ago", () => {
    expect(ageLabel("2026-01-10T11:59:40Z", now)).toBe("just now");
    expect(ageLabel("2026-01-10T11:57:00Z", now)).toBe("3 min ago");
    expect(ageLabel("2026-01-10T09:00:00Z", now)).toBe("3 h ago");
    expect(ageLabel("2026-01-06T12:00:00Z", now)).toBe("4 days ago");
  });
});
