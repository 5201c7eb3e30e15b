// An execution as the canvas and tables show it: the run of each step, a status's tone, a pinned version's label.
// Pure, unit-tested.

/** The step-run of each step id (the latest when a step ran more than once). */
export function runsByStep<T extends { step_id?: string | null; name: string; position: number }>(runs: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const run of [...runs].sort((a, b) => a.position - b.position)) out[run.step_id ?? run.name] = run;
  return out;
}

export const FINISHED_EXECUTION_STATUSES: readonly string[] = ["succeeded", "failed", "rejected", "cancelled", "timed_out"];

export function statusTone(status: string | undefined): "neutral" | "good" | "bad" | "warn" | "info" {
  switch (status) {
    case "succeeded":
    case "approved":
      return "good";
    case "failed":
    case "rejected":
    case "timed_out":
      return "bad";
    case "waiting":
    case "cancelled":
      return "warn";
    case "running":
    case "queued":
      return "info";
    default:
      return "neutral";
  }
}

/** "v3", or a dash for a runbook step with no pin yet (a `latest` step that has not started). */
export function versionLabel(version: number | null | undefined): string {
  return typeof version === "number" ? `v${version}` : "—";
}
