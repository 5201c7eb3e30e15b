// Generates the typed API client's schema from the backend's own OpenAPI document.
// Dumps create_app().openapi() (no database needed) to openapi.json, then src/api/schema.d.ts with openapi-typescript.
// Files are rewritten only when their content changes, so repeated builds stay incremental.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(web, "..");
const specPath = resolve(web, "openapi.json");
const typesPath = resolve(web, "src/api/schema.d.ts");
const thisScript = fileURLToPath(import.meta.url);

function python() {
  if (process.env.TENANTPLANE_PYTHON) return process.env.TENANTPLANE_PYTHON;
  const venv = resolve(repo, ".venv/bin/python");
  return existsSync(venv) ? venv : "python3";
}

function writeIfChanged(path, text) {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return true;
}

const dump = "import json; from tenantplane.app import create_app; print(json.dumps(create_app().openapi(), indent=2))";
let spec;
try {
  spec = execFileSync(python(), ["-c", dump], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
} catch (error) {
  console.error(`Could not dump the OpenAPI document with ${python()} (run 'make install' first?)`);
  process.exit(1);
}
const specChanged = writeIfChanged(specPath, spec);
const stale = !existsSync(typesPath) || statSync(typesPath).mtimeMs < statSync(thisScript).mtimeMs;
if (specChanged || stale) {
  // defaultNonNullable: false keeps fields with a server-side default optional in request bodies (e.g. GroupCreate.description).
  const ast = await openapiTS(JSON.parse(spec), { alphabetize: true, defaultNonNullable: false });
  const header = "// Generated from the backend's OpenAPI document by scripts/generate-api.mjs. Do not edit.\n";
  if (!writeIfChanged(typesPath, header + astToString(ast))) utimesSync(typesPath, new Date(), new Date());
  console.log("API types regenerated: src/api/schema.d.ts");
} else {
  console.log("API types are up to date");
}
