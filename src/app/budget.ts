/** The PodDisruptionBudget of an app: decided and rendered in one place. */
import { Validator } from '../errors';
import { k8s } from '../kube';
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
