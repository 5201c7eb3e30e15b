// How the UI says who caused an execution (the API's `cause` and `caused_by`): the cause in words, each person's
// part in it, and "nobody" for a run an inbound webhook started (four-eyes holds nobody to its gates).

export const CAUSE_LABELS: Record<string, string> = {
  manual: "started by hand",
  schedule: "schedule",
  webhook: "inbound webhook",
  itsm_event: "ITSM event",
  fulfillment: "fulfillment of an ITSM request",
  workflow_step: "workflow step",
};

export const ROLE_LABELS: Record<string, string> = {
  requester: "requester",
  requested_for: "requested for",
  trigger_owner: "trigger owner",
  starter: "starter",
};

export function causeLabel(cause: string | null | undefined): string {
  if (!cause) return "unknown (recorded before causes were kept)";
  return CAUSE_LABELS[cause] ?? cause.replace(/_/g, " ");
}

export function roleLabel(role: string): string {
  return ROLE_LABELS[role] ?? role.replace(/_/g, " ");
}
