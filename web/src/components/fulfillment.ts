// The fulfillment a request pinned at submit, in words: what an approver approves and what a retry reruns.
import type { Schemas } from "../api/client";

export type Fulfillment = Schemas["FulfillmentRead"];

/** "Runbook “Create account” v3", "Automation workflow “Onboard” v1", or "By hand (a fulfiller)". */
export function fulfillmentLabel(fulfillment: Fulfillment): string {
  if (fulfillment.type === "manual") return "By hand (a fulfiller)";
  const target = fulfillment.type === "runbook" ? fulfillment.runbook : fulfillment.workflow;
  const noun = fulfillment.type === "runbook" ? "Runbook" : "Automation workflow";
  return target ? `${noun} “${target.name}” v${target.version}` : noun;
}

/** Whether a request in this state may be retried by someone allowed to (the API answers 409 otherwise). */
export function mayRetryFulfillment(status: string, fulfillment: Fulfillment | null | undefined): boolean {
  return status === "fulfillment_failed" && Boolean(fulfillment) && fulfillment?.type !== "manual";
}
