#!/usr/bin/env node
// Writes kubeconform's per-kind JSON schemas (strict: unknown fields refused) into OUT_DIR, named as kubeconform
// looks them up with -schema-location 'OUT_DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json':
//   - one per built-in kind, from the Kubernetes OpenAPI definitions (DEFINITIONS: the 1.28 _definitions.json,
//     the schema `cdk8s import k8s@1.28` and ../shared/bin/k8s-validate use);
//   - one per CRD version in scripts/cluster/crds/ (the ServiceMonitor), from its openAPIV3Schema.
// As openapi2jsonschema --strict does: `additionalProperties: false` wherever properties are listed (except
// where x-kubernetes-preserve-unknown-fields allows more), IntOrString as string-or-integer, Quantity as
// string-or-number, and each file self-contained (the definitions it references, transitively).
//
// Usage: node scripts/scan/schemas.js DEFINITIONS OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const { parseAllDocuments } = require('yaml');

const [definitionsFile, outDir] = process.argv.slice(2);
if (!definitionsFile || !outDir) {
  console.error('usage: schemas.js DEFINITIONS OUT_DIR');
  process.exit(2);
}

function strictify(node) {
  if (Array.isArray(node)) {
    node.forEach(strictify);
  } else if (node && typeof node === 'object') {
    if (node.properties && node.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
      node.additionalProperties = false;
    }
    Object.values(node).forEach(strictify);
  }
}

/** kubeconform's file name for a kind: lower-case kind, then -<first label of the group>-<version> (core: -<version>). */
function fileName(kind, group, version) {
  const suffix = group ? `-${group.split('.')[0].toLowerCase()}-${version.toLowerCase()}` : `-${version.toLowerCase()}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

const definitions = JSON.parse(fs.readFileSync(definitionsFile, 'utf8')).definitions;
definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };
strictify(definitions);

/** The definitions `root` references, transitively. */
function closure(root) {
  const seen = new Set();
  const visit = (node) => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node && typeof node === 'object') {
      const ref = node.$ref;
      if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
        const name = ref.slice('#/definitions/'.length);
        if (!seen.has(name) && definitions[name]) {
          seen.add(name);
          visit(definitions[name]);
        }
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(root);
  return Object.fromEntries([...seen].sort().map((name) => [name, definitions[name]]));
}

fs.mkdirSync(outDir, { recursive: true });
let count = 0;
for (const definition of Object.values(definitions)) {
  for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
    const schema = { $schema: 'http://json-schema.org/draft-04/schema#', ...definition, definitions: closure(definition) };
    fs.writeFileSync(path.join(outDir, fileName(gvk.kind, gvk.group, gvk.version)), JSON.stringify(schema));
    count++;
  }
}

const crdDir = path.join(__dirname, '..', 'cluster', 'crds');
for (const file of fs.readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  for (const doc of parseAllDocuments(fs.readFileSync(path.join(crdDir, file), 'utf8'))) {
    const crd = doc.toJS();
    if (!crd || crd.kind !== 'CustomResourceDefinition') {
      continue;
    }
    for (const version of crd.spec.versions) {
      const schema = structuredClone(version.schema.openAPIV3Schema);
      strictify(schema);
      fs.writeFileSync(path.join(outDir, fileName(crd.spec.names.kind, crd.spec.group, version.name)), JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', ...schema }));
      count++;
    }
  }
}
console.error(`schemas: ${count} kinds written to ${outDir}`);
