import { describe, expect, it } from "vitest";

import { formErrors } from "../api/problem";
import { coerceValue, coerceValues, emptyDraft, fieldName, fromDraft, initialValues, moveItem, requestFormFields, toDraft, toFormVariables } from "./forms";

const RAW = [
  { name: "cost", label: "Cost", type: "number", required: true },
  { name: "size", label: "Size", type: "choice", choices: ["S", "M", "L"], default: "M" },
  { name: "urgent", type: "boolean", default: true },
  { name: "notes", label: "Notes", type: "text" },
  { name: "when", label: "Needed by", type: "date" },
  { name: "owner", label: "Owner", type: "user" },
  { name: "odd", type: "hologram" },
  { label: "no name" },
  "junk",
];

describe("toFormVariables", () => {
  const form = toFormVariables(RAW);

  it("makes one field per named variable, in order, with labels falling back to the name", () => {
    expect(form.map((v) => [v.name, v.label, v.type])).toEqual([
      ["cost", "Cost", "number"],
      ["size", "Size", "choice"],
      ["urgent", "urgent", "boolean"],
      ["notes", "Notes", "text"],
      ["when", "Needed by", "date"],
      ["owner", "Owner", "user"],
      ["odd", "odd", "string"],
    ]);
  });

  it("keeps required, choices and defaults", () => {
    expect(form[0]?.required).toBe(true);
    expect(form[1]).toMatchObject({ required: false, choices: ["S", "M", "L"], default: "M" });
  });

  it("starts every control at its default (checkbox checked, empty text otherwise)", () => {
    expect(initialValues(form)).toEqual({ cost: "", size: "M", urgent: true, notes: "", when: "", owner: "", odd: "" });
  });
});

describe("coerceValue", () => {
  const [cost, size, urgent, notes] = toFormVariables(RAW);

  it("sends numbers as JSON numbers, and an unparsable number as typed so the API names it", () => {
    expect(coerceValue(cost!, " 12.5 ")).toBe(12.5);
    expect(coerceValue(cost!, "0")).toBe(0);
    expect(coerceValue(cost!, "twelve")).toBe("twelve");
    expect(coerceValue(cost!, "")).toBeUndefined();
  });

  it("sends booleans as booleans and leaves empty choices and text out", () => {
    expect(coerceValue(urgent!, false)).toBe(false);
    expect(coerceValue(urgent!, true)).toBe(true);
    expect(coerceValue(size!, "")).toBeUndefined();
    expect(coerceValue(size!, "L")).toBe("L");
    expect(coerceValue(notes!, "  keep spaces ")).toBe("  keep spaces ");
  });

  it("builds the request's variables object without empty fields", () => {
    const form = toFormVariables(RAW);
    expect(coerceValues(form, { ...initialValues(form), cost: "3", when: "2026-12-01" })).toEqual({
      cost: 3,
      size: "M",
      urgent: true,
      when: "2026-12-01",
    });
  });
});

describe("API errors on generated fields", () => {
  const form = toFormVariables(RAW);

  it("puts each variables.<name> error beside its field and the rest in the summary", () => {
    const errors = formErrors(
      {
        title: "Invalid input",
        status: 422,
        errors: [
          { field: "variables.cost", message: "Cost is required" },
          { field: "variables.size", message: "must be one of S, M, L" },
          { field: "variables.extra", message: "is not a field of this form" },
          { field: "justification", message: "too long" },
        ],
      },
      requestFormFields(form),
    );
    expect(errors.fields[fieldName(form[0]!)]).toBe("Cost is required");
    expect(errors.fields["variables.size"]).toBe("must be one of S, M, L");
    expect(errors.fields.justification).toBe("too long");
    expect(errors.general).toEqual(["variables.extra: is not a field of this form"]);
  });
});

describe("the catalog editor's variables", () => {
  it("moves a variable up and down, and not past either end", () => {
    expect(moveItem(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveItem(["a", "b"], 0, -1)).toEqual(["a", "b"]);
    expect(moveItem(["a", "b"], 1, 1)).toEqual(["a", "b"]);
  });

  it("round-trips a variable through the editor, typing its default", () => {
    const [cost, size, urgent] = toFormVariables([
      { name: "cost", label: "Cost", type: "number", default: 5 },
      { name: "size", type: "choice", choices: ["S", "M"], default: "S", required: true },
      { name: "urgent", type: "boolean", default: true },
    ]);
    expect(fromDraft(toDraft(cost!))).toEqual({ name: "cost", label: "Cost", type: "number", required: false, choices: null, default: 5, help: null });
    expect(fromDraft(toDraft(size!))).toMatchObject({ label: null, choices: ["S", "M"], default: "S", required: true });
    expect(fromDraft(toDraft(urgent!)).default).toBe(true);
    expect(fromDraft({ ...emptyDraft(), name: " x ", type: "choice", choices: " a, ,b " })).toMatchObject({ name: "x", choices: ["a", "b"], default: null });
  });
});
