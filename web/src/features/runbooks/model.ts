// Pure conversions behind the runbook editor and its test run: the parameters JSON Schema as a list of simple
// fields (and back), actions as editable drafts (and back), a parameters form's values, and field errors by path.

export type ParamType = "string" | "integer" | "number" | "boolean";
export const PARAM_TYPES: readonly ParamType[] = ["string", "integer", "number", "boolean"];

export interface ParamField {
  name: string;
  type: ParamType;
  required: boolean;
  description: string;
  /** Allowed values, comma-separated (strings only); empty = any. */
  choices: string;
  /** The default as typed; empty = none. */
  defaultValue: string;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function emptyParam(): ParamField {
  return { name: "", type: "string", required: false, description: "", choices: "", defaultValue: "" };
}

/**
 * The schema as simple fields, or null when it uses more than the field editor can show (nested objects,
 * arrays, patterns…): the editor then keeps the JSON text as the only way to edit it.
 */
export function schemaToParams(schema: unknown): ParamField[] | null {
  if (schema === null || schema === undefined) return [];
  if (!isRecord(schema)) return null;
  const known = new Set(["type", "properties", "required", "additionalProperties", "$schema"]);
  if (Object.keys(schema).some((k) => !known.has(k))) return null;
  if (schema.type !== undefined && schema.type !== "object") return null;
  const properties = schema.properties ?? {};
  if (!isRecord(properties)) return null;
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : [];
  const fields: ParamField[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    if (!isRecord(raw)) return null;
    if (Object.keys(raw).some((k) => !["type", "description", "enum", "default", "title"].includes(k))) return null;
    const type = raw.type;
    if (typeof type !== "string" || !(PARAM_TYPES as readonly string[]).includes(type)) return null;
    if (raw.enum !== undefined && !(type === "string" && Array.isArray(raw.enum) && raw.enum.every((v) => typeof v === "string")))
      return null;
    fields.push({
      name,
      type: type as ParamType,
      required: required.includes(name),
      description: typeof raw.description === "string" ? raw.description : "",
      choices: Array.isArray(raw.enum) ? raw.enum.join(", ") : "",
      defaultValue: raw.default === undefined ? "" : String(raw.default),
    });
  }
  return fields;
}

function typedDefault(field: ParamField): unknown {
  const raw = field.defaultValue.trim();
  if (field.type === "boolean") return raw === "true";
  if (field.type === "integer" || field.type === "number") {
    const n = Number(raw);
    return raw !== "" && Number.isFinite(n) ? n : raw;
  }
  return field.defaultValue;
}

/** Fields → JSON Schema (null when there are none, so a runbook without parameters stays without a schema). */
export function paramsToSchema(fields: readonly ParamField[]): Json | null {
  const named = fields.filter((f) => f.name.trim());
  if (!named.length) return null;
  const properties: Json = {};
  for (const field of named) {
    const property: Json = { type: field.type };
    if (field.description.trim()) property.description = field.description.trim();
    const choices = field.choices
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean);
    if (field.type === "string" && choices.length) property.enum = choices;
    if (field.defaultValue.trim() !== "") property.default = typedDefault(field);
    properties[field.name.trim()] = property;
  }
  const required = named.filter((f) => f.required).map((f) => f.name.trim());
  return { type: "object", properties, ...(required.length ? { required } : {}) };
}

/** One input of the test-run form, read from any object schema's top-level properties. */
export interface FormInput {
  name: string;
  label: string;
  kind: "text" | "number" | "integer" | "boolean" | "choice" | "json";
  required: boolean;
  description: string;
  choices: string[];
  initial: string | boolean;
}

export function schemaToForm(schema: unknown): FormInput[] {
  if (!isRecord(schema) || !isRecord(schema.properties)) return [];
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(schema.properties).map(([name, raw]) => {
    const prop = isRecord(raw) ? raw : {};
    const type = prop.type;
    const choices = Array.isArray(prop.enum) ? prop.enum.map((v) => String(v)) : [];
    const kind: FormInput["kind"] = choices.length
      ? "choice"
      : type === "boolean"
        ? "boolean"
        : type === "integer"
          ? "integer"
          : type === "number"
            ? "number"
            : type === "string" || type === undefined
              ? "text"
              : "json";
    const fallback = prop.default;
    const initial =
      kind === "boolean"
        ? fallback === true
        : fallback === undefined
          ? ""
          : kind === "json"
            ? JSON.stringify(fallback)
            : String(fallback);
    return {
      name,
      label: typeof prop.title === "string" && prop.title ? prop.title : name,
      kind,
      required: required.includes(name),
      description: typeof prop.description === "string" ? prop.description : "",
      choices,
      initial,
    };
  });
}

/**
 * The form's values as parameters: empty optional inputs are left out (the API applies no default for them
 * either way), numbers are numbers; text that is not a number stays text so the API's 422 names the field.
 * JSON inputs that do not parse are reported here, by name.
 */
export function formToParameters(inputs: readonly FormInput[], values: Record<string, string | boolean>): { parameters: Json; errors: Record<string, string> } {
  const parameters: Json = {};
  const errors: Record<string, string> = {};
  for (const input of inputs) {
    const value = values[input.name] ?? input.initial;
    if (input.kind === "boolean") {
      parameters[input.name] = value === true;
      continue;
    }
    const text = typeof value === "string" ? value : String(value);
    if (text.trim() === "") continue;
    if (input.kind === "number" || input.kind === "integer") {
      const n = Number(text);
      parameters[input.name] = Number.isFinite(n) ? n : text;
    } else if (input.kind === "json") {
      try {
        parameters[input.name] = JSON.parse(text);
      } catch {
        errors[input.name] = "is not valid JSON";
      }
    } else {
      parameters[input.name] = text;
    }
  }
  return { parameters, errors };
}

/** An action as the editor holds it: every field as text, whatever the type. */
export interface ActionDraft {
  key: string;
  name: string;
  type: string;
  script: string;
  method: string;
  url: string;
  headers: string;
  body: string;
  expectStatus: string;
  /** A built-in's config (everything but name and type) as JSON text. */
  config: string;
}

let drafts = 0;
function nextKey(): string {
  drafts += 1;
  return `action-${drafts}`;
}

export function emptyAction(type = "shell", index = 0): ActionDraft {
  return {
    key: nextKey(),
    name: `step_${index + 1}`,
    type,
    script: "",
    method: "GET",
    url: "",
    headers: "",
    body: "",
    expectStatus: "",
    config: type === "echo" ? '{\n  "values": {}\n}' : "{}",
  };
}

export function actionToDraft(action: Json): ActionDraft {
  const type = typeof action.type === "string" ? action.type : "shell";
  const { name, type: _type, ...config } = action;
  const headers = action.headers;
  const body = action.body;
  return {
    key: nextKey(),
    name: typeof name === "string" ? name : "",
    type,
    script: typeof action.script === "string" ? action.script : "",
    method: typeof action.method === "string" ? action.method : "GET",
    url: typeof action.url === "string" ? action.url : "",
    headers: headers === undefined || headers === null ? "" : JSON.stringify(headers, null, 2),
    body: body === undefined || body === null ? "" : typeof body === "string" ? body : JSON.stringify(body, null, 2),
    expectStatus: Array.isArray(action.expect_status) ? action.expect_status.join(", ") : "",
    config: JSON.stringify(config, null, 2),
  };
}

export const SCRIPT_TYPES = new Set(["shell", "python"]);

/** Drafts → the API's actions, plus errors for text that is not the JSON it must be (`actions.<i>.<field>`). */
export function draftsToActions(list: readonly ActionDraft[]): { actions: Json[]; errors: { field: string; message: string }[] } {
  const errors: { field: string; message: string }[] = [];
  const actions = list.map((draft, i) => {
    const field = `actions.${i}`;
    const base = { name: draft.name.trim(), type: draft.type.trim() };
    if (SCRIPT_TYPES.has(base.type)) return { ...base, script: draft.script };
    if (base.type === "http") {
      const action: Json = { ...base, method: draft.method, url: draft.url.trim() };
      if (draft.headers.trim()) {
        try {
          action.headers = JSON.parse(draft.headers);
        } catch {
          errors.push({ field: `${field}.headers`, message: 'must be a JSON object, e.g. {"Accept": "application/json"}' });
        }
      }
      if (draft.body.trim()) {
        const trimmed = draft.body.trim();
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
          try {
            action.body = JSON.parse(trimmed);
          } catch {
            errors.push({ field: `${field}.body`, message: "looks like JSON but does not parse" });
          }
        } else {
          action.body = draft.body;
        }
      }
      if (draft.expectStatus.trim()) {
        const codes = draft.expectStatus.split(/[\s,]+/).filter(Boolean).map(Number);
        if (codes.some((c) => !Number.isInteger(c))) errors.push({ field: `${field}.expect_status`, message: "must be status codes, e.g. 200, 201" });
        else action.expect_status = codes;
      }
      return action;
    }
    let config: unknown = {};
    try {
      config = draft.config.trim() ? JSON.parse(draft.config) : {};
    } catch {
      errors.push({ field: `${field}.config`, message: "is not valid JSON" });
    }
    if (!isRecord(config)) {
      errors.push({ field: `${field}.config`, message: "must be a JSON object of the action's fields" });
      return base;
    }
    return { ...config, ...base };
  });
  return { actions, errors };
}

/** Problems whose field starts with `prefix.`, keyed by the rest of the path (`actions.0.script` → `script`). */
export function errorsUnder(errors: readonly { field: string; message: string }[], prefix: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const { field, message } of errors) {
    if (field !== prefix && !field.startsWith(`${prefix}.`)) continue;
    const rest = field === prefix ? "" : field.slice(prefix.length + 1);
    found[rest] = found[rest] ? `${found[rest]} ${message}` : message;
  }
  return found;
}
