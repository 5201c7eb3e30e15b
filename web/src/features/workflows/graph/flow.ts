// An automation workflow as the canvas holds it: the API's steps and edges ↔ React Flow nodes and edges (laid out,
// keyed independently of the editable step ids), and the edits the builder makes to those lists. Pure, unit-tested.
import { addEdge, type Edge, type Node } from "@xyflow/react";

import { defaultConfig, newStepId, type StepType } from "./catalog";
import { layout, newStepPosition } from "./layout";

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

/** What an edge says on the canvas: its condition, or nothing for "the source succeeded". */
export function edgeLabel(condition: string | null | undefined): string {
  return condition ?? "";
}

/** Without edges, steps run in list order: the canvas shows (and then saves) that chain explicitly. */
export function effectiveEdges(graph: ApiGraph): ApiEdge[] {
  if (graph.edges.length) return graph.edges;
  return graph.steps.slice(1).map((step, i) => ({ from: graph.steps[i]!.id, to: step.id }));
}

/** A step's node key on the canvas; independent of the (editable) step id. */
const nodeKey = (i: number) => `n${i + 1}`;
const edgeKey = (k: number) => `e${k + 1}`;

/** The next free key after `prefix<number>` keys (`n3` after n1, n2). */
export const nextKey = (prefix: string, ids: readonly string[]) =>
  `${prefix}${ids.reduce((max, id) => Math.max(max, Number(id.slice(prefix.length)) || 0), 0) + 1}`;

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

/** The step id a node shows, or the node key itself for an edge end that names no node. */
export function stepIdOf(nodes: readonly StepNode[], nodeId: string): string {
  return nodes.find((n) => n.id === nodeId)?.data.stepId ?? nodeId;
}

/** Marks one element selected (`null`: none) and every other one not. */
export function selectOnly<T extends { id: string; selected?: boolean }>(items: readonly T[], id: string | null): T[] {
  return items.map((item) => ({ ...item, selected: item.id === id }));
}

/** The nodes with a new step of the type, selected, below the selected (or the lowest) one. */
export function withNewStep(nodes: readonly StepNode[], type: StepType): StepNode[] {
  const node: StepNode = {
    id: nextKey("n", nodes.map((n) => n.id)),
    type: "step",
    position: newStepPosition(nodes),
    selected: true,
    data: { stepId: newStepId(type, nodes.map((n) => n.data.stepId)), type, name: "", config: defaultConfig(type) },
  };
  return [...selectOnly(nodes, null), node];
}

/** The edges with a new one from node `source` to node `target`, selected (not added twice: then none is). */
export function withNewEdge(edges: readonly FlowEdge[], source: string, target: string): FlowEdge[] {
  const edge: FlowEdge = { id: nextKey("e", edges.map((e) => e.id)), source, target, selected: true, data: { condition: null } };
  return addEdge(edge, selectOnly(edges, null));
}
