import { describe, expect, it } from "vitest";

import { coerceValues } from "../../components/forms";
import {
  type ApiGraph,
  edgeLabel,
  fromFlow,
  isExpression,
  layout,
  mapProblems,
  newStepId,
  OUTCOME_WORDS_BY_STEP_TYPE,
  runbookVersionChoice,
  runsByStep,
  stepDetail,
  stepsBehindApproval,
  toFlow,
  versionLabel,
} from "./graph";
import { inputProblems, schemaInputs, schemaVariables } from "./inputs";

const JOURNEY: ApiGraph = {
  steps: [
    { id: "build", type: "runbook", name: "Build", config: { runbook_id: "r1", parameters: { env: "{{ inputs.env }}" } } },
    { id: "check", type: "condition", name: "", config: { expression: "inputs.env == 'prod'" } },
    { id: "gate", type: "approval", name: "CAB", config: { approvers: [{ type: "role", value: "cab" }] } },
    { id: "deploy", type: "runbook", name: "Deploy", config: { runbook_id: "r2" } },
    { id: "tell", type: "notification", name: "", config: { channel: "ops", subject: "skipped" } },
  ],
  edges: [
    { from: "build", to: "check" },
    { from: "check", to: "gate", condition: "true" },
    { from: "gate", to: "deploy", condition: "approved" },
    { from: "check", to: "tell", condition: "false" },
    { from: "deploy", to: "tell", condition: "steps.deploy.outputs.changed == 'yes'" },
  ],
};

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
  });
});

describe("layout", () => {
  it("puts each step one layer below its deepest parent", () => {
    const pos = layout(
      JOURNEY.steps.map((s) => s.id),
      JOURNEY.edges,
    );
    const layerOf = (id: string) => pos[id]!.y;
    expect(layerOf("build")).toBeLessThan(layerOf("check"));
    expect(layerOf("check")).toBeLessThan(layerOf("gate"));
    expect(layerOf("gate")).toBeLessThan(layerOf("deploy"));
    expect(layerOf("deploy")).toBeLessThan(layerOf("tell")); // longest path, not the first edge seen
    expect(new Set(Object.values(pos).map((p) => `${p.x},${p.y}`)).size).toBe(5);
  });

  it("places siblings side by side and survives cycles and self loops", () => {
    const pos = layout(
      ["a", "b", "c"],
      [
        { from: "a", to: "b" },
        { from: "a", to: "c" },
        { from: "c", to: "a" },
        { from: "b", to: "b" },
      ],
    );
    expect(pos.b!.y).toBe(pos.c!.y);
    expect(pos.b!.x).not.toBe(pos.c!.x);
    expect(pos.a!.y).toBeLessThan(pos.b!.y);
  });
});

describe("mapProblems", () => {
  const { nodes, edges } = toFlow(JOURNEY);

  it("puts step and edge problems on the element their index names", () => {
    const map = mapProblems(
      [
        { field: "steps[1].config.expression", message: "does not parse" },
        { field: "steps[1]", message: "missing: false" },
        { field: "edges[3].to", message: "unknown step 'x'" },
        { field: "edges[2]", message: "closes a cycle" },
        { field: "name", message: "required" },
        { field: "edges", message: "every step has an incoming edge" },
        { field: "steps[9].id", message: "gone" },
      ],
      nodes,
      edges,
    );
    expect(map.steps.n2!.map((p) => [p.sub, p.message])).toEqual([
      ["config.expression", "does not parse"],
      ["", "missing: false"],
    ]);
    expect(map.edges.e4).toEqual([{ field: "edges[3].to", message: "unknown step 'x'", sub: "to" }]);
    expect(map.edges.e3![0]!.sub).toBe("");
    expect(map.general.map((p) => p.field)).toEqual(["name", "edges", "steps[9].id"]);
    expect(Object.keys(map.steps)).toEqual(["n2"]);
  });

  it("reads the request-shape checks' dotted paths too (steps.0.id)", () => {
    const map = mapProblems([{ field: "steps.0.id", message: "too long" }, { field: "edges.1.from", message: "required" }], nodes, edges);
    expect(map.steps.n1).toEqual([{ field: "steps.0.id", message: "too long", sub: "id" }]);
    expect(map.edges.e2![0]!.sub).toBe("from");
  });

  it("keeps nested config paths such as approvers[0].value", () => {
    const map = mapProblems([{ field: "steps[2].config.approvers[0].value", message: "no user" }], nodes, edges);
    expect(map.steps.n3![0]!.sub).toBe("config.approvers[0].value");
  });
});

describe("small helpers", () => {
  it("makes unique slug ids per type", () => {
    expect(newStepId("runbook", [])).toBe("runbook-1");
    expect(newStepId("runbook", ["runbook-1", "runbook-3"])).toBe("runbook-2");
  });

  it("tells outcome words from expressions, per source type", () => {
    expect(isExpression("true")).toBe(false);
    expect(isExpression(null)).toBe(false);
    expect(isExpression("inputs.x > 1")).toBe(true);
    expect(OUTCOME_WORDS_BY_STEP_TYPE.condition).toContain("false");
    expect(OUTCOME_WORDS_BY_STEP_TYPE.approval).not.toContain("failure");
    expect(edgeLabel(null)).toBe("");
  });

  it("sums a step up in one line for its node", () => {
    expect(stepDetail("runbook", { runbook_id: "r1" }, { r1: "Build" })).toBe("Build");
    expect(stepDetail("runbook", {})).toBe("no runbook chosen");
    expect(stepDetail("approval", { approvers: [{ type: "any" }, { type: "role", value: "cab" }], min_approvals: 2 })).toBe("2 approvers, 2 needed");
    expect(stepDetail("condition", { expression: "inputs.x" })).toBe("inputs.x");
    expect(stepDetail("notification", { channel: "ops" })).toBe("to ops");
    expect(stepDetail("delay", { seconds: 60 })).toBe("60 s");
    expect(stepDetail("delay", { until: "{{ inputs.at }}" })).toBe("until {{ inputs.at }}");
  });

  it("keys step runs by step id, the latest position winning", () => {
    const runs = runsByStep([
      { step_id: "a", name: "A", position: 2, status: "succeeded" },
      { step_id: "a", name: "A", position: 1, status: "failed" },
      { step_id: null, name: "b", position: 3, status: "pending" },
    ]);
    expect(runs.a!.status).toBe("succeeded");
    expect(runs.b!.status).toBe("pending");
  });
});

describe("the Run form from the inputs schema", () => {
  const schema = {
    type: "object",
    required: ["env"],
    properties: {
      env: { type: "string", enum: ["dev", "prod"], title: "Environment" },
      count: { type: "integer", default: 2 },
      dry: { type: "boolean" },
      tags: { type: "array", description: "Labels" },
      level: { enum: [1, 2] },
    },
  };

  it("makes one portal variable per property", () => {
    expect(schemaVariables(schema).map((v) => [v.name, v.label, v.type, v.required])).toEqual([
      ["env", "Environment", "choice", true],
      ["count", "count", "number", false],
      ["dry", "dry", "boolean", false],
      ["tags", "tags", "text", false],
      ["level", "level", "choice", false],
    ]);
    expect(schemaVariables(null)).toEqual([]);
  });

  it("turns typed-in values into inputs of the right JSON types", () => {
    const variables = schemaVariables(schema);
    const values = coerceValues(variables, { env: "prod", count: "3", dry: true, tags: '["a"]', level: "2" });
    expect(schemaInputs(schema, values)).toEqual({ env: "prod", count: 3, dry: true, tags: ["a"], level: 2 });
    expect(schemaInputs(schema, { tags: "[oops" })).toEqual({ tags: "[oops" });
  });

  it("maps inputs.<name> problems onto the form's fields", () => {
    expect(inputProblems([{ field: "inputs.env", message: "required" }])).toEqual([{ field: "variables.env", message: "required" }]);
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

  it("reads a step's version choice and labels versions", () => {
    expect(runbookVersionChoice({})).toEqual({ mode: "start" });
    expect(runbookVersionChoice({ version: "latest" })).toEqual({ mode: "latest" });
    expect(runbookVersionChoice({ version: 3 })).toEqual({ mode: "fixed", version: 3 });
    expect(versionLabel(3)).toBe("v3");
    expect(stepDetail("runbook", { runbook_id: "r1", version: 2 }, { r1: "Deploy" })).toBe("Deploy · v2");
    expect(stepDetail("runbook", { runbook_id: "r1", version: "latest" }, { r1: "Deploy" })).toBe("Deploy · latest");
    expect(stepDetail("runbook", { runbook_id: "r1" }, { r1: "Deploy" })).toBe("Deploy");
    expect(versionLabel(null)).toBe("—");
  });
});
