/** The app's ConfigMap of files: checked, mounted, and checksummed so that a changed file rolls the pods. */
import { createHash, Hash } from 'crypto';
import { checkConfigKey, checkDns1123Subdomain } from '../names';
import { claimVolume, PodBuild } from './pod-build';
import { ConfigFilesOptions } from './props';

/** A ConfigMap holds at most 1 MiB. */
export const CONFIGMAP_LIMIT = 1024 * 1024;

/** The ConfigMap of files, its volume, and the checksum that rolls the pods when a file changes. */
export function renderConfig(
  b: PodBuild,
): { checksum: string; configMap: { readonly name: string; readonly data: { [file: string]: string } } } | undefined {
  const { state, v } = b;
  const files = state.configFiles;
  if (state.props.config === undefined && Object.keys(files).length === 0) return undefined;
  const cfg: Partial<ConfigFilesOptions> = state.props.config ?? {};
  if (Object.keys(files).length === 0) {
    v.fail('config.files', cfg.files, 'must map at least one file name to its content', 'pass { files: { "app.conf": "..." } }');
  }
  let total = 0;
  const hashed: Array<[string, string]> = [];
  const data: { [file: string]: string } = {};
  // Sorted, so the checksum and the ConfigMap do not depend on insertion order.
  for (const fileName of Object.keys(files).sort()) {
    const content = files[fileName];
    const problem = checkConfigKey(fileName);
    if (problem) v.fail(`config.files["${fileName}"]`, fileName, problem, 'use a file name such as "app.conf"');
    if (typeof content !== 'string') v.fail(`config.files["${fileName}"]`, content, 'must be a string', 'pass the file content as a string');
    total += Buffer.byteLength(content) + fileName.length;
    hashed.push([fileName, content]);
    data[fileName] = content;
  }
  if (total > CONFIGMAP_LIMIT) v.fail('config.files', `${total} bytes`, 'exceed the 1 MiB a ConfigMap can hold', 'ship large files in the image or a volume');
  const configMapName = cfg.name ?? `${state.name}-config`;
  const problem = checkDns1123Subdomain(configMapName);
  if (problem) v.fail('config.name', configMapName, problem, 'use a name like "web-config"');
  const configVolume = cfg.volumeName ?? 'config';
  claimVolume(b, 'config.volumeName', configVolume);
  b.podVolumes.push({ name: configVolume, configMap: { name: configMapName } });
  if (cfg.mountPath !== undefined) b.mainMounts.push({ m: { volume: configVolume, mountPath: cfg.mountPath, readOnly: true }, prop: 'config' });
  return { checksum: sha256Hex(hashed), configMap: { name: configMapName, data } };
}

/**
 * The checksum of the files (name, NUL, content, NUL each), in order. A fleet's apps mostly carry the same
 * files (MySQL's scripts) with one that differs (its configuration): the hash state after each file of the
 * last input is kept, so only the files from the first difference on are hashed again. The digest is the
 * same as hashing it all.
 */
let last: { readonly files: Array<[string, string]>; readonly states: Hash[]; readonly hex: string } = { files: [], states: [], hex: '' };

function sha256Hex(files: Array<[string, string]>): string {
  const known = last.files;
  let same = 0;
  while (same < files.length && same < known.length && known[same][0] === files[same][0] && known[same][1] === files[same][1]) same++;
  if (same > 0 && same === files.length && same === known.length) return last.hex;
  const states = last.states.slice(0, same);
  let hash = same > 0 ? states[same - 1].copy() : createHash('sha256');
  for (let i = same; i < files.length; i++) {
    hash.update(`${files[i][0]}\0`).update(files[i][1]).update('\0');
    states.push(hash);
    hash = hash.copy();
  }
  last = { files, states, hex: hash.digest('hex') };
  return last.hex;
}
