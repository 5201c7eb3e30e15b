// Values shown to people: one line of text for a facts list (gate parameters, runbook outputs).

/** A value as one line of text for a facts list (objects and lists as compact JSON). */
export function displayParameter(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
