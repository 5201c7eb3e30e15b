// Where steps sit on the canvas: the API stores no positions, so a workflow is laid out in layers (top to bottom)
// when it opens and on "Tidy layout", and a step added by hand goes below the selected or the lowest one. Pure.

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 64;
const GAP_X = 50;
const GAP_Y = 70;

export interface Position {
  x: number;
  y: number;
}

/** Drops the edges a depth-first walk in list order finds closing a cycle, and self loops: a DAG is left. */
function acyclic(stepIds: readonly string[], edges: readonly { from: string; to: string }[]): Map<string, string[]> {
  const known = new Set(stepIds);
  const outgoing = new Map<string, string[]>(stepIds.map((id) => [id, []]));
  for (const edge of edges) {
    if (known.has(edge.from) && known.has(edge.to) && edge.from !== edge.to) outgoing.get(edge.from)!.push(edge.to);
  }
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
  return dag;
}

/** Each step's layer: the longest path to it from a step without incoming edges. */
function layers(stepIds: readonly string[], dag: ReadonlyMap<string, readonly string[]>): string[][] {
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
  const out: string[][] = [];
  for (const id of stepIds) (out[layer.get(id)!] ??= []).push(id);
  return out;
}

/**
 * Layered layout, top to bottom: a step's layer is the longest path to it from a step without incoming edges
 * (edges that close a cycle are ignored); within a layer, steps sit in the order of their parents.
 */
export function layout(stepIds: readonly string[], edges: readonly { from: string; to: string }[]): Record<string, Position> {
  const dag = acyclic(stepIds, edges);
  const positions: Record<string, Position> = {};
  const parents = new Map<string, string[]>(stepIds.map((id) => [id, []]));
  for (const [from, targets] of dag) for (const t of targets) parents.get(t)!.push(from);
  layers(stepIds, dag).forEach((ids, depth) => {
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

/** Where a step added by hand goes: one row below the selected node, else below the lowest one, else the origin. */
export function newStepPosition(nodes: readonly { position: Position; selected?: boolean | undefined }[]): Position {
  const anchor = nodes.find((n) => n.selected) ?? nodes.reduce<(typeof nodes)[number] | undefined>((low, n) => (!low || n.position.y > low.position.y ? n : low), undefined);
  return anchor ? { x: anchor.position.x, y: anchor.position.y + NODE_HEIGHT + GAP_Y } : { x: 0, y: 0 };
}
