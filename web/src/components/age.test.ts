import { describe, expect, it } from "vitest";

import { age } from "./age";

describe("age", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

  it("says how long ago in the largest whole unit up to days", () => {
    expect(age(ago(30), now)).toBe("just now");
    expect(age(ago(5 * 60), now)).toBe("5 min");
    expect(age(ago(3 * 3600), now)).toBe("3 h");
    expect(age(ago(47 * 3600), now)).toBe("47 h");
    expect(age(ago(4 * 86400), now)).toBe("4 days");
  });

  it("treats a time in the future as just now", () => {
    expect(age(ago(-600), now)).toBe("just now");
  });
});
