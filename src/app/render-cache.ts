/** The app's rendered pod and its synth-time validation, each reused until the app changes. */
import { StatefulValidationError } from '../errors';
import { renderStatefulSet, RenderedPod } from './pod-template';
import { AppState } from './state';

export class RenderCache {
  private pod: { readonly version: number; readonly pod: RenderedPod };
  private validated?: { readonly count: number; readonly objects: number; readonly errors: string[] };

  /** `first` is the pod rendered (and so checked) at construction. */
  constructor(private readonly state: AppState, first: RenderedPod) {
    this.pod = { version: state.changes.count, pod: first };
  }

  /** The pod as the state is now. */
  public rendered(): RenderedPod {
    const version = this.state.changes.count;
    if (this.pod.version !== version) this.pod = { version, pod: renderStatefulSet(this.state) };
    return this.pod.pod;
  }

  /**
   * The messages of what `check` refuses (it renders the pod and the objects derived from it).
   * cdk8s validates the whole App once per chart it synthesizes (App._synthChart), so with a chart
   * per app this runs charts x apps times: answer from the last run while nothing changed.
   */
  public errors(check: () => void): string[] {
    const { count, objects } = this.state.changes;
    if (this.validated?.count === count && this.validated.objects === objects) return this.validated.errors;
    let errors: string[] = [];
    try {
      check();
    } catch (e) {
      if (!(e instanceof StatefulValidationError)) throw e;
      errors = [e.message];
    }
    this.validated = { count, objects, errors };
    return errors;
  }
}
