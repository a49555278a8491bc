// Validates every object of the YAML files given (multi-document) against the JSON schemas generated from
// the OpenAPI specification of Kubernetes 1.34 (npm kubernetes-models 5.1, ajv) and, for the
// monitoring.coreos.com kinds, from prometheus-operator's CRDs (@kubernetes-models/prometheus-operator).
// Prints one JSON line per object: {"file","index","apiVersion","kind","name","ok","errors"}; an object of
// a kind neither package knows is an error ("unknown kind"), never a pass. Exit code 0 only when every
// object is valid; 2 for bad usage or unreadable input.
//   node validate.mjs FILE... ("-" reads stdin)
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const candidates = group === "monitoring.coreos.com"
    ? [`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`]
    : [`kubernetes-models/${group ? group + "/" : ""}${version}/${kind}`];
  for (const path of candidates) {
    try {
      const module = await import(path);
      if (module[kind]) return module[kind];
    } catch (e) {
      if (e.code !== "ERR_MODULE_NOT_FOUND" && e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e;
    }
  }
  return null;
}

function describe(error) {
  if (error?.details) {
    return error.details.map((d) => `${d.instancePath || "/"} ${d.message}${d.params ? " " + JSON.stringify(d.params) : ""}`);
  }
  return [String(error?.message ?? error)];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    process.exit(2);
  }
  const docs = parseAllDocuments(text);
  let index = 0;
  for (const doc of docs) {
    const result = { file, index: index++ };
    if (doc.errors.length > 0) {
      Object.assign(result, { ok: false, errors: doc.errors.map((e) => e.message) });
    } else {
      const obj = doc.toJS();
      if (obj === null || obj === undefined) continue; // an empty document
      Object.assign(result, { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name });
      const Model = typeof obj.apiVersion === "string" && typeof obj.kind === "string" ? await modelFor(obj.apiVersion, obj.kind) : null;
      if (!Model) {
        Object.assign(result, { ok: false, errors: [`unknown kind ${obj.apiVersion} ${obj.kind}`] });
      } else {
        try {
          new Model(obj).validate();
          Object.assign(result, { ok: true, errors: [] });
        } catch (e) {
          Object.assign(result, { ok: false, errors: describe(e) });
        }
      }
    }
    failed ||= !result.ok;
    console.log(JSON.stringify(result));
  }
}
process.exit(failed ? 1 : 0);
