import { describe, expect, it } from "vitest";

import { coerceValues } from "../../components/forms";
import { inputProblems, parseInputsSchema, schemaInputs, schemaVariables } from "./inputs";

describe("the inputs schema as typed in the builder", () => {
  it("is none when empty, the object when it parses, and says why not otherwise", () => {
    expect(parseInputsSchema("  ")).toEqual({ inputs: null });
    expect(parseInputsSchema('{"type": "object"}')).toEqual({ inputs: { type: "object" } });
    expect(parseInputsSchema("[1]")).toEqual({ inputs: null, error: "The inputs schema is a JSON object." });
    expect(parseInputsSchema("null")).toEqual({ inputs: null, error: "The inputs schema is a JSON object." });
    expect(parseInputsSchema("{oops")).toEqual({ inputs: null, error: "Not valid JSON." });
  });
});

describe("the Run form from the inputs schema", () => {
  const schema = {
    type: "object",
    required: ["env"],
    properties: {
      env: { type: "string", enum: ["dev", "prod"], title: "Environment" },
      count: { type: "integer", default: 2 },
      dry: { type: "boolean" },
      tags: { type: "array", description: "Labels" },
      level: { enum: [1, 2] },
    },
  };

  it("makes one portal variable per property", () => {
    expect(schemaVariables(schema).map((v) => [v.name, v.label, v.type, v.required])).toEqual([
      ["env", "Environment", "choice", true],
      ["count", "count", "number", false],
      ["dry", "dry", "boolean", false],
      ["tags", "tags", "text", false],
      ["level", "level", "choice", false],
    ]);
    expect(schemaVariables(null)).toEqual([]);
  });

  it("turns typed-in values into inputs of the right JSON types", () => {
    const variables = schemaVariables(schema);
    const values = coerceValues(variables, { env: "prod", count: "3", dry: true, tags: '["a"]', level: "2" });
    expect(schemaInputs(schema, values)).toEqual({ env: "prod", count: 3, dry: true, tags: ["a"], level: 2 });
    expect(schemaInputs(schema, { tags: "[oops" })).toEqual({ tags: "[oops" });
  });

  it("maps inputs.<name> problems onto the form's fields", () => {
    expect(inputProblems([{ field: "inputs.env", message: "required" }])).toEqual([{ field: "variables.env", message: "required" }]);
  });
});
