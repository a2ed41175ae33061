/**
 * The library's checks at synth, run by one validation per App (on the App's root construct).
 *
 * cdk8s validates the whole App once for every chart it synthesizes (`App._synthChart`), so with a chart
 * per app a validation per app would run charts x apps times. Here each app's check runs again only after
 * the app reported a change, its last errors standing until then; the App-wide checks (names over every
 * object of the App, the user's own too) run every time. Every message names its construct: the App's
 * root, which holds the validation, has no path of its own (cdk8s prints `[]` before each message).
 */
import { IConstruct } from 'constructs';
import { StatefulValidationError } from './errors';

/** A check of one construct: it throws a StatefulValidationError for what it refuses. */
export type ConstructCheck = () => void;

interface AppChecks {
  /** The checks to run at the next validation: new, or their construct changed since. */
  readonly due: Set<ConstructCheck>;
  /** The last message of each check that refused. */
  readonly refused: Map<ConstructCheck, string>;
  /** Checks over the whole App, run at every validation. */
  readonly appWide: Array<() => string[]>;
}

const checksOf = new WeakMap<IConstruct, AppChecks>();

/**
 * Registers `check` for the App of `owner` and returns what to call on every change of the construct
 * (the check runs again at the next validation). Register once the construct joined the tree.
 */
export function checkAtSynth(owner: IConstruct, check: ConstructCheck): () => void {
  const checks = appChecks(owner);
  checks.due.add(check);
  return () => checks.due.add(check);
}

/** Registers a check over the whole App of `owner`, run at every validation; it returns its messages. */
export function checkAppAtSynth(owner: IConstruct, check: () => string[]): void {
  appChecks(owner).appWide.push(check);
}

function appChecks(owner: IConstruct): AppChecks {
  const root = owner.node.root;
  let checks = checksOf.get(root);
  if (!checks) {
    const created: AppChecks = { due: new Set(), refused: new Map(), appWide: [] };
    root.node.addValidation({ validate: () => run(created) });
    checksOf.set(root, created);
    checks = created;
  }
  return checks;
}

function run(checks: AppChecks): string[] {
  for (const check of checks.due) {
    try {
      check();
      checks.refused.delete(check);
    } catch (e) {
      if (!(e instanceof StatefulValidationError)) throw e;
      checks.refused.set(check, e.message);
    }
  }
  checks.due.clear();
  return [...checks.refused.values(), ...checks.appWide.flatMap((check) => check())];
}
