import { describe, expect, it } from "vitest";

import {
  actionToDraft,
  draftsToActions,
  emptyAction,
  emptyParam,
  errorsUnder,
  formToParameters,
  paramsToSchema,
  schemaToForm,
  schemaToParams,
} from "./model";

describe("parameters schema ↔ fields", () => {
  it("round-trips a simple object schema", () => {
    const schema = {
      type: "object",
      properties: {
        host: { type: "string", description: "Where", enum: ["db1", "db2"], default: "db1" },
        count: { type: "integer", default: 3 },
        force: { type: "boolean" },
      },
      required: ["host"],
    };
    const fields = schemaToParams(schema);
    expect(fields?.map((f) => [f.name, f.type, f.required, f.choices, f.defaultValue])).toEqual([
      ["host", "string", true, "db1, db2", "db1"],
      ["count", "integer", false, "", "3"],
      ["force", "boolean", false, "", ""],
    ]);
    expect(paramsToSchema(fields ?? [])).toEqual(schema);
  });

  it("gives up (null) on what the field editor cannot show, and maps no fields to no schema", () => {
    expect(schemaToParams({ type: "object", properties: { tags: { type: "array" } } })).toBeNull();
    expect(schemaToParams({ type: "object", properties: { host: { type: "string", pattern: "^a" } } })).toBeNull();
    expect(schemaToParams({ type: "string" })).toBeNull();
    expect(schemaToParams(null)).toEqual([]);
    expect(paramsToSchema([emptyParam()])).toBeNull();
  });
});

describe("test-run form", () => {
  const schema = {
    type: "object",
    properties: {
      who: { type: "string", title: "Who" },
      n: { type: "number" },
      ok: { type: "boolean", default: true },
      mode: { enum: ["a", "b"] },
      extra: { type: "object" },
    },
    required: ["who"],
  };

  it("reads inputs from the schema", () => {
    const inputs = schemaToForm(schema);
    expect(inputs.map((i) => [i.name, i.label, i.kind, i.required, i.initial])).toEqual([
      ["who", "Who", "text", true, ""],
      ["n", "n", "number", false, ""],
      ["ok", "ok", "boolean", false, true],
      ["mode", "mode", "choice", false, ""],
      ["extra", "extra", "json", false, ""],
    ]);
    expect(schemaToForm(undefined)).toEqual([]);
  });

  it("turns values into typed parameters, leaving empty optional ones out and naming bad JSON", () => {
    const inputs = schemaToForm(schema);
    expect(formToParameters(inputs, { who: "ann", n: "2.5", ok: false, mode: "", extra: '{"a": 1}' })).toEqual({
      parameters: { who: "ann", n: 2.5, ok: false, extra: { a: 1 } },
      errors: {},
    });
    expect(formToParameters(inputs, { who: "x", n: "lots", extra: "{" })).toEqual({
      parameters: { who: "x", n: "lots", ok: true },
      errors: { extra: "is not valid JSON" },
    });
  });
});

describe("actions ↔ drafts", () => {
  it("round-trips script, http and built-in actions", () => {
    const actions = [
      { name: "hello", type: "shell", script: "echo hi" },
      { name: "call", type: "http", method: "POST", url: "https://x.example", headers: { A: "b" }, body: { k: 1 }, expect_status: [200, 201] },
      { name: "out", type: "echo", values: { v: "{{ params.who }}" } },
    ];
    expect(draftsToActions(actions.map(actionToDraft))).toEqual({ actions, errors: [] });
  });

  it("names the field of text that is not the JSON it must be", () => {
    const http = { ...emptyAction("http"), name: "call", url: "https://x.example", headers: "{nope", expectStatus: "200, abc" };
    const builtin = { ...emptyAction("echo"), name: "out", config: "[1]" };
    const { errors } = draftsToActions([http, builtin]);
    expect(errors.map((e) => e.field)).toEqual(["actions.0.headers", "actions.0.expect_status", "actions.1.config"]);
  });
});

describe("errorsUnder", () => {
  it("keys the problems under a prefix by the rest of their path", () => {
    const errors = [
      { field: "actions.0.script", message: "is required" },
      { field: "actions.0", message: "bad" },
      { field: "actions.10.name", message: "dup" },
      { field: "name", message: "x" },
    ];
    expect(errorsUnder(errors, "actions.0")).toEqual({ script: "is required", "": "bad" });
    expect(errorsUnder(errors, "actions.1")).toEqual({});
  });
});
