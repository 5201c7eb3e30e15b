import { describe, expect, it } from "vitest";

import { ApiError, describeError, formErrors, toProblem, usedByOf } from "./problem";

const validation = toProblem(422, {
  type: "https://tenantplane.dev/problems/validation-error",
  title: "Invalid input",
  status: 422,
  detail: "password: String should have at least 8 characters",
  errors: [
    { field: "password", message: "String should have at least 8 characters", code: "string_too_short" },
    { field: "roles.1", message: "String should match pattern '^[a-z][a-z0-9_.-]{0,63}$'" },
  ],
  request_id: "abc",
});

describe("toProblem", () => {
  it("keeps the fields of a problem document", () => {
    expect(validation).toMatchObject({ title: "Invalid input", status: 422, request_id: "abc" });
    expect(validation.errors).toHaveLength(2);
    expect(validation.errors?.[0]).toEqual({ field: "password", message: "String should have at least 8 characters" });
  });

  it("falls back to the status when the body is not a problem", () => {
    expect(toProblem(502, "<html>Bad gateway</html>", "Bad Gateway")).toEqual({ title: "Bad gateway", status: 502 });
    expect(toProblem(418, undefined, "I'm a teapot")).toEqual({ title: "I'm a teapot", status: 418 });
  });

  it("ignores malformed errors entries", () => {
    const problem = toProblem(422, { title: "Invalid input", errors: [{ field: 1 }, "x", { field: "a", message: "m" }] });
    expect(problem.errors).toEqual([{ field: "a", message: "m" }]);
  });
});

describe("usedByOf", () => {
  const inUse = {
    type: "https://tenantplane.dev/problems/in-use",
    title: "Still in use",
    status: 409,
    detail: "The runbook 'restart' is still used by workflow 'Restart'",
    used_by: [{ type: "workflow", id: "w1", name: "Restart" }, { type: "catalog_item", id: 7 }],
  };

  it("lists what still uses an archived thing, dropping malformed entries", () => {
    expect(usedByOf(new ApiError(toProblem(409, inUse)))).toEqual([{ type: "workflow", id: "w1", name: "Restart" }]);
  });

  it("is null for any other refusal", () => {
    expect(usedByOf(new ApiError(toProblem(409, { title: "Conflict", detail: "already archived" })))).toBeNull();
    expect(usedByOf(new ApiError(toProblem(422, { ...inUse, status: 422 })))).toBeNull();
    expect(usedByOf(new Error("offline"))).toBeNull();
  });
});

describe("formErrors", () => {
  it("puts each message next to the field it names", () => {
    const { fields, general } = formErrors(validation, ["email", "password", "roles"]);
    expect(fields.password).toBe("String should have at least 8 characters");
    expect(general).toEqual([]);
  });

  it("maps an item of a list field to the list, saying which entry", () => {
    const { fields } = formErrors(validation, ["password", "roles"]);
    expect(fields.roles).toBe("Entry 2: String should match pattern '^[a-z][a-z0-9_.-]{0,63}$'");
  });

  it("prefers the longest matching field name", () => {
    const problem = toProblem(422, { title: "x", errors: [{ field: "config.url", message: "bad url" }] });
    expect(formErrors(problem, ["config", "config.url"]).fields).toEqual({ "config.url": "bad url" });
  });

  it("joins several messages for one field", () => {
    const problem = toProblem(422, {
      title: "x",
      errors: [
        { field: "email", message: "is not valid." },
        { field: "email", message: "is taken." },
      ],
    });
    expect(formErrors(problem, ["email"]).fields.email).toBe("is not valid. is taken.");
  });

  it("sends errors about fields the form does not have to the summary", () => {
    const problem = toProblem(422, {
      title: "Invalid input",
      errors: [
        { field: "manager_id", message: "no user x in this tenant" },
        { field: "body", message: "Field required" },
      ],
    });
    expect(formErrors(problem, ["email"])).toEqual({
      fields: {},
      general: ["manager_id: no user x in this tenant", "Field required"],
    });
  });

  it("uses the detail when there are no field errors", () => {
    const problem = toProblem(401, { title: "Authentication required", detail: "Wrong email or password." });
    expect(formErrors(problem, ["email", "password"])).toEqual({ fields: {}, general: ["Wrong email or password."] });
    expect(formErrors(toProblem(500, null), ["email"]).general).toEqual(["Internal error"]);
  });

  it("keeps raw paths without a field list", () => {
    expect(formErrors(validation).fields).toHaveProperty("roles.1");
  });
});

describe("describeError", () => {
  it("says what went wrong in one line", () => {
    const conflict = new ApiError(toProblem(409, { title: "Conflict", detail: "Only dead jobs can be retried." }));
    expect(describeError(conflict)).toBe("Conflict: Only dead jobs can be retried.");
    expect(describeError(new ApiError(toProblem(404, { title: "Not found", detail: "Not found" })))).toBe("Not found");
    expect(describeError(new Error("boom"))).toBe("boom");
  });
});
