/** The PodDisruptionBudget of an app: decided and rendered in one place. */
import { Validator } from '../errors';
import { Construct } from 'constructs';
import { k8s, KubePodDisruptionBudget } from '../kube';
import { checkDns1123Subdomain, POD_NAME_LABEL } from '../names';
import { DisruptionBudget } from './options';

/** The budget an app gets: the prop, else maxUnavailable 1 with more than one replica. */
export function chooseBudget(v: Validator, budget: DisruptionBudget | undefined, replicas: number): DisruptionBudget {
  const chosen = budget ?? (replicas > 1 ? DisruptionBudget.maxUnavailable(1) : DisruptionBudget.none());
  v.integer('disruptionBudget.maxUnavailable', chosen.maxUnavailablePods, 1, 1_000_000, 'allow at least 1 (0 blocks every node drain)');
  v.integer('disruptionBudget.minAvailable', chosen.minAvailablePods, 0, 1_000_000, 'use 0 or more');
  if (chosen.minAvailablePods !== undefined && chosen.minAvailablePods >= replicas && replicas > 0) {
    v.fail('disruptionBudget.minAvailable', chosen.minAvailablePods, `is not below replicas (${replicas}), so no node holding a pod can ever be drained`, `use at most ${replicas - 1}`);
  }
  return chosen;
}

export function hasBudget(budget: DisruptionBudget): boolean {
  return budget.maxUnavailablePods !== undefined || budget.minAvailablePods !== undefined;
}

/**
 * The budget's spec. `AlwaysAllow` lets a drain evict a pod that is not Ready (crash-looping,
 * stuck in init): the budget protects serving pods, and a broken one would otherwise block every
 * drain of its node.
 */
export function budgetSpec(budget: DisruptionBudget, selector: k8s.LabelSelector): k8s.PodDisruptionBudgetSpec {
  return {
    selector,
    maxUnavailable: budget.maxUnavailablePods !== undefined ? k8s.IntOrString.fromNumber(budget.maxUnavailablePods) : undefined,
    minAvailable: budget.minAvailablePods !== undefined ? k8s.IntOrString.fromNumber(budget.minAvailablePods) : undefined,
    unhealthyPodEvictionPolicy: 'AlwaysAllow',
  };
}

/** The pods of an app: `<name>-<ordinal>` for `replicas` ordinals from `startOrdinal`. */
interface PodSet {
  readonly name: string;
  readonly startOrdinal: number;
  readonly replicas: number;
}

/** Options of {@link StatefulApp.protectPod}. */
export interface ProtectPodOptions {
  /**
   * Name of the pod's own PodDisruptionBudget.
   * @default - `<app>-<ordinal>`
   */
  readonly name?: string;
}

/**
 * The disruption budgets of an app: its own (every pod, or every pod but the protected one), and the
 * protected pod's, with maxUnavailable 0. The two never select the same pod: the eviction API refuses
 * to evict a pod under two budgets.
 */
export class AppBudgets {
  private protectedPod?: string;

  constructor(private readonly budget: DisruptionBudget, private readonly selectorLabels: { [key: string]: string }) {}

  public get enabled(): boolean {
    return hasBudget(this.budget);
  }

  /**
   * Checks protectPod's arguments: a pod of the app, none protected yet, an app budget the other pods can
   * meet, a valid name. Returns the budget's name.
   */
  public checkProtect(v: Validator, ordinal: number, podName: string, options: ProtectPodOptions, app: PodSet): string {
    const last = app.startOrdinal + app.replicas - 1;
    if (ordinal > last) v.fail('protectPod(ordinal)', ordinal, `is not a pod of the app (ordinals ${app.startOrdinal}..${last})`, 'pass the ordinal of a pod');
    if (app.replicas < 2) {
      v.fail('protectPod(ordinal)', ordinal, `is the app's only pod: a budget of 0 for it would block every drain of its node (replicas ${app.replicas})`,
        'protect a pod only while other pods serve, or use disruptionBudget');
    }
    if (this.protectedPod !== undefined) {
      v.fail('protectPod(ordinal)', podName, `cannot be protected: ${this.protectedPod} already is (one pod per app)`, 'protect one pod only');
    }
    // The app's budget now counts the other pods only.
    chooseBudget(v, this.budget, app.replicas - 1);
    const name = options.name ?? podName;
    const problem = checkDns1123Subdomain(name) || (name === app.name && this.enabled ? 'is the name of the app\'s own budget' : undefined);
    if (problem) v.fail('protectPod options.name', name, problem, `use a name such as "${app.name}-primary"`);
    return name;
  }

  /** Leaves `podName` out of the app's budget (after checkProtect) and gives it its own, a child of `app`. */
  public protect(app: Construct, podName: string, metadata: k8s.ObjectMeta): k8s.KubePodDisruptionBudget {
    this.protectedPod = podName;
    return new KubePodDisruptionBudget(app, 'ProtectedPodBudget', { metadata, spec: this.podSpec(podName) });
  }

  /** The app's budget's spec (at synth: a pod may be protected after construction). */
  public appSpec(): k8s.PodDisruptionBudgetSpec {
    const selector: k8s.LabelSelector = this.protectedPod === undefined
      ? { matchLabels: { ...this.selectorLabels } }
      : { matchLabels: { ...this.selectorLabels }, matchExpressions: [{ key: POD_NAME_LABEL, operator: 'NotIn', values: [this.protectedPod] }] };
    return budgetSpec(this.budget, selector);
  }

  /** The protected pod's budget: no voluntary disruption while it is Ready. */
  private podSpec(podName: string): k8s.PodDisruptionBudgetSpec {
    return {
      selector: { matchLabels: { ...this.selectorLabels, [POD_NAME_LABEL]: podName } },
      maxUnavailable: k8s.IntOrString.fromNumber(0),
      // A pod that is not Ready serves nothing: its node may be drained.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    };
  }
}
