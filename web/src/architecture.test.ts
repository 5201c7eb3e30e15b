// The web app's house rules, read from the source files: a feature folder imports another only along a declared,
// circle-free dependency (features otherwise meet in app/), components/ and api/ sit below every feature, and no React
// component is over 150 lines.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import ts from "typescript";
import { describe, expect, it } from "vitest";

import { componentSizes } from "../scripts/component-sizes.mjs";

const src = dirname(fileURLToPath(import.meta.url));
const MAX_COMPONENT_LINES = 150;

/**
 * The features that build on another feature, and on which: the execution view draws a workflow execution with the
 * workflows feature's graph (its nodes, layout and the workflow it ran) and shows a waiting gate with the approvals
 * feature's GateDetails. Every other feature imports none. These arrows must never form a circle (tested below).
 */
const FEATURE_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  executions: ["workflows", "approvals"],
};

/** A circle in the feature dependencies, as "a -> b -> a", or null. */
function circleIn(graph: Readonly<Record<string, readonly string[]>>): string | null {
  const done = new Set<string>();
  const visit = (node: string, path: string[]): string | null => {
    if (path.includes(node)) return [...path.slice(path.indexOf(node)), node].join(" -> ");
    if (done.has(node)) return null;
    for (const next of graph[node] ?? []) {
      const found = visit(next, [...path, node]);
      if (found) return found;
    }
    done.add(node);
    return null;
  };
  for (const node of Object.keys(graph)) {
    const found = visit(node, []);
    if (found) return found;
  }
  return null;
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) yield path;
  }
}

/** Every import (static, re-export, side effect, dynamic) of the app's source files, as paths under src/. */
function imports(): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  for (const path of sources(src)) {
    const file = relative(src, path);
    const { importedFiles } = ts.preProcessFile(readFileSync(path, "utf8"), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) continue;
      found.push({ file, target: normalize(relative(src, resolve(dirname(path), fileName))) });
    }
  }
  return found;
}

function featureOf(path: string): string | null {
  const match = /^features\/([^/]+)\//.exec(path);
  return match?.[1] ?? null;
}

const edge = ({ file, target }: { file: string; target: string }) => `${file} -> ${target}`;

describe("the web app's architecture", () => {
  const all = imports();

  it("reads the app's imports", () => {
    expect(all.some((i) => i.file === "app/routes.tsx" && i.target === "features/users/UsersPage")).toBe(true);
  });

  it("lets a feature folder import another only along a declared dependency", () => {
    const crossing = all.filter((i) => {
      const from = featureOf(i.file);
      const to = featureOf(i.target);
      return from !== null && to !== null && from !== to;
    });
    const undeclared = crossing.filter((i) => !(FEATURE_DEPENDENCIES[featureOf(i.file) ?? ""] ?? []).includes(featureOf(i.target) ?? ""));
    expect(undeclared.map(edge)).toEqual([]);
    // A declared dependency nobody uses any more is deleted, so the list stays the truth.
    const used = new Set(crossing.map((i) => `${featureOf(i.file)} -> ${featureOf(i.target)}`));
    const declared = Object.entries(FEATURE_DEPENDENCIES).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`));
    expect(declared.filter((d) => !used.has(d))).toEqual([]);
  });

  it("keeps the features that build on others free of circles", () => {
    expect(circleIn(FEATURE_DEPENDENCIES)).toBeNull();
    expect(circleIn({ a: ["b"], b: ["c"], c: ["a"] })).toBe("a -> b -> c -> a");
  });

  it("keeps components/ and api/ below every feature", () => {
    const upward = all.filter((i) => /^(components|api)\//.test(i.file) && i.target.startsWith("features/"));
    expect(upward.map(edge)).toEqual([]);
  });

  it(`keeps every React component at most ${MAX_COMPONENT_LINES} lines`, () => {
    const over = componentSizes()
      .filter((c) => c.lines > MAX_COMPONENT_LINES)
      .map((c) => `${c.file} ${c.name}`);
    expect(over).toEqual([]);
  });
});
