/** The app's rendered pod, reused until the pod changes. */
import { renderStatefulSet, RenderedPod } from './pod-template';
import { AppState } from './state';

export class RenderCache {
  private pod: { readonly version: number; readonly pod: RenderedPod };

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
}
