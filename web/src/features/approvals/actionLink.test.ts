import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/problem";
import { linkRefusal } from "./actionLink";

describe("the reason a signed link cannot be used", () => {
  it("is the API's own words: used, expired, four-eyes", () => {
    const used = new ApiError({ status: 410, title: "This link was already used", detail: "This link was already used (at 2026-12-04 21:00 UTC)" });
    expect(linkRefusal(used)).toBe("This link was already used (at 2026-12-04 21:00 UTC)");
    expect(linkRefusal(new ApiError({ status: 403, title: "Refused by the four-eyes rule" }))).toBe("Refused by the four-eyes rule");
  });
});
