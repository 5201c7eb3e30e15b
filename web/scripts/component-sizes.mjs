// Lists React components (functions named in PascalCase, declared or assigned, at any depth) by their length in lines.
// `node scripts/component-sizes.mjs [--max N]` prints those over N (default 150) and exits 1 when there are any.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (path.endsWith(".tsx") && !path.endsWith(".test.tsx")) yield path;
  }
}

function nameOf(node) {
  if (ts.isFunctionDeclaration(node) && node.name) return node.name.text;
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent)) {
    return ts.isIdentifier(node.parent.name) ? node.parent.name.text : null;
  }
  return null;
}

export function componentSizes(root = join(web, "src")) {
  const found = [];
  for (const path of sources(root)) {
    const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
    const visit = (node) => {
      const name = nameOf(node);
      if (name && /^[A-Z]/.test(name)) {
        const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
        const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
        found.push({ file: relative(web, path), name, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found.sort((a, b) => b.lines - a.lines);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--max");
  const max = at > 0 ? Number(process.argv[at + 1]) : 150;
  const over = componentSizes().filter((c) => c.lines > max);
  for (const c of over) console.log(`${String(c.lines).padStart(4)}  ${c.file}  ${c.name}`);
  process.exit(over.length ? 1 : 0);
}
