// The step kinds a workflow is built from: their labels, the outcome words an edge leaving each may carry, a new
// step's id and config, and the one line a node shows of what its step does. Pure, unit-tested.

export const STEP_TYPES = ["runbook", "approval", "condition", "notification", "delay"] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const STEP_LABELS: Record<StepType, string> = {
  runbook: "Runbook",
  approval: "Approval gate",
  condition: "Condition",
  notification: "Notification",
  delay: "Delay",
};

/** Outcome words an edge may carry, by the type of the step it leaves (automation/graph.py). */
export const OUTCOME_WORDS_BY_STEP_TYPE: Record<StepType, readonly string[]> = {
  runbook: ["success", "failure", "always"],
  notification: ["success", "failure", "always"],
  delay: ["success", "failure", "always"],
  condition: ["true", "false", "failure", "always"],
  approval: ["success", "approved", "rejected", "timeout", "always"],
};
export const OUTCOME_WORDS: readonly string[] = ["success", "failure", "always", "true", "false", "approved", "rejected", "timeout"];

export function isStepType(type: string): type is StepType {
  return (STEP_TYPES as readonly string[]).includes(type);
}

/** The label of a step type; an unknown type (from an API the UI does not know yet) as it is spelled. */
export function stepLabel(type: string): string {
  return isStepType(type) ? STEP_LABELS[type] : type;
}

/** Whether an edge condition is an expression rather than an outcome word. */
export function isExpression(condition: string | null | undefined): boolean {
  return condition != null && !OUTCOME_WORDS.includes(condition);
}

/** A fresh step id of the type, unique among `taken` (`runbook-1`, `runbook-2`, …). */
export function newStepId(type: StepType, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) {
    const id = `${type}-${n}`;
    if (!used.has(id)) return id;
  }
}

export function defaultConfig(type: StepType): Record<string, unknown> {
  switch (type) {
    case "runbook":
      return { parameters: {} };
    case "approval":
      return { approvers: [], min_approvals: 1 };
    case "condition":
      return { expression: "" };
    case "notification":
      return { channel: "", subject: "" };
    case "delay":
      return { seconds: 60 };
  }
}

/** One line of what a step does, shown on its node: the runbook, the expression, the channel, the wait. */
export function stepDetail(type: string, config: Record<string, unknown>, runbookNames: Record<string, string> = {}): string {
  const text = (value: unknown) => (typeof value === "string" || typeof value === "number" ? String(value) : "");
  switch (type) {
    case "runbook": {
      const id = text(config.runbook_id);
      // The version only when the step names one: by default it is pinned when the execution starts.
      const version = config.version === "latest" ? " · latest" : text(config.version) ? ` · v${text(config.version)}` : "";
      return id ? `${runbookNames[id] ?? `runbook ${id.slice(0, 8)}`}${version}` : "no runbook chosen";
    }
    case "approval": {
      const count = Array.isArray(config.approvers) ? config.approvers.length : 0;
      return count ? `${count} approver${count === 1 ? "" : "s"}, ${text(config.min_approvals) || "1"} needed` : "no approvers";
    }
    case "condition":
      return text(config.expression) || "no expression";
    case "notification":
      return text(config.channel) ? `to ${text(config.channel)}` : "no channel";
    case "delay":
      return "until" in config ? `until ${text(config.until)}` : `${text(config.seconds) || "?"} s`;
    default:
      return "";
  }
}

export type RunbookVersionChoice = { mode: "start" } | { mode: "fixed"; version: number | string } | { mode: "latest" };

/** A runbook step's `version`: absent = pinned when the execution starts, a number = that version, or "latest". */
export function runbookVersionChoice(config: Record<string, unknown>): RunbookVersionChoice {
  const version = config.version;
  if (version === undefined || version === null || version === "") return { mode: "start" };
  if (version === "latest") return { mode: "latest" };
  return { mode: "fixed", version: typeof version === "number" ? version : String(version) };
}
