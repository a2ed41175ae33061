/**
 * The library's checks at synth, run by one validation per App (on the App's root construct).
 *
 * cdk8s validates the whole App once for every chart it synthesizes (`App._synthChart`), so with a chart
 * per app a validation per app would run charts x apps times. Here each construct's check runs again only
 * after the construct reported a change, its last refusal standing until then; the App-wide checks (names
 * over every object of the App, the user's own too) run every time. Every message names its construct: the
 * App's root, which holds the validation, has no path of its own (cdk8s prints `[]` before each message).
 * Refusals come in the order the constructs were created, then the App-wide checks' messages.
 */
import { IConstruct } from 'constructs';
import { StatefulValidationError } from './errors';

/** A check of one construct: it throws a StatefulValidationError for what it refuses. */
export type ConstructCheck = () => void;

interface Registered {
  readonly owner: IConstruct;
  readonly check: ConstructCheck;
  /** The message of its last refusal, if it refused. */
  refusal?: string;
}

interface AppChecks {
  /** Every construct check, in the order the constructs were created. */
  readonly all: Registered[];
  /** The checks to run at the next validation: new, or their construct changed since. */
  readonly due: Set<Registered>;
  /** Checks over the whole App, run at every validation. */
  readonly appWide: Array<() => string[]>;
  /** The refusals of the last validation, in order (undefined after a check ran again). */
  refusals?: Registered[];
}

const checksOf = new WeakMap<IConstruct, AppChecks>();

/**
 * Registers `check` for the App of `owner` and returns what to call on every change of the construct
 * (the check runs again at the next validation). Register once the construct joined the tree.
 */
export function checkAtSynth(owner: IConstruct, check: ConstructCheck): () => void {
  const checks = appChecks(owner);
  const registered: Registered = { owner, check };
  checks.all.push(registered);
  checks.due.add(registered);
  return () => checks.due.add(registered);
}

/** Registers a check over the whole App of `owner`, run at every validation; it returns its messages. */
export function checkAppAtSynth(owner: IConstruct, check: () => string[]): void {
  appChecks(owner).appWide.push(check);
}

function appChecks(owner: IConstruct): AppChecks {
  const root = owner.node.root;
  let checks = checksOf.get(root);
  if (!checks) {
    const created: AppChecks = { all: [], due: new Set(), appWide: [] };
    root.node.addValidation({ validate: () => run(created) });
    checksOf.set(root, created);
    checks = created;
  }
  return checks;
}

function run(checks: AppChecks): string[] {
  for (const r of checks.due) {
    try {
      r.check();
      r.refusal = undefined;
    } catch (e) {
      if (!(e instanceof StatefulValidationError)) throw e;
      r.refusal = e.message;
    }
    checks.refusals = undefined;
  }
  checks.due.clear();
  checks.refusals ??= checks.all.filter((r) => r.refusal !== undefined);
  // (a construct removed from the tree after its refusal is no longer synthesized: its refusal goes with it)
  const refusals = checks.refusals.filter((r) => inTree(r.owner)).map((r) => r.refusal!);
  return [...refusals, ...checks.appWide.flatMap((check) => check())];
}

/** Whether every scope on the way up still holds `c` (`tryRemoveChild` detaches a subtree). */
function inTree(c: IConstruct): boolean {
  for (let child = c, scope = c.node.scope; scope; child = scope, scope = scope.node.scope) {
    if (scope.node.tryFindChild(child.node.id) !== child) return false;
  }
  return true;
}
