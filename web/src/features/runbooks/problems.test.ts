import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/problem";
import { runbookProblems } from "./problems";

describe("runbookProblems", () => {
  const saveError = new ApiError({
    title: "Unprocessable",
    status: 422,
    errors: [
      { field: "timeout_seconds", message: "at most 86400" },
      { field: "parameters.properties.size.type", message: "unknown type" },
      { field: "weird", message: "not allowed" },
    ],
  });

  it("shows each problem beside its top-level field, and the parameters' by parameter", () => {
    const view = runbookProblems(saveError, [{ field: "actions.0.script", message: "empty" }]);
    expect(view.top("timeout_seconds")).toBe("at most 86400");
    expect(view.top("actions")).toBe("0.script: empty");
    expect(view.top("name")).toBeUndefined();
    expect(view.perParam).toEqual({ size: "unknown type" });
    expect(view.summary.general).toEqual(["weird: not allowed"]);
  });

  it("puts an error without fields in the summary", () => {
    const view = runbookProblems(new ApiError({ title: "Conflict", status: 409, detail: "archived" }), []);
    expect(view.problems).toEqual([]);
    expect(view.summary.general).toEqual(["archived"]);
    expect(runbookProblems(new Error("offline"), []).summary.general).toEqual(["offline"]);
  });
});
