/** Processes the harness spawns: how one ended, and signalling its whole group (spawned detached). */
import { ChildProcess } from 'child_process';

/** How a process ended (its exit code, or the signal), once it has. */
export function exitOf(proc: ChildProcess): Promise<number | string> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  if (proc.signalCode !== null) return Promise.resolve(proc.signalCode);
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Signals a process's whole group (it was spawned detached), if it is still there. */
export function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
}
