// Status words in the UI: a record's (request, change, approval step) and an execution's (its steps, runs) as a
// badge tone and a label, and a runbook version as "v3". Pure; StatusBadge and the execution tables use them.

/** Record status words → badge tones, shared by requests, changes and approval steps. */
export function statusTone(status: string): "neutral" | "good" | "bad" | "warn" | "info" {
  if (["fulfilled", "completed", "approved"].includes(status)) return "good";
  if (["rejected", "fulfillment_failed", "failed"].includes(status)) return "bad";
  if (["pending_approval", "pending", "awaiting_requester"].includes(status)) return "warn";
  if (["in_fulfillment", "scheduled", "implementing"].includes(status)) return "info";
  return "neutral";
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, " ");
}

/** Execution, step-run and action status words → badge tones. */
export function executionStatusTone(status: string | undefined): "neutral" | "good" | "bad" | "warn" | "info" {
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
