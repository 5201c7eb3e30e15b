// The problems of saving a runbook, sorted for the editor: the API's (or the form's own) by field, one line per
// top-level field (`top("timeout_seconds")`), the parameters schema's by parameter, and a summary for FormSummary.
import { ApiError } from "../../api/problem";
import { errorsUnder } from "./model";

export type Problem = { field: string; message: string };

/** Where each problem of `saveError` (the save mutation's error) and of the form's own checks shows. */
export function runbookProblems(saveError: Error | null, localProblems: readonly Problem[]) {
  const apiProblems: Problem[] = saveError instanceof ApiError ? (saveError.problem.errors ?? []) : [];
  const problems = [...localProblems, ...apiProblems];
  const general =
    saveError instanceof ApiError && !saveError.problem.errors?.length ? [saveError.problem.detail ?? saveError.problem.title] : saveError && !(saveError instanceof ApiError) ? [saveError.message] : [];
  const top = (name: string) => {
    const found = errorsUnder(problems, name);
    const text = Object.entries(found)
      .map(([rest, message]) => (rest ? `${rest}: ${message}` : message))
      .join(" ");
    return text || undefined;
  };
  const paramProblems = errorsUnder(problems, "parameters");
  const perParam: Record<string, string> = {};
  for (const [rest, message] of Object.entries(paramProblems)) {
    const match = /^properties\.([^.]+)/.exec(rest);
    if (match?.[1]) perParam[match[1]] = message;
  }
  const known = ["name", "description", "timeout_seconds", "queue", "secrets", "parameters", "actions"];
  const stray = problems.filter((p) => !known.some((k) => p.field === k || p.field.startsWith(`${k}.`))).map((p) => `${p.field}: ${p.message}`);
  const summary = { fields: Object.fromEntries(problems.map((p) => [p.field, p.message])), general: [...general, ...stray] };
  return { problems, top, paramProblems, perParam, summary };
}
