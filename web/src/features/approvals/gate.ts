// Pure reading of automation approval gates: what an inbox item or a gate says is being approved, and whether
// the signed-in user may decide it (the same rules the API applies, so no button is offered it would refuse).
// The shapes it reads are the API's own (`GateRead`, `GateSubjectRead`, `GateWhatRead`, generated from the backend's
// OpenAPI document); what it returns is the view the cards render.
import type { Schemas } from "../../api/client";

/** What a gate asks to approve as the API sends it: a gate's `subject`, or an automation inbox item's `what`. */
export type GateSubjectWire = Schemas["GateSubjectRead"] & Partial<Pick<Schemas["GateWhatRead"], "execution_id" | "step_id">>;

export interface NextStep {
  stepId: string;
  runbookId: string | null;
  /** The runbook's name, as the gate recorded it when it opened (older gates have none). */
  runbook: string | null;
  /** The runbook version that runs once the gate is decided (older gates have none). */
  runbookVersion: number | null;
  parameters: Record<string, unknown>;
}

export interface GateWorkflow {
  name: string;
  version: number | null;
}

export interface GateSubject {
  /** The workflow the gate belongs to, readable by every approver (older gates have none). */
  workflow: GateWorkflow | null;
  executionId: string | null;
  stepId: string | null;
  inputs: Record<string, unknown>;
  nextSteps: NextStep[];
}

export interface GateDecisionEntry {
  userId: string;
  user: string;
  onBehalfOf: string | null;
  decision: string;
  comment: string | null;
  at: string | null;
}

/** The fields of a gate the rules need (a `GateRead`). */
export type GateLike = Pick<Schemas["GateRead"], "status" | "allow_self_approval" | "min_approvals" | "decisions"> &
  Partial<Pick<Schemas["GateRead"], "started_by" | "caused_by">>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** What is approved: an inbox item's `what` (execution_id, step_id, inputs, next_steps) or a gate's `subject`. */
export function gateSubject(what: GateSubjectWire, gate?: { execution_id: string; step_id: string }): GateSubject {
  // A stored entry that is not an object (a gate written by hand, or damaged) is left out rather than shown broken.
  const steps = (what.next_steps ?? []).filter((s) => isRecord(s));
  const workflow = what.workflow?.name ? { name: what.workflow.name, version: what.workflow.version ?? null } : null;
  return {
    workflow,
    executionId: what.execution_id ?? gate?.execution_id ?? null,
    stepId: what.step_id ?? gate?.step_id ?? null,
    inputs: what.inputs ?? {},
    nextSteps: steps.map((s) => ({
      stepId: s.step_id || "?",
      runbookId: s.runbook_id ?? null,
      runbook: s.runbook ?? null,
      runbookVersion: s.runbook_version ?? null,
      parameters: s.parameters ?? {},
    })),
  };
}

export function gateDecisions(gate: GateLike): GateDecisionEntry[] {
  return gate.decisions.map((d) => ({
    userId: text(d.user_id) ?? "",
    user: text(d.user) ?? text(d.user_id) ?? "someone",
    onBehalfOf: text(d.on_behalf_of),
    decision: text(d.decision) ?? "?",
    comment: text(d.comment),
    at: text(d.at),
  }));
}

/** Approvals counted so far (one per approver, a delegate's vote counting for whom they stand in for). */
export function approvalCount(gate: GateLike): number {
  const votes = new Set(gateDecisions(gate).filter((d) => d.decision === "approved").map((d) => d.onBehalfOf ?? d.userId));
  return votes.size;
}

export type GateVerdict = { canDecide: true } | { canDecide: false; reason: string };

export interface Causer {
  userId: string;
  role: string;
}

/** Who caused the gate's execution; gates from before the chain was kept name only who started it. */
export function gateChain(gate: GateLike): Causer[] {
  const chain = (gate.caused_by ?? []).map((c) => ({ userId: text(c.user_id) ?? "", role: text(c.role) ?? "starter" }));
  if (gate.started_by && !chain.some((c) => c.userId === gate.started_by)) chain.push({ userId: gate.started_by, role: "starter" });
  return chain;
}

const FOUR_EYES_WHY: Record<string, string> = {
  starter: "You started this execution",
  requester: "You requested the ITSM request behind this execution",
  requested_for: "The ITSM request behind this execution is for you",
  trigger_owner: "You own the trigger that started this execution",
};

/**
 * May `meId` decide this gate? Closed gates, the four-eyes rule (everyone who caused the execution: its starter, the
 * requester and requested-for of the ITSM request behind it, a schedule's owner; unless the workflow allows
 * self-approval) and a second vote by the same person are refused by the API, so they get no buttons.
 * Being an eligible approver (or a delegate of one) is known only to the API: `listedAsMine` says whether the
 * gate is among those it lists as mine to decide (`mine=true`); undefined while that is not known yet.
 */
export function gateVerdict(gate: GateLike, meId: string, listedAsMine?: boolean): GateVerdict {
  if (gate.status !== "pending") return { canDecide: false, reason: `This approval is ${gate.status.replace(/_/g, " ")}: there is nothing left to decide.` };
  const mine = gateChain(gate).find((c) => c.userId === meId);
  if (mine && !gate.allow_self_approval) {
    const why = FOUR_EYES_WHY[mine.role] ?? "You caused this execution";
    return { canDecide: false, reason: `${why}, so you may not approve or reject its gate (four-eyes rule): another approver has to decide.` };
  }
  if (gateDecisions(gate).some((d) => d.userId === meId))
    return { canDecide: false, reason: "You already decided this approval; it waits for the other approvers." };
  if (listedAsMine === false) return { canDecide: false, reason: "You are not an approver of this gate (nor standing in for one)." };
  return { canDecide: true };
}

export { displayParameter } from "../../components/values";

/** "role cab", "user 1a2b3c4d", "anyone": who a gate's approvers are, for people. */
export function approverLabel(approver: Record<string, unknown>): string {
  const type = text(approver.type) ?? "?";
  const value = text(approver.value);
  if (type === "any") return "anyone";
  return value ? `${type} ${type === "user" || type === "group" ? value.slice(0, 8) : value}` : type;
}

/** One line of a gate's history: a reminder sent, or its escalation (to whom, why, who joined or left). */
export interface GateHistoryEntry {
  kind: "reminded" | "escalated";
  at: string | null;
  text: string;
}

function ids(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The gate's reminders and escalation, oldest first, as sentences (entries of another kind are left out). */
export function gateHistory(history: readonly Record<string, unknown>[] | undefined): GateHistoryEntry[] {
  const entries: GateHistoryEntry[] = [];
  for (const entry of history ?? []) {
    if (!isRecord(entry)) continue;
    const at = text(entry.at);
    if (entry.kind === "reminded") {
      const n = ids(entry.recipients).length;
      entries.push({ kind: "reminded", at, text: `Reminded ${n} approver${n === 1 ? "" : "s"} who had not decided` });
    } else if (entry.kind === "escalated") {
      const added = ids(entry.added).length;
      const removed = ids(entry.removed).length;
      const reason = text(entry.reason) ?? `escalated to ${text(entry.to) ?? "someone else"}`;
      const parts = [reason.charAt(0).toUpperCase() + reason.slice(1)];
      if (added) parts.push(`${added} approver${added === 1 ? "" : "s"} added`);
      if (removed) parts.push(`${removed} no longer asked`);
      entries.push({ kind: "escalated", at, text: parts.join(" · ") });
    }
  }
  return entries;
}
