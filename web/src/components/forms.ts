// The request form of a catalog item, generated from its `variables`: which control each variable gets, the
// initial values (defaults), how typed-in values become the JSON the API validates, and how the API's
// `variables.<name>` errors land on the field they name. Pure functions, unit-tested.

export const VARIABLE_TYPES = ["string", "text", "number", "boolean", "choice", "date", "user"] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export interface FormVariable {
  name: string;
  label: string;
  type: VariableType;
  required: boolean;
  choices: string[];
  default: unknown;
  help?: string | undefined;
}

/** What a control holds while the user edits: text for inputs/selects/pickers, a flag for checkboxes. */
export type FieldValue = string | boolean;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The item's raw `variables` (loosely typed by the API) as form variables; unknown types fall back to string. */
export function toFormVariables(raw: readonly unknown[]): FormVariable[] {
  return raw.filter(isRecord).flatMap((v) => {
    if (typeof v.name !== "string" || !v.name) return [];
    const type = (VARIABLE_TYPES as readonly string[]).includes(String(v.type)) ? (v.type as VariableType) : "string";
    return [
      {
        name: v.name,
        label: typeof v.label === "string" && v.label ? v.label : v.name,
        type,
        required: v.required === true,
        choices: Array.isArray(v.choices) ? v.choices.map(String) : [],
        default: v.default ?? null,
        help: typeof v.help === "string" && v.help ? v.help : undefined,
      },
    ];
  });
}

/** The control's starting value: the variable's default, or empty (unchecked for a boolean). */
export function initialValue(variable: FormVariable): FieldValue {
  const d = variable.default;
  if (variable.type === "boolean") return d === true || d === "true";
  if (d === null || d === undefined) return "";
  return String(d);
}

export function initialValues(variables: readonly FormVariable[]): Record<string, FieldValue> {
  return Object.fromEntries(variables.map((v) => [v.name, initialValue(v)]));
}

/**
 * The control's value as the API wants it: numbers as JSON numbers, booleans as booleans, text trimmed of
 * nothing (what the user typed). An empty control is left out, so the API applies the default or says
 * "required". A number that does not parse is sent as typed: the API answers "must be a number" beside it.
 */
export function coerceValue(variable: FormVariable, value: FieldValue): unknown {
  if (variable.type === "boolean") return value === true;
  const text = typeof value === "string" ? value : String(value);
  if (variable.type === "number") {
    const trimmed = text.trim();
    if (!trimmed) return undefined;
    const parsed = Number(trimmed);
    return Number.isFinite(parsed) ? parsed : trimmed;
  }
  if (variable.type === "user" || variable.type === "choice" || variable.type === "date") {
    return text.trim() ? text.trim() : undefined;
  }
  return text === "" ? undefined : text;
}

export function coerceValues(variables: readonly FormVariable[], values: Record<string, FieldValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const variable of variables) {
    const value = coerceValue(variable, values[variable.name] ?? initialValue(variable));
    if (value !== undefined) out[variable.name] = value;
  }
  return out;
}

/** The form-field name of a variable: what `errors[].field` (`variables.<name>`) maps onto. */
export function fieldName(variable: Pick<FormVariable, "name">): string {
  return `variables.${variable.name}`;
}

/** Every field of a request form, for `formErrors`: the variables plus the justification (anything else goes to the summary). */
export function requestFormFields(variables: readonly FormVariable[]): string[] {
  return [...variables.map(fieldName), "justification"];
}

/** A value for display (timeline, inbox): booleans as Yes/No, empty as a dash. */
export function displayValue(value: unknown): string {
  if (value === true) return "Yes";
  if (value === false) return "No";
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The list with the entry at `index` moved one place up (-1) or down (+1); unchanged at either end. */
export function moveItem<T>(list: readonly T[], index: number, delta: -1 | 1): T[] {
  const target = index + delta;
  if (index < 0 || index >= list.length || target < 0 || target >= list.length) return [...list];
  const moved = [...list];
  [moved[index], moved[target]] = [moved[target] as T, moved[index] as T];
  return moved;
}

/** A form variable as the catalog editor edits it: choices as one comma-separated line, default as text. */
export interface VariableDraft {
  key: string;
  name: string;
  label: string;
  type: VariableType;
  required: boolean;
  choices: string;
  default: string;
  help: string;
}

let draftCounter = 0;
export function toDraft(variable: FormVariable): VariableDraft {
  draftCounter += 1;
  return {
    key: `var-${draftCounter}`,
    name: variable.name,
    label: variable.label === variable.name ? "" : variable.label,
    type: variable.type,
    required: variable.required,
    choices: variable.choices.join(", "),
    default: variable.default === null || variable.default === undefined ? "" : String(variable.default),
    help: variable.help ?? "",
  };
}

export function emptyDraft(): VariableDraft {
  return toDraft({ name: "", label: "", type: "string", required: false, choices: [], default: null });
}

/** The catalog API's body for one variable: the default typed like the variable (number, boolean). */
export function fromDraft(draft: VariableDraft) {
  const choices = draft.choices
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const text = draft.default.trim();
  let defaultValue: unknown = null;
  if (text) {
    if (draft.type === "number") defaultValue = Number.isFinite(Number(text)) ? Number(text) : text;
    else if (draft.type === "boolean") defaultValue = text === "true";
    else defaultValue = text;
  }
  return {
    name: draft.name.trim(),
    label: draft.label.trim() || null,
    type: draft.type,
    required: draft.required,
    choices: draft.type === "choice" ? choices : null,
    default: defaultValue,
    help: draft.help.trim() || null,
  };
}
