// RFC 9457 problem details as the API sends them, and how a form shows them: messages next to the fields
// they name, everything else in a summary above the form.

export interface FieldError {
  field: string;
  message: string;
}

/** One live object that still uses what an archive was refused for (`used_by` of a 409 `in-use` problem). */
export interface UsedBy {
  type: string;
  id: string;
  name: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  used_by?: UsedBy[];
  request_id?: string;
}

/** Every failed API call throws one of these; `problem` is what the server said (or what we could not reach). */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asFieldErrors(value: unknown): FieldError[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const errors = value
    .filter(isRecord)
    .filter((e) => typeof e.field === "string" && typeof e.message === "string")
    .map((e) => ({ field: e.field as string, message: e.message as string }));
  return errors.length ? errors : undefined;
}

function asUsedBy(value: unknown): UsedBy[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const uses = value
    .filter(isRecord)
    .filter((u) => typeof u.type === "string" && typeof u.id === "string" && typeof u.name === "string")
    .map((u) => ({ type: u.type as string, id: u.id as string, name: u.name as string }));
  return uses.length ? uses : undefined;
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Authentication required",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Request body too large",
  422: "Invalid input",
  429: "Too many requests",
  500: "Internal error",
  502: "Bad gateway",
  503: "Service unavailable",
};

/** Reads any error body into a Problem: a problem document, a bare `{detail}` or a text page from a proxy. */
export function toProblem(status: number, body: unknown, statusText = ""): Problem {
  const fallbackTitle = STATUS_TITLES[status] ?? (statusText || `HTTP ${status}`);
  if (isRecord(body)) {
    const title = typeof body.title === "string" && body.title ? body.title : fallbackTitle;
    const detail = typeof body.detail === "string" ? body.detail : undefined;
    const problem: Problem = { title, status: typeof body.status === "number" ? body.status : status };
    if (typeof body.type === "string") problem.type = body.type;
    if (detail) problem.detail = detail;
    const errors = asFieldErrors(body.errors);
    if (errors) problem.errors = errors;
    const usedBy = asUsedBy(body.used_by);
    if (usedBy) problem.used_by = usedBy;
    if (typeof body.request_id === "string") problem.request_id = body.request_id;
    return problem;
  }
  return { title: fallbackTitle, status };
}

export function networkProblem(): Problem {
  return {
    title: "Cannot reach the server",
    status: 0,
    detail: "Check your connection and try again.",
  };
}

export interface FormErrors {
  /** Message per form field name, ready to show next to that field. */
  fields: Record<string, string>;
  /** Messages that belong to no field on the form (shown in the summary). */
  general: string[];
}

/**
 * Maps a problem's `errors[]` onto the fields a form has.
 *
 * A nested path maps to the longest field name it starts with (`roles.0` → `roles`, with "Entry 1:" in front so
 * the message still says which one); errors that match no field, and a problem without `errors`, go to `general`.
 * Without `formFields`, every error keeps its own path.
 */
export function formErrors(problem: Problem, formFields?: readonly string[]): FormErrors {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const { field, message } of problem.errors ?? []) {
    const target = formFields ? matchField(field, formFields) : field;
    if (target === undefined) {
      general.push(field && field !== "body" ? `${field}: ${message}` : message);
      continue;
    }
    const rest = field.slice(target.length + 1);
    const index = /^(\d+)(?:\.|$)/.exec(rest);
    const text = index ? `Entry ${Number(index[1]) + 1}: ${message}` : message;
    fields[target] = fields[target] ? `${fields[target]} ${text}` : text;
  }
  if (!problem.errors?.length) general.push(problem.detail || problem.title);
  return { fields, general };
}

function matchField(path: string, formFields: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const name of formFields) {
    if ((path === name || path.startsWith(`${name}.`)) && (!best || name.length > best.length)) best = name;
  }
  return best;
}

/** One line for an error that is not about a form (a failed load, a refused action). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const { problem } = error;
    if (problem.errors?.length) return problem.errors.map((e) => e.message).join(" ");
    return problem.detail && problem.detail !== problem.title ? `${problem.title}: ${problem.detail}` : problem.title;
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

/** What still uses the thing an archive was refused for (a 409 with `used_by`), or null for any other error. */
export function usedByOf(error: unknown): UsedBy[] | null {
  return error instanceof ApiError && error.status === 409 && error.problem.used_by ? error.problem.used_by : null;
}
