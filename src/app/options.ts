/** The enums and variant classes of StatefulApp's props (a rollout, a budget, spreading, retention). */
/** What happens to the PVCs of a StatefulSet. */
import { checkOptions } from '../check';
import { shapeOf } from '../shapes';

export enum PvcRetention {
  /** Keep the claims (and data). */
  RETAIN = 'Retain',
  /** Delete the claims; with a `Delete` reclaim policy the data is gone. */
  DELETE = 'Delete',
}

/** `persistentVolumeClaimRetentionPolicy` of the StatefulSet. */
export interface PvcRetentionPolicy {
  /**
   * Claims of a deleted StatefulSet.
   * @default PvcRetention.RETAIN
   */
  readonly whenDeleted?: PvcRetention;
  /**
   * Claims of ordinals removed by a scale-in.
   * @default PvcRetention.RETAIN
   */
  readonly whenScaled?: PvcRetention;
}

/** Access mode of a volume claim. */
export enum AccessMode {
  /** Read-write by one node (block disks). */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Read-write by one pod. */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
  /** Read-only by many nodes. */
  READ_ONLY_MANY = 'ReadOnlyMany',
  /** Read-write by many nodes (shared file systems). */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/** How strictly pods are spread over a topology domain. */
export enum SpreadMode {
  /** No constraint. */
  NONE = 'None',
  /** Spread when possible, schedule anyway when not (`whenUnsatisfiable: ScheduleAnyway`). */
  PREFERRED = 'ScheduleAnyway',
  /** Never put more pods in one domain than the skew allows (`DoNotSchedule`); pods may stay Pending. */
  REQUIRED = 'DoNotSchedule',
}

/** Options of a rolling update. */
export interface RollingUpdateOptions {
  /**
   * Only ordinals >= partition are updated; lower ones keep the old revision (staged rollouts).
   * @default 0
   */
  readonly partition?: number;
  /**
   * Pods updated at once. Needs the MaxUnavailableStatefulSet feature gate (alpha in 1.28);
   * ignored by clusters without it.
   * @default - one at a time
   */
  readonly maxUnavailable?: number;
}

/** How a changed pod template reaches the pods. */
export class UpdateStrategy {
  /** Replace pods one at a time from the highest ordinal, optionally only down to a partition. */
  public static rollingUpdate(options: RollingUpdateOptions = {}): UpdateStrategy {
    checkOptions('UpdateStrategy.rollingUpdate', options, shapeOf('RollingUpdateOptions'));
    return new UpdateStrategy('RollingUpdate', options.partition, options.maxUnavailable);
  }

  /** Never replace running pods; a pod picks up the new template when you delete it. */
  public static onDelete(): UpdateStrategy {
    return new UpdateStrategy('OnDelete');
  }

  private constructor(
    /** `RollingUpdate` or `OnDelete`. */
    public readonly strategyType: string,
    /** The partition, for rolling updates. */
    public readonly partition?: number,
    /** The maxUnavailable, for rolling updates. */
    public readonly maxUnavailable?: number,
  ) {}
}

/** The PodDisruptionBudget of an app. */
export class DisruptionBudget {
  /** At most this many pods may be down through voluntary disruptions (drains). */
  public static maxUnavailable(pods: number): DisruptionBudget {
    return new DisruptionBudget(pods, undefined);
  }

  /** At least this many pods must stay up through voluntary disruptions. */
  public static minAvailable(pods: number): DisruptionBudget {
    return new DisruptionBudget(undefined, pods);
  }

  /** No PodDisruptionBudget: node drains may evict every pod at once. */
  public static none(): DisruptionBudget {
    return new DisruptionBudget(undefined, undefined);
  }

  private constructor(
    /** Max unavailable pods, if set. */
    public readonly maxUnavailablePods?: number,
    /** Min available pods, if set. */
    public readonly minAvailablePods?: number,
  ) {}
}
