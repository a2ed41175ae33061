import * as fs from 'fs';
import * as path from 'path';

/** The scripts that run in the pods, as shipped beside this module (src/ or lib/). */
export const SCRIPT_FILES = ['lib.sh', 'init-config.sh', 'bootstrap.sh', 'run-mysqld.sh', 'agent.sh', 'probe.sh', 'group.sh', 'generate-credentials.sh', 's3.sh', 'backup.sh', 'verify-backup.sh', 'restore.sh', 'archiver.sh', 'prune.sh'] as const;

let cache: { [file: string]: string } | undefined;

/** Reads the scripts once per process: every ReplicatedMySql embeds the same text. @internal */
export function mysqlScripts(): { [file: string]: string } {
  if (!cache) {
    const loaded: { [file: string]: string } = {};
    for (const file of SCRIPT_FILES) {
      loaded[file] = fs.readFileSync(path.join(__dirname, 'scripts', file), 'utf8');
    }
    cache = loaded;
  }
  return cache;
}
