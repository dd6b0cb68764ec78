// Host states shared between schedulings (Nova's HostManager keeps its host states between
// requests and takes each selection off the chosen host's): the schedulings of one process that
// ask Placement the same query within [scheduler] candidates_reuse_seconds of its answer use that
// answer and one set of host states, so that a burst of boots asks Placement once rather than
// once per boot. Each scheduling takes what it claims off the chosen host's free resources before
// it claims, so that the next one weighs the hosts as they now stand. Placement still decides
// every claim: a stale answer costs a refused claim (the next host is tried), and a scheduling
// that finds no host in a shared answer asks Placement afresh before it gives up (scheduler
// index.ts). The compute API forgets every answer when it changes a service or an aggregate.
import type { HostState } from './host_state.js';

/** One Placement answer as the filters and weighers see it. */
export interface HostView {
  /** The allocation candidates request, for the explanation. */
  path: string;
  candidates: number;
  providers: number;
  hosts: HostState[];
  /** Providers that are no compute node this service knows. */
  unknown: string[];
}

interface Entry {
  view: Promise<HostView>;
  /** When it stops being handed out (ms, performance.now()); Infinity while Placement answers. */
  expires: number;
}

export class HostStateCache {
  private readonly entries = new Map<string, Entry>();

  /** @param reuseMs how long an answer is handed out after it came; 0: never shared. */
  constructor(
    private readonly reuseMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.reuseMs > 0;
  }

  /** The view for `path`: the one being fetched or fetched less than reuseMs ago, else `load`'s. */
  get(path: string, load: () => Promise<HostView>): Promise<HostView> {
    const t = this.now();
    const hit = this.entries.get(path);
    if (hit && hit.expires > t) return hit.view;
    const entry: Entry = { view: load(), expires: Infinity };
    this.entries.set(path, entry);
    entry.view.then(
      () => {
        entry.expires = this.now() + this.reuseMs;
      },
      () => {
        // A failed answer is nobody's: the next scheduling asks again.
        if (this.entries.get(path) === entry) this.entries.delete(path);
      },
    );
    this.sweep(t);
    return entry.view;
  }

  /** Drops the answer for `path` (a claim on it was refused: it is stale), or every answer. */
  forget(path?: string): void {
    if (path === undefined) this.entries.clear();
    else this.entries.delete(path);
  }

  /** Drops expired answers, so that one-off queries do not pile up. */
  private sweep(t: number): void {
    for (const [path, e] of this.entries) if (e.expires <= t) this.entries.delete(path);
  }
}
