// Converts YAML files to JSON (one JSON file per input, in --out) so the .NET tests can read them.
//   node yaml-to-json.mjs --modules DIR --out DIR FILE.yaml...      (output: NAME.json; a multi-document file: an array)
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const take = (name) => argv.splice(argv.indexOf(name), 2)[1];
const modules = path.resolve(take("--modules"));
const outDir = path.resolve(take("--out"));
const YAML = (await import(pathToFileURL(path.join(modules, "yaml/dist/index.js")).href)).default;

for (const file of argv) {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true, merge: true });
  const problems = docs.flatMap((d) => d.errors);
  if (problems.length > 0) {
    console.error(`${file}: ${problems.map((p) => p.message).join("; ")}`);
    process.exit(1);
  }
  const values = docs.map((d) => d.toJS({ maxAliasCount: 1000 }));
  const name = path.basename(file).replace(/\.ya?ml$/, "");
  writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(values.length === 1 ? values[0] : values, null, 1));
}
