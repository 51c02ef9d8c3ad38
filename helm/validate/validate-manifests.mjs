// Validates rendered Kubernetes manifests offline, the way an API server would before admitting them:
//  1. each document against its kind's OpenAPI schema (kubernetes-models: types, required fields, formats, enums);
//  2. strictly: every field must exist in the kind's type definitions (kubernetes-models' declaration files), as
//     `kubectl apply --validate=strict` and Helm's install-time validation demand; the schema check alone lets an
//     unknown field such as `imagePullPolicyy` through.
// It also writes each file's documents as JSON for the .NET tests.
//
//   node validate-manifests.mjs --modules DIR --out DIR FILE.yaml...     (DIR: the node_modules folder)
// Prints one JSON line per file: {"file","documents","kinds":{Kind:count},"errors":[...]}; exits 1 on any error.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const option = (name) => {
  const at = argv.indexOf(name);
  if (at < 0 || at + 1 >= argv.length) throw new Error(`missing ${name}`);
  const [, value] = argv.splice(at, 2);
  return value;
};
const modules = path.resolve(option("--modules"));
const outDir = path.resolve(option("--out"));
const files = argv;

const load = (relative) => import(pathToFileURL(path.join(modules, relative)).href);
const YAML = (await load("yaml/dist/index.js")).default;

// apiVersion -> package folder holding its models.
function modelFolder(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return path.join("kubernetes-models", version);
  if (group === "monitoring.coreos.com") return path.join("@kubernetes-models", "prometheus-operator", group, version);
  return path.join("kubernetes-models", group, version);
}

// --- strict field check over the TypeScript declarations ---------------------------------------------------------

const declarations = new Map();

function resolveImport(fromFile, spec) {
  let target;
  if (spec.startsWith(".")) target = path.resolve(path.dirname(fromFile), spec);
  else target = path.join(modules, spec);
  target = target.replace(/\.js$/, "");
  return `${target}.d.ts`;
}

// Splits "a; b; { c; d; }; e" style member lists at top-level semicolons.
function members(body) {
  const result = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "{" || ch === "<" || ch === "(" || ch === "[") depth++;
    else if (ch === "}" || ch === ">" || ch === ")" || ch === "]") depth--;
    else if (ch === ";" && depth === 0) {
      result.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  const rest = body.slice(start).trim();
  if (rest) result.push(rest);
  return result.filter((m) => m.length > 0);
}

// Parses an object type body into {props: Map(name -> type text), index: type text | null}.
function parseObjectType(body) {
  const props = new Map();
  let index = null;
  for (const member of members(body)) {
    const prop = /^"([^"]+)"\??\s*:\s*([\s\S]+)$/.exec(member);
    if (prop) {
      props.set(prop[1], prop[2].trim());
      continue;
    }
    const idx = /^\[\s*\w+\s*:\s*string\s*\]\s*:\s*([\s\S]+)$/.exec(member);
    if (idx) index = idx[1].trim();
  }
  return { props, index };
}

function declaration(file) {
  if (declarations.has(file)) return declarations.get(file);
  let parsed = null;
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const imports = new Map();
    for (const m of text.matchAll(/import\s*\{([^}]+)\}\s*from\s*"([^"]+)"/g)) {
      for (const name of m[1].split(",").map((s) => s.trim()).filter(Boolean)) imports.set(name, resolveImport(file, m[2]));
    }
    const head = /export interface \w+(?:\s+extends([^{]+))?\s*\{/.exec(text);
    if (head) {
      let depth = 1;
      let i = head.index + head[0].length;
      const start = i;
      for (; i < text.length && depth > 0; i++) {
        if (text[i] === "{") depth++;
        else if (text[i] === "}") depth--;
      }
      const type = parseObjectType(text.slice(start, i - 1));
      // Members inherited from other generated interfaces (e.g. a ServiceMonitor endpoint's HTTP settings).
      for (const base of (head[1] ?? "").split(",").map((b) => b.trim()).filter(Boolean)) {
        const inherited = imports.has(base) ? declaration(imports.get(base)) : null;
        for (const [name, t] of inherited?.type.props ?? []) {
          if (!type.props.has(name)) type.props.set(name, inherited.imports.has(t) ? `@${inherited.imports.get(t)}` : t);
        }
      }
      parsed = { imports, type };
    }
  }
  declarations.set(file, parsed);
  return parsed;
}

// Checks `value` against the type text `type` declared in `file`.
function check(value, type, file, where, errors) {
  type = type.trim();
  if (value === null || value === undefined) return;
  const array = /^Array<([\s\S]+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => check(v, array[1], file, `${where}[${i}]`, errors));
    return;
  }
  if (type.startsWith("{")) {
    if (typeof value !== "object" || Array.isArray(value)) return;
    checkObject(value, parseObjectType(type.slice(1, type.lastIndexOf("}"))), file, where, errors);
    return;
  }
  const decl = declaration(file);
  const target = type.startsWith("@") ? type.slice(1) : decl?.imports.get(type);
  if (!target) return; // a primitive, literal, union or alias: the schema check covers it
  const referenced = declaration(target);
  if (!referenced || typeof value !== "object" || Array.isArray(value)) return;
  checkObject(value, referenced.type, target, where, errors);
}

function checkObject(value, objectType, file, where, errors) {
  for (const [key, child] of Object.entries(value)) {
    const type = objectType.props.get(key) ?? objectType.index;
    if (type === undefined || type === null) {
      errors.push(`${where ? `${where}.` : ""}${key}: unknown field`);
      continue;
    }
    check(child, type, file, where ? `${where}.${key}` : key, errors);
  }
}

// --- per document ------------------------------------------------------------------------------------------------

async function validateDocument(doc, label, errors) {
  if (!doc.apiVersion || !doc.kind) {
    errors.push(`${label}: no apiVersion/kind`);
    return;
  }
  const folder = modelFolder(doc.apiVersion);
  const modelFile = path.join(modules, folder, `${doc.kind}.js`);
  if (!existsSync(modelFile)) {
    errors.push(`${label}: no schema for ${doc.apiVersion} ${doc.kind}`);
    return;
  }
  const module = await import(pathToFileURL(modelFile).href);
  const Model = module[doc.kind];
  try {
    new Model(doc).validate();
  } catch (error) {
    errors.push(`${label}: ${error.message}`);
  }
  const decl = declaration(path.join(modules, folder, `${doc.kind}.d.ts`));
  if (!decl) {
    errors.push(`${label}: no type declarations for ${doc.apiVersion} ${doc.kind}`);
    return;
  }
  const unknown = [];
  checkObject(doc, decl.type, path.join(modules, folder, `${doc.kind}.d.ts`), "", unknown);
  for (const u of unknown) errors.push(`${label}: ${u}`);
}

let failed = false;
for (const file of files) {
  const errors = [];
  const kinds = {};
  const documents = [];
  let parsed = [];
  try {
    parsed = YAML.parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
  } catch (error) {
    errors.push(`YAML: ${error.message}`);
  }
  for (const [index, document] of parsed.entries()) {
    for (const problem of [...document.errors, ...document.warnings]) errors.push(`document ${index}: YAML: ${problem.message}`);
    const doc = document.toJS();
    if (doc === null || doc === undefined) continue;
    documents.push(doc);
    const label = `${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
    kinds[doc.kind] = (kinds[doc.kind] ?? 0) + 1;
    await validateDocument(doc, label, errors);
  }
  const base = path.basename(file).replace(/\.ya?ml$/, "");
  writeFileSync(path.join(outDir, `${base}.json`), JSON.stringify(documents, null, 1));
  if (errors.length > 0) failed = true;
  console.log(JSON.stringify({ file, documents: documents.length, kinds, errors }));
}
process.exit(failed ? 1 : 0);
