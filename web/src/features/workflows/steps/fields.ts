// The step and edge forms' plumbing: which problem belongs beside which field (by its path inside the step), and
// config values as the text fields show them and back. Pure, unit-tested.
import type { LocatedProblem } from "../graph/problems";

export type Config = Record<string, unknown>;

export type ConfigProps = { config: Config; problems: readonly LocatedProblem[]; setConfig: (key: string, value: unknown) => void };

/** The config paths each step type's form shows a field for; other problems are listed above the form. */
const FIELDS: Record<string, string[]> = {
  runbook: ["config.runbook_id", "config.version", "config.parameters", "config.timeout_seconds", "config.retries"],
  approval: [
    "config.approvers",
    "config.min_approvals",
    "config.message",
    "config.timeout_seconds",
    "config.on_timeout",
    "config.remind_after_seconds",
    "config.escalate_after_seconds",
    "config.escalate_to",
    "config.escalation_replaces",
  ],
  condition: ["config.expression"],
  notification: ["config.channel", "config.subject", "config.body"],
  delay: ["config.seconds", "config.until"],
};

const covers = (field: string, sub: string) => sub === field || sub.startsWith(`${field}.`) || sub.startsWith(`${field}[`);

/** The messages for a field, those of the paths inside it prefixed with the rest of their path; none: undefined. */
export function errorsAt(problems: readonly LocatedProblem[], field: string): string | undefined {
  const messages = problems.filter((p) => covers(field, p.sub)).map((p) => (p.sub === field ? p.message : `${p.sub.slice(field.length + 1) || p.sub}: ${p.message}`));
  return messages.length ? messages.join(" ") : undefined;
}

/** The problems of a step of the type that no field of its form shows (and its type's, which has no field). */
export function problemsElsewhere(type: string, problems: readonly LocatedProblem[]): LocatedProblem[] {
  const fields = ["id", "name", "type", ...(FIELDS[type] ?? [])];
  return problems.filter((p) => !fields.some((f) => covers(f, p.sub)) || p.sub === "type");
}

export const asText = (value: unknown) => (value === undefined || value === null ? "" : typeof value === "string" ? value : String(value));

/** A typed number, or the text as typed (the API then says "must be a number"), or nothing when empty. */
export function asNumber(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

/** The config with `key` set, or without it when the value is undefined. */
export function withKey(config: Config, key: string, value: unknown): Config {
  const next = { ...config };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}
