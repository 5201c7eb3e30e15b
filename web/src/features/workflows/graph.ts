// An automation workflow as the canvas sees it: API steps/edges ↔ React Flow nodes/edges, a layered layout
// (the API stores no positions), and the validation problems' field paths mapped onto the nodes and edges.
// Pure functions, unit-tested.
import type { Edge, Node } from "@xyflow/react";

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

export interface ApiStep {
  id: string;
  type: string;
  name?: string;
  config?: Record<string, unknown>;
}

export interface ApiEdge {
  from: string;
  to: string;
  condition?: string | null;
}

export interface ApiGraph {
  steps: ApiStep[];
  edges: ApiEdge[];
}

export interface StepNodeData extends Record<string, unknown> {
  stepId: string;
  type: string;
  name: string;
  config: Record<string, unknown>;
  /** Validation messages about this step (builder) */
  problems?: string[];
  /** Live status of its step run (execution view) */
  status?: string;
  /** One line of what the step does, for the canvas (not saved) */
  detail?: string;
}

export interface EdgeData extends Record<string, unknown> {
  condition: string | null;
  problems?: string[];
}

export type StepNode = Node<StepNodeData, "step">;
export type FlowEdge = Edge<EdgeData>;

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 64;
const GAP_X = 50;
const GAP_Y = 70;

export function isStepType(type: string): type is StepType {
  return (STEP_TYPES as readonly string[]).includes(type);
}

/** What an edge says on the canvas: its condition, or nothing for "the source succeeded". */
export function edgeLabel(condition: string | null | undefined): string {
  return condition ?? "";
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

/** Without edges, steps run in list order: the canvas shows (and then saves) that chain explicitly. */
export function effectiveEdges(graph: ApiGraph): ApiEdge[] {
  if (graph.edges.length) return graph.edges;
  return graph.steps.slice(1).map((step, i) => ({ from: graph.steps[i]!.id, to: step.id }));
}

/**
 * Layered layout, top to bottom: a step's layer is the longest path to it from a step without incoming edges
 * (edges that close a cycle are ignored); within a layer, steps sit in the order of their parents.
 */
export function layout(stepIds: readonly string[], edges: readonly { from: string; to: string }[]): Record<string, { x: number; y: number }> {
  const known = new Set(stepIds);
  const outgoing = new Map<string, string[]>(stepIds.map((id) => [id, []]));
  for (const edge of edges) {
    if (known.has(edge.from) && known.has(edge.to) && edge.from !== edge.to) outgoing.get(edge.from)!.push(edge.to);
  }
  // Drop back edges found by a depth-first walk in list order, leaving a DAG.
  const dag = new Map<string, string[]>(stepIds.map((id) => [id, []]));
  const state = new Map<string, "open" | "done">();
  const visit = (id: string) => {
    state.set(id, "open");
    for (const next of outgoing.get(id)!) {
      if (state.get(next) === "open") continue;
      dag.get(id)!.push(next);
      if (!state.has(next)) visit(next);
    }
    state.set(id, "done");
  };
  for (const id of stepIds) if (!state.has(id)) visit(id);

  const layer = new Map<string, number>(stepIds.map((id) => [id, 0]));
  const indegree = new Map<string, number>(stepIds.map((id) => [id, 0]));
  for (const targets of dag.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const queue = stepIds.filter((id) => indegree.get(id) === 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const t of dag.get(id)!) {
      layer.set(t, Math.max(layer.get(t)!, layer.get(id)! + 1));
      indegree.set(t, indegree.get(t)! - 1);
      if (indegree.get(t) === 0) queue.push(t);
    }
  }

  const layers: string[][] = [];
  for (const id of stepIds) (layers[layer.get(id)!] ??= []).push(id);
  const positions: Record<string, { x: number; y: number }> = {};
  const parents = new Map<string, string[]>(stepIds.map((id) => [id, []]));
  for (const [from, targets] of dag) for (const t of targets) parents.get(t)!.push(from);
  layers.forEach((ids, depth) => {
    const order = ids
      .map((id, i) => {
        const xs = parents.get(id)!.flatMap((p) => (positions[p] ? [positions[p].x] : []));
        return { id, key: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : i * (NODE_WIDTH + GAP_X) };
      })
      .sort((a, b) => a.key - b.key);
    const width = order.length * NODE_WIDTH + (order.length - 1) * GAP_X;
    order.forEach(({ id }, i) => {
      positions[id] = { x: Math.round(-width / 2 + i * (NODE_WIDTH + GAP_X)), y: depth * (NODE_HEIGHT + GAP_Y) };
    });
  });
  return positions;
}

/** A step's node key on the canvas; independent of the (editable) step id. */
const nodeKey = (i: number) => `n${i + 1}`;
const edgeKey = (k: number) => `e${k + 1}`;

/** The API definition as canvas nodes and edges, laid out. */
export function toFlow(graph: ApiGraph): { nodes: StepNode[]; edges: FlowEdge[] } {
  const keyOf = new Map<string, string>();
  graph.steps.forEach((step, i) => {
    if (!keyOf.has(step.id)) keyOf.set(step.id, nodeKey(i));
  });
  const apiEdges = effectiveEdges(graph);
  const positions = layout(graph.steps.map((s) => s.id), apiEdges);
  const nodes: StepNode[] = graph.steps.map((step, i) => ({
    id: nodeKey(i),
    type: "step",
    position: positions[step.id] ?? { x: 0, y: 0 },
    data: { stepId: step.id, type: step.type, name: step.name ?? "", config: step.config ?? {} },
  }));
  const edges: FlowEdge[] = apiEdges.map((edge, k) => ({
    id: edgeKey(k),
    // An edge to an unknown step keeps the id as its end, so saving it again reports the same problem.
    source: keyOf.get(edge.from) ?? edge.from,
    target: keyOf.get(edge.to) ?? edge.to,
    label: edgeLabel(edge.condition),
    data: { condition: edge.condition ?? null },
  }));
  return { nodes, edges };
}

/** The canvas back as the API body's `steps` and `edges`, in canvas order (so problem paths index into it). */
export function fromFlow(nodes: readonly StepNode[], edges: readonly FlowEdge[]): ApiGraph {
  const stepIdOf = new Map(nodes.map((n) => [n.id, n.data.stepId]));
  return {
    steps: nodes.map((n) => ({ id: n.data.stepId, type: n.data.type, name: n.data.name, config: n.data.config })),
    edges: edges.map((e) => {
      const out: ApiEdge = { from: stepIdOf.get(e.source) ?? e.source, to: stepIdOf.get(e.target) ?? e.target };
      const condition = e.data?.condition;
      if (condition != null && condition !== "") out.condition = condition;
      return out;
    }),
  };
}

export interface FieldProblem {
  field: string;
  message: string;
}

export interface LocatedProblem extends FieldProblem {
  /** The path inside the step or edge (`config.expression`, `to`), "" for the element itself. */
  sub: string;
}

export interface ProblemMap {
  /** By node id */
  steps: Record<string, LocatedProblem[]>;
  /** By edge id */
  edges: Record<string, LocatedProblem[]>;
  /** Problems of the workflow as a whole (name, inputs, "steps", "edges") or of elements no longer shown. */
  general: FieldProblem[];
}

// `steps[2].config.x` from the workflow checks, `steps.2.id` from the request-shape checks (422 before them).
const ELEMENT_PATH = /^(steps|edges)(?:\[(\d+)\]|\.(\d+))\.?(.*)$/;

/** Which node or edge each `errors[].field` concerns: `steps[2].config.expression` → the third node, and so on. */
export function mapProblems(errors: readonly FieldProblem[], nodes: readonly { id: string }[], edges: readonly { id: string }[]): ProblemMap {
  const map: ProblemMap = { steps: {}, edges: {}, general: [] };
  for (const problem of errors) {
    const match = ELEMENT_PATH.exec(problem.field);
    const element = match ? (match[1] === "steps" ? nodes : edges)[Number(match[2] ?? match[3])] : undefined;
    if (!match || !element) {
      map.general.push({ field: problem.field, message: problem.message });
      continue;
    }
    const bucket = match[1] === "steps" ? map.steps : map.edges;
    (bucket[element.id] ??= []).push({ field: problem.field, message: problem.message, sub: match[4] ?? "" });
  }
  return map;
}

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

/**
 * The steps an approval step comes before on some path (edges as drawn; without edges, list order). A runbook
 * step among them may not run `version: "latest"`: its approvers must see the exact version that runs.
 */
export function stepsBehindApproval(graph: ApiGraph): Set<string> {
  const followers = new Map<string, string[]>();
  for (const edge of effectiveEdges(graph)) followers.set(edge.from, [...(followers.get(edge.from) ?? []), edge.to]);
  const behind = new Set<string>();
  const frontier = graph.steps.filter((s) => s.type === "approval").map((s) => s.id);
  while (frontier.length) {
    for (const next of followers.get(frontier.pop()!) ?? []) {
      if (behind.has(next)) continue;
      behind.add(next);
      frontier.push(next);
    }
  }
  return behind;
}

export type RunbookVersionChoice = { mode: "start" } | { mode: "fixed"; version: number | string } | { mode: "latest" };

/** A runbook step's `version`: absent = pinned when the execution starts, a number = that version, or "latest". */
export function runbookVersionChoice(config: Record<string, unknown>): RunbookVersionChoice {
  const version = config.version;
  if (version === undefined || version === null || version === "") return { mode: "start" };
  if (version === "latest") return { mode: "latest" };
  return { mode: "fixed", version: typeof version === "number" ? version : String(version) };
}

/** "v3", or a dash for a runbook step with no pin yet (a `latest` step that has not started). */
export function versionLabel(version: number | null | undefined): string {
  return typeof version === "number" ? `v${version}` : "—";
}
