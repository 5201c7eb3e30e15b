// A workflow's `inputs` JSON Schema: as typed in the builder, and the Run form generated from it (each property
// becomes a portal form variable, features/itsm/forms.ts, so the portal's controls and coercion are reused). Pure.
import type { FieldProblem } from "./graph/problems";
import type { FormVariable } from "../../components/forms";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The builder's inputs text as a schema: empty is none, else a JSON object, or the reason it is not one. */
export function parseInputsSchema(text: string): { inputs: Record<string, unknown> | null; error?: string } {
  if (!text.trim()) return { inputs: null };
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? { inputs: parsed } : { inputs: null, error: "The inputs schema is a JSON object." };
  } catch {
    return { inputs: null, error: "Not valid JSON." };
  }
}

/** One form variable per property of an object schema; objects and arrays are typed as JSON text. */
export function schemaVariables(schema: unknown): FormVariable[] {
  if (!isRecord(schema) || !isRecord(schema.properties)) return [];
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  return Object.entries(schema.properties).map(([name, raw]) => {
    const prop = isRecord(raw) ? raw : {};
    const title = typeof prop.title === "string" && prop.title ? prop.title : name;
    const help = typeof prop.description === "string" && prop.description ? prop.description : undefined;
    let type: FormVariable["type"] = "string";
    if (Array.isArray(prop.enum)) type = "choice";
    else if (prop.type === "boolean") type = "boolean";
    else if (prop.type === "integer" || prop.type === "number") type = "number";
    else if (prop.type === "object" || prop.type === "array") type = "text";
    else if (prop.format === "date") type = "date";
    return {
      name,
      label: title,
      type,
      required: required.includes(name),
      choices: Array.isArray(prop.enum) ? prop.enum.map(String) : [],
      default: prop.default ?? null,
      help: type === "text" ? `${help ? `${help} ` : ""}(JSON)` : help,
    };
  });
}

/**
 * The typed-in values as the `inputs` the API validates: JSON-typed properties parsed (sent as typed when they do
 * not parse, so the API names the field), choices of a numeric enum as numbers.
 */
export function schemaInputs(schema: unknown, values: Record<string, unknown>): Record<string, unknown> {
  const props = isRecord(schema) && isRecord(schema.properties) ? schema.properties : {};
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const prop = isRecord(props[name]) ? props[name] : {};
    if ((prop.type === "object" || prop.type === "array") && typeof value === "string") {
      try {
        out[name] = JSON.parse(value);
      } catch {
        out[name] = value;
      }
    } else if (Array.isArray(prop.enum) && typeof value === "string") {
      out[name] = prop.enum.find((choice) => String(choice) === value) ?? value;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** `inputs.<name>` problems of an execute call as the form's `variables.<name>` fields. */
export function inputProblems(errors: readonly FieldProblem[]): FieldProblem[] {
  return errors.map((e) => ({ field: e.field.replace(/^inputs\./, "variables."), message: e.message }));
}
