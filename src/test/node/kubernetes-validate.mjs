// Validates Kubernetes manifests offline against the API's own schemas, as kubeconform -strict would:
//   node src/test/node/kubernetes-validate.mjs FILE.yaml...
// Each document is checked by the JSON schema that the npm package kubernetes-models generates from the Kubernetes
// OpenAPI spec (types, required fields, enums, formats), and strictly: a field that the API type does not have (a
// typo such as `imagePullPolice`) is an error too, read from the same package's type declarations.
// Prints one JSON line: {"documents":[{file,apiVersion,kind,name,errors:[...],object}...]}; exits 1 on any error.
// The packages live outside the clone (.ci/run installs them): KUBERNETES_MODELS=/opt/burnroom-k8s/node_modules.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const modules = resolve(process.env.KUBERNETES_MODELS ?? "/opt/burnroom-k8s/node_modules");
const models = join(modules, "kubernetes-models");
if (!existsSync(join(models, "package.json")) || !existsSync(join(modules, "js-yaml", "package.json"))) {
  console.error(`kubernetes-validate: no kubernetes-models/js-yaml under ${modules}; .ci/run installs them with\n`
    + `  npm install --prefix ${dirname(modules)} kubernetes-models@5.1.0 js-yaml@5.5.0`);
  process.exit(2);
}
const yaml = await import(pathToFileURL(join(modules, "js-yaml", "dist", "js-yaml.mjs")).href);

/** apps/v1 -> apps/v1, v1 -> v1, networking.k8s.io/v1 -> networking.k8s.io/v1: the package's folder layout. */
function modelPath(apiVersion, kind) {
  return join(models, ...apiVersion.split("/"), kind);
}

/** The fields of the first interface in a .d.ts file, with the files their types are declared in. */
const declarations = new Map();
function declaration(dts) {
  if (declarations.has(dts)) {
    return declarations.get(dts);
  }
  const text = readFileSync(dts, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    const from = m[2].startsWith(".") ? resolve(dirname(dts), m[2]) : join(modules, m[2]);
    imports.set(m[1], from.replace(/\.js$/, "") + ".d.ts");
  }
  const body = text.match(/export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/);
  let fields = null;
  if (body) {
    fields = new Map();
    for (const m of body[1].matchAll(/^ {4}"([^"]+)"(\?)?: (.*?);?$/gm)) {
      fields.set(m[1], m[3]);
    }
  }
  const d = { imports, fields };
  declarations.set(dts, d);
  return d;
}

/** Every key of `value` that the API type declared in `dts` does not have, as JSON paths. */
function unknownFields(value, dts, path, out) {
  if (value === null || typeof value !== "object" || !existsSync(dts)) {
    return out;
  }
  const { imports, fields } = declaration(dts);
  if (!fields) {
    return out; // a type alias (IntOrString, Quantity, ...): the schema checks it
  }
  for (const [key, v] of Object.entries(value)) {
    if (!fields.has(key)) {
      out.push(`${path}/${key}: unknown field`);
      continue;
    }
    const type = fields.get(key);
    const element = type.match(/^Array<(\w+)>$/);
    if (element && Array.isArray(v) && imports.has(element[1])) {
      v.forEach((item, i) => unknownFields(item, imports.get(element[1]), `${path}/${key}/${i}`, out));
    } else if (imports.has(type)) {
      unknownFields(v, imports.get(type), `${path}/${key}`, out);
    }
  }
  return out;
}

const documents = [];
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = yaml.loadAll(readFileSync(file, "utf8")).filter((d) => d !== null && d !== undefined);
  } catch (e) {
    documents.push({ file, errors: [`not YAML: ${e.message}`] });
    continue;
  }
  for (const object of docs) {
    const { apiVersion, kind } = object ?? {};
    const doc = { file, apiVersion, kind, name: object?.metadata?.name, errors: [], object };
    documents.push(doc);
    const base = typeof apiVersion === "string" && typeof kind === "string" ? modelPath(apiVersion, kind) : null;
    if (!base || !existsSync(`${base}.js`)) {
      doc.errors.push(`unknown apiVersion/kind: ${apiVersion}/${kind}`);
      continue;
    }
    const Model = (await import(pathToFileURL(`${base}.js`).href))[kind];
    try {
      new Model(object).validate();
    } catch (e) {
      doc.errors.push(...String(e.message).split(/, (?=data)/).map((s) => s.replace(/^data/, "")));
    }
    unknownFields(object, `${base}.d.ts`, "", doc.errors);
  }
}
console.log(JSON.stringify({ documents }));
process.exit(documents.some((d) => d.errors.length > 0) || documents.length === 0 ? 1 : 0);
