import { describe, expect, it } from "vitest";

import { JOURNEY } from "./journey.fixture";
import { layout, NODE_HEIGHT, newStepPosition } from "./layout";

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

  it("centres each layer and ignores edges to unknown steps", () => {
    const pos = layout(["a", "b", "c"], [
      { from: "a", to: "b" },
      { from: "a", to: "c" },
      { from: "a", to: "ghost" },
    ]);
    expect(pos).toEqual({ a: { x: -105, y: 0 }, b: { x: -235, y: 134 }, c: { x: 25, y: 134 } });
    expect(Object.keys(pos)).not.toContain("ghost");
  });
});

describe("newStepPosition", () => {
  const at = (x: number, y: number, selected = false) => ({ position: { x, y }, selected });

  it("goes below the selected step", () => {
    expect(newStepPosition([at(0, 300), at(40, 100, true)])).toEqual({ x: 40, y: 100 + NODE_HEIGHT + 70 });
  });

  it("goes below the lowest step when none is selected, or to the origin on an empty canvas", () => {
    expect(newStepPosition([at(0, 0), at(-80, 268), at(90, 134)])).toEqual({ x: -80, y: 268 + NODE_HEIGHT + 70 });
    expect(newStepPosition([])).toEqual({ x: 0, y: 0 });
  });
});
