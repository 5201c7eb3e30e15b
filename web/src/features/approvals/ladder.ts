// The approval ladder editor's logic: steps kept in run order, moved, added, removed and renumbered.
// Steps that share an `order` run in parallel; renumbering keeps those groups and closes the gaps (1, 2, 3…).

export type ApproverType = "user" | "group" | "role" | "any" | "manager";
export type OnTimeout = "reject" | "skip" | "escalate";

export interface LadderStep {
  /** A client-side key, stable across edits (React list key); not sent to the API. */
  key: string;
  name: string;
  order: number;
  approver_type: ApproverType;
  approver_value: string;
  /** What the picker showed for approver_value (an email or a group name), for display only. */
  approver_label?: string | undefined;
  required: boolean;
  min_approvals: number;
  timeout: string;
  on_timeout: OnTimeout | "";
  /** Reminders and escalation (seconds as typed; escalate_to is manager, fallback or group:<name or id>). */
  remind_after: string;
  escalate_after: string;
  escalate_to: string;
  escalation_replaces: boolean;
}

let counter = 0;
export function newKey(): string {
  counter += 1;
  return `step-${counter}`;
}

/** Steps sorted by order; steps with the same order keep their relative position (stable). */
export function sortLadder<T extends { order: number }>(steps: readonly T[]): T[] {
  return steps
    .map((step, index) => ({ step, index }))
    .sort((a, b) => a.step.order - b.step.order || a.index - b.index)
    .map(({ step }) => step);
}

/** Dense orders 1..n in run order, steps that shared an order still sharing one. */
export function renumber<T extends { order: number }>(steps: readonly T[]): T[] {
  const sorted = sortLadder(steps);
  const ranks = new Map<number, number>();
  for (const step of sorted) if (!ranks.has(step.order)) ranks.set(step.order, ranks.size + 1);
  return sorted.map((step) => ({ ...step, order: ranks.get(step.order) ?? step.order }));
}

/** A new sequential step at the end of the ladder. */
export function addStep(steps: readonly LadderStep[], partial: Partial<LadderStep> = {}): LadderStep[] {
  const last = steps.reduce((max, s) => Math.max(max, s.order), 0);
  return renumber([
    ...steps,
    {
      key: newKey(),
      name: `Step ${steps.length + 1}`,
      order: last + 1,
      approver_type: "user",
      approver_value: "",
      required: true,
      min_approvals: 1,
      timeout: "",
      on_timeout: "",
      remind_after: "",
      escalate_after: "",
      escalate_to: "",
      escalation_replaces: false,
      ...partial,
    },
  ]);
}

export function removeStep<T extends { order: number }>(steps: readonly T[], index: number): T[] {
  return renumber(sortLadder(steps).filter((_, i) => i !== index));
}

/**
 * Moves the step at `index` (in run order) one place up (-1) or down (+1): it trades places, and orders,
 * with its neighbour. A step already at the top (or bottom) stays put.
 */
export function moveStep<T extends { order: number }>(steps: readonly T[], index: number, delta: -1 | 1): T[] {
  const sorted = sortLadder(steps);
  const target = index + delta;
  const step = sorted[index];
  const neighbour = sorted[target];
  if (!step || !neighbour) return sorted;
  const moved = [...sorted];
  moved[index] = { ...neighbour, order: step.order };
  moved[target] = { ...step, order: neighbour.order };
  return renumber(moved);
}

/** Makes the step at `index` run together with the step before it (same order), or on its own again. */
export function setParallel<T extends { order: number }>(steps: readonly T[], index: number, parallel: boolean): T[] {
  const sorted = sortLadder(steps);
  const step = sorted[index];
  const previous = sorted[index - 1];
  if (!step || !previous) return sorted;
  if (parallel) return renumber(sorted.map((s, i) => (i === index ? { ...s, order: previous.order } : s)));
  // On its own: a half-step after its group, then renumbered (everything after it moves down one).
  return renumber(sorted.map((s, i) => (i === index ? { ...s, order: previous.order + 0.5 } : i > index ? { ...s, order: s.order + 1 } : s)));
}

/** Approver types that name someone (the value is required); `any` and `manager` need none. */
export function needsValue(type: ApproverType): boolean {
  return type === "user" || type === "group" || type === "role";
}

/** Types where several people can approve, so a quorum (min_approvals) makes sense. */
export function hasQuorum(type: ApproverType): boolean {
  return type === "group" || type === "role" || type === "any";
}

/** Seconds as typed, or null when empty (or not a number). */
function seconds(text: string): number | null {
  const value = Number(text);
  return text.trim() && Number.isFinite(value) ? value : null;
}

/** The API's body for one step (empty optional fields left out). */
export function toStepWrite(step: LadderStep) {
  const timeout = Number(step.timeout);
  const escalates = step.escalate_after.trim() !== "";
  return {
    name: step.name.trim(),
    order: step.order,
    approver_type: step.approver_type,
    approver_value: needsValue(step.approver_type) ? step.approver_value.trim() || null : null,
    required: step.required,
    min_approvals: hasQuorum(step.approver_type) ? step.min_approvals : 1,
    timeout: step.timeout.trim() && Number.isFinite(timeout) ? timeout : null,
    on_timeout: step.timeout.trim() && step.on_timeout ? step.on_timeout : null,
    remind_after: seconds(step.remind_after),
    escalate_after: seconds(step.escalate_after),
    escalate_to: escalates && step.escalate_to.trim() ? step.escalate_to.trim() : null,
    escalation_replaces: escalates && step.escalation_replaces,
  };
}

/** A step read from the API as an editable ladder step. */
export function fromStepRead(step: {
  name: string;
  order: number;
  approver_type: ApproverType;
  approver_value: string | null;
  approver_label: string | null;
  required: boolean;
  min_approvals: number;
  timeout: number | null;
  on_timeout: OnTimeout | null;
  remind_after?: number | null;
  escalate_after?: number | null;
  escalate_to?: string | null;
  escalation_replaces?: boolean;
}): LadderStep {
  return {
    key: newKey(),
    name: step.name,
    order: step.order,
    approver_type: step.approver_type,
    approver_value: step.approver_value ?? "",
    approver_label: step.approver_label ?? undefined,
    required: step.required,
    min_approvals: step.min_approvals,
    timeout: step.timeout ? String(step.timeout) : "",
    on_timeout: step.on_timeout ?? "",
    remind_after: step.remind_after ? String(step.remind_after) : "",
    escalate_after: step.escalate_after ? String(step.escalate_after) : "",
    escalate_to: step.escalate_to ?? "",
    escalation_replaces: step.escalation_replaces ?? false,
  };
}
