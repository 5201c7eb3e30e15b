import { describe, expect, it } from "vitest";

import { type ApiGraph, fromFlow, nextKey, selectOnly, stepIdOf, stepsBehindApproval, toFlow, withNewEdge, withNewStep } from "./flow";
import { JOURNEY } from "./journey.fixture";

describe("toFlow / fromFlow", () => {
  it("round-trips steps, configs, edges and their conditions in order", () => {
    const { nodes, edges } = toFlow(JOURNEY);
    expect(nodes).toHaveLength(5);
    expect(edges).toHaveLength(5);
    expect(fromFlow(nodes, edges)).toEqual(JOURNEY);
  });

  it("gives nodes keys independent of the step ids, and edges their condition as label", () => {
    const { nodes, edges } = toFlow(JOURNEY);
    expect(nodes.map((n) => n.id)).toEqual(["n1", "n2", "n3", "n4", "n5"]);
    expect(edges[1]).toMatchObject({ source: "n2", target: "n3", label: "true", data: { condition: "true" } });
    expect(edges[0]).toMatchObject({ label: "", data: { condition: null } });
  });

  it("renaming a step's id keeps its edges attached", () => {
    const { nodes, edges } = toFlow(JOURNEY);
    nodes[0]!.data = { ...nodes[0]!.data, stepId: "compile" };
    expect(fromFlow(nodes, edges).edges[0]).toEqual({ from: "compile", to: "check" });
  });

  it("drops an empty condition and keeps expressions", () => {
    const { nodes, edges } = toFlow(JOURNEY);
    edges[1]!.data = { condition: "" };
    const graph = fromFlow(nodes, edges);
    expect(graph.edges[1]).toEqual({ from: "check", to: "gate" });
    expect(graph.edges[4]!.condition).toBe("steps.deploy.outputs.changed == 'yes'");
  });

  it("shows the implicit list-order chain when a workflow has no edges", () => {
    const { edges } = toFlow({ steps: JOURNEY.steps.slice(0, 3), edges: [] });
    expect(edges.map((e) => [e.source, e.target])).toEqual([
      ["n1", "n2"],
      ["n2", "n3"],
    ]);
  });

  it("keeps an edge to an unknown step so the problem stays visible", () => {
    const { nodes, edges } = toFlow({ steps: JOURNEY.steps.slice(0, 1), edges: [{ from: "build", to: "ghost" }] });
    expect(fromFlow(nodes, edges).edges).toEqual([{ from: "build", to: "ghost" }]);
    expect(stepIdOf(nodes, edges[0]!.target)).toBe("ghost");
    expect(stepIdOf(nodes, edges[0]!.source)).toBe("build");
  });
});

describe("editing the canvas", () => {
  it("keys new elements after the highest key, whatever was deleted before", () => {
    expect(nextKey("n", [])).toBe("n1");
    expect(nextKey("n", ["n1", "n7", "n3"])).toBe("n8");
    expect(nextKey("e", ["e2", "odd"])).toBe("e3");
  });

  it("adds a step selected, with a fresh id and its type's config, below the selected one", () => {
    const { nodes } = toFlow(JOURNEY);
    const before = selectOnly(nodes, "n2");
    const after = withNewStep(before, "runbook");
    expect(after).toHaveLength(6);
    const added = after[5]!;
    expect(added).toMatchObject({ id: "n6", type: "step", selected: true, data: { stepId: "runbook-1", type: "runbook", name: "", config: { parameters: {} } } });
    expect(added.position.x).toBe(nodes[1]!.position.x);
    expect(added.position.y).toBeGreaterThan(nodes[1]!.position.y);
    expect(after.slice(0, 5).every((n) => n.selected === false)).toBe(true);
    expect(withNewStep(after, "runbook")[6]!.data.stepId).toBe("runbook-2");
  });

  it("draws an edge selected, once only between the same two steps", () => {
    const { edges } = toFlow(JOURNEY);
    const drawn = withNewEdge(selectOnly(edges, "e1"), "n1", "n5");
    expect(drawn).toHaveLength(6);
    expect(drawn[5]).toMatchObject({ id: "e6", source: "n1", target: "n5", selected: true, data: { condition: null } });
    expect(drawn.filter((e) => e.selected).map((e) => e.id)).toEqual(["e6"]);
    expect(withNewEdge(drawn, "n1", "n5")).toHaveLength(6);
  });

  it("selects one element and clears the others", () => {
    const { nodes } = toFlow(JOURNEY);
    expect(selectOnly(nodes, "n3").map((n) => n.selected)).toEqual([false, false, true, false, false]);
    expect(selectOnly(nodes, null).some((n) => n.selected)).toBe(false);
  });
});

describe("pinned runbook versions", () => {
  it("knows which steps an approval comes before on some path, so 'latest' is not offered there", () => {
    // "tell" also follows the gate (through deploy), though another path reaches it without one.
    expect([...stepsBehindApproval(JOURNEY)].sort()).toEqual(["deploy", "tell"]);
    const branches: ApiGraph = {
      steps: [
        { id: "first", type: "delay" },
        { id: "gate", type: "approval" },
        { id: "wait", type: "delay" },
        { id: "run", type: "runbook" },
        { id: "free", type: "runbook" },
      ],
      edges: [
        { from: "first", to: "gate" },
        { from: "gate", to: "wait" },
        { from: "wait", to: "run" },
        { from: "first", to: "run", condition: "always" },
        { from: "first", to: "free" },
      ],
    };
    expect([...stepsBehindApproval(branches)].sort()).toEqual(["run", "wait"]);
    expect([...stepsBehindApproval({ steps: branches.steps, edges: [] })].sort()).toEqual(["free", "run", "wait"]);
  });
});
