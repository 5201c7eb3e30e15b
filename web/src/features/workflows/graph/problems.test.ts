import { describe, expect, it } from "vitest";

import { toFlow } from "./flow";
import { JOURNEY } from "./journey.fixture";
import { annotateEdges, annotateNodes, mapProblems, problemsAt } from "./problems";

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

describe("problemsAt", () => {
  it("joins the messages of a field and the fields inside it, not of fields that only start alike", () => {
    const list = [
      { field: "inputs", message: "not a schema." },
      { field: "inputs.properties.env", message: "bad type." },
      { field: "inputs_extra", message: "other." },
    ];
    expect(problemsAt(list, "inputs")).toBe("not a schema. bad type.");
    expect(problemsAt(list, "name")).toBeUndefined();
  });
});

describe("the canvas as shown", () => {
  const { nodes, edges } = toFlow(JOURNEY);
  const problems = mapProblems(
    [
      { field: "steps[1].config.expression", message: "does not parse" },
      { field: "steps[1]", message: "missing: false" },
      { field: "edges[0]", message: "closes a cycle" },
    ],
    nodes,
    edges,
  );

  it("labels each node with what its step does and how many problems it has", () => {
    const shown = annotateNodes(nodes, problems, { r1: "Build it" });
    expect(shown[0]!.ariaLabel).toBe("Runbook step build: Build it");
    expect(shown[0]!.data).toMatchObject({ detail: "Build it" });
    expect(shown[0]!.data.problems).toBeUndefined();
    expect(shown[1]!.ariaLabel).toBe("Condition step check: inputs.env == 'prod', 2 problems");
    expect(shown[1]!.data.problems).toEqual(["does not parse", "missing: false"]);
    expect(nodes[1]!.data.problems).toBeUndefined(); // the draft itself is not changed
  });

  it("marks edges with problems and names their ends by step id", () => {
    const shown = annotateEdges(edges, nodes, problems);
    expect(shown[0]).toMatchObject({ label: "⚠", className: "edge--invalid", ariaLabel: "Edge from build to check, 1 problems" });
    expect(shown[1]).toMatchObject({ label: "true", className: undefined, ariaLabel: "Edge from check to gate when true" });
  });
});
