// Live validation on the canvas: each problem's field path (`steps[2].config.expression`) mapped onto the node or
// edge it concerns and the field inside it, and the nodes and edges as shown, labelled with their problems. Pure.
import { stepDetail, stepLabel } from "./catalog";
import { edgeLabel, type FlowEdge, type StepNode, stepIdOf } from "./flow";

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

/** The messages about a field and the fields inside it (`inputs`, `inputs.properties`), joined; none: undefined. */
export function problemsAt(list: readonly FieldProblem[], prefix: string): string | undefined {
  const messages = list.filter((p) => p.field === prefix || p.field.startsWith(`${prefix}.`)).map((p) => p.message);
  return messages.length ? messages.join(" ") : undefined;
}

/** The nodes as the canvas shows them: what each step does, its problems, and a label saying both. */
export function annotateNodes(nodes: readonly StepNode[], problems: ProblemMap, runbookNames: Record<string, string>): StepNode[] {
  return nodes.map((n) => {
    const stepProblems = problems.steps[n.id]?.map((p) => p.message);
    const detail = stepDetail(n.data.type, n.data.config, runbookNames);
    return {
      ...n,
      ariaLabel: `${stepLabel(n.data.type)} step ${n.data.stepId}: ${detail}${stepProblems ? `, ${stepProblems.length} problems` : ""}`,
      data: { ...n.data, detail, ...(stepProblems ? { problems: stepProblems } : {}) },
    };
  });
}

/** The edges as the canvas shows them: their condition, a warning sign and class when they have problems. */
export function annotateEdges(edges: readonly FlowEdge[], nodes: readonly StepNode[], problems: ProblemMap): FlowEdge[] {
  return edges.map((e) => {
    const edgeProblems = problems.edges[e.id];
    const label = edgeLabel(e.data?.condition);
    return {
      ...e,
      label: edgeProblems ? `⚠ ${label}`.trim() : label,
      className: edgeProblems ? "edge--invalid" : undefined,
      ariaLabel: `Edge from ${stepIdOf(nodes, e.source)} to ${stepIdOf(nodes, e.target)}${label ? ` when ${label}` : ""}${edgeProblems ? `, ${edgeProblems.length} problems` : ""}`,
    };
  });
}
