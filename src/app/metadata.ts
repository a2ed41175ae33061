/** Labels, annotations and the metadata every object of an app carries. */
import { Validator } from '../errors';
import type { k8s } from '../kube';
import { checkLabelValue, checkQualifiedKey, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME } from '../names';

export type StringMap = { [key: string]: string };

/** Checks a label map; `guardSelector` refuses the keys the library owns (selector, managed-by). */
export function checkLabelMap(v: Validator, prop: string, labels: StringMap | undefined, guardSelector: boolean): void {
  if (labels === undefined) return;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) v.fail(prop, labels, 'must be a map of strings', 'pass { key: "value" }');
  for (const [key, value] of Object.entries(labels)) checkLabel(v, prop, key, value, guardSelector);
}

export function checkLabel(v: Validator, prop: string, key: string, value: string, guardSelector: boolean): void {
  const keyProblem = checkQualifiedKey(key);
  if (keyProblem) v.fail(`${prop} key`, key, keyProblem, 'use a key like "team" or "example.com/team"');
  const valueProblem = checkLabelValue(value);
  if (valueProblem) v.fail(`${prop}.${key}`, value, valueProblem, 'use a short value such as "payments"');
  if (guardSelector && (key === LABEL_NAME || key === LABEL_INSTANCE || key === LABEL_MANAGED_BY)) {
    v.fail(`${prop} key`, key, 'is set by the library (the selector and managed-by labels are fixed so pods are never orphaned)', 'remove it; use appName to change app.kubernetes.io/name');
  }
}

export function checkAnnotationMap(v: Validator, prop: string, annotations: StringMap | undefined): void {
  if (annotations === undefined) return;
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) v.fail(prop, annotations, 'must be a map of strings', 'pass { key: "value" }');
  for (const [key, value] of Object.entries(annotations)) checkAnnotation(v, prop, key, value);
}

export function checkAnnotation(v: Validator, prop: string, key: string, value: string): void {
  const keyProblem = checkQualifiedKey(key);
  if (keyProblem) v.fail(`${prop} key`, key, keyProblem, 'use a key like "example.com/owner"');
  if (typeof value !== 'string') v.fail(`${prop}.${key}`, value, 'must be a string', `quote it: "${String(value)}"`);
}

/** The metadata of one more object of an app. */
export function objectMeta(namespace: string | undefined, labels: StringMap, annotations: StringMap, objectName: string): k8s.ObjectMeta {
  return {
    name: objectName,
    namespace,
    labels: { ...labels },
    annotations: Object.keys(annotations).length > 0 ? { ...annotations } : undefined,
  };
}
