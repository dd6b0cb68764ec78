// The provider index: every resource provider with its inventory, usage, traits and aggregates,
// in memory, with lookup tables by resource class, trait, aggregate and tree. Allocation
// candidates and provider listings are answered from it, without SQL, which is what makes them
// fast. The database stays the truth: writes go to the database only, and before answering a
// read the index catches up with the change log (./changes.ts), so it reflects every write
// committed before the read started, whichever process made it.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { withReadSnapshot, type Engine } from '../../common/db/index.js';
import { intersect } from '../../common/sets.js';
import type { PlacementDB } from '../db/schema.js';
import { changeCursor, ChangePruner, CHANGE_RETENTION_MS, type ChangeBatch, type ChangeCursor } from './changes.js';
import { REAL_TIME, type TimeShift } from './clock.js';
import { loadCatalog, loadProviders, SetPool } from './loader.js';
import type { Catalog, ProviderNode } from './model.js';

function addTo<K>(map: Map<K, Set<number>>, key: K, id: number) {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}
function removeFrom<K>(map: Map<K, Set<number>>, key: K, id: number) {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (!set.size) map.delete(key);
}

const EMPTY: ReadonlySet<number> = new Set();

export class ProviderIndex {
  readonly nodes = new Map<number, ProviderNode>();
  readonly byUuid = new Map<string, ProviderNode>();
  private readonly childIds = new Map<number, Set<number>>();
  private readonly treeIds = new Map<number, Set<number>>();
  private readonly rcIds = new Map<number, Set<number>>();
  private readonly traitIds = new Map<string, Set<number>>();
  private readonly aggIds = new Map<string, Set<number>>();
  catalog: Catalog = { rcById: new Map(), rcByName: new Map(), traits: new Set() };
  /** How many providers have a parent: whether any provider trees exist at all. */
  private nested = 0;

  private readonly cursor: ChangeCursor;
  private readonly pruner: ChangePruner;
  private readonly sets = new SetPool();
  private lastSync = 0;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  private readonly log: Logger;
  private readonly shift: TimeShift;

  constructor(
    private readonly db: Kysely<PlacementDB>,
    private readonly engine: Engine,
    opts: { log: Logger; timeShift?: TimeShift },
  ) {
    this.cursor = changeCursor(engine);
    this.pruner = new ChangePruner(engine);
    this.log = opts.log;
    this.shift = opts.timeShift ?? REAL_TIME;
  }

  private now(): number {
    return Date.now() + this.shift();
  }

  /** Loads everything (at start, or after being away longer than the change log is kept). The
   * cursor's position and the tables are read in one snapshot, so the index is exactly the
   * database at one moment and the cursor continues from that moment. */
  async reload(): Promise<void> {
    // The cursor's position is as of the load's start, and so is the time of this look.
    const started = this.now();
    this.sets.clear();
    const { catalog, nodes } = await withReadSnapshot(this.db, this.engine, async (trx) => {
      await this.cursor.start(trx);
      return { catalog: await loadCatalog(trx), nodes: await loadProviders(trx, this.engine, this.sets, null) };
    });
    this.catalog = catalog;
    this.nested = 0;
    for (const m of [this.nodes, this.byUuid, this.childIds, this.treeIds, this.rcIds, this.traitIds, this.aggIds])
      m.clear();
    for (const n of nodes) this.put(n);
    this.lastSync = started;
  }

  /** Catches up with every change committed before this call. Concurrent callers share one
   * catch-up when they can: a caller arriving while one runs waits for the next one, since the
   * running one may have read the log before the caller's own writes committed. */
  sync(): Promise<void> {
    if (!this.running) return this.run();
    if (!this.queued) {
      this.queued = this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = null;
          return this.run();
        });
    }
    return this.queued;
  }

  private run(): Promise<void> {
    this.running = this.catchUp()
      // A catch-up that failed half way may have moved the cursor past changes it did not
      // apply: the next one starts over from a full load.
      .catch((e) => {
        this.lastSync = 0;
        throw e;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async catchUp(): Promise<void> {
    const now = this.now();
    if (now - this.lastSync > CHANGE_RETENTION_MS / 2) return this.reload();
    const batch = await this.cursor.poll(this.db);
    this.lastSync = now;
    if (batch.catalog || batch.providerIds.size) await this.apply(batch);
    // Pruning is housekeeping: a read must not fail for it (the rows wait for the next prune).
    await this.pruner
      .looked(this.db, now, this.cursor.mark())
      .catch((err: unknown) => this.log.warn({ err }, 'pruning the placement change log failed'));
  }

  private async apply(batch: ChangeBatch): Promise<void> {
    // The providers' tables are read in one snapshot, so that no provider is assembled from
    // before and after a write (say, the inventory before and the allocations after). The
    // snapshot may be later than the poll's: what committed in between is read again next time.
    const ids = [...batch.providerIds];
    const { catalog, fresh } = await withReadSnapshot(this.db, this.engine, async (trx) => ({
      catalog: batch.catalog ? await loadCatalog(trx) : null,
      fresh: ids.length ? await loadProviders(trx, this.engine, this.sets, ids) : [],
    }));
    if (catalog) this.setCatalog(catalog);
    const found = new Set(fresh.map((n) => n.id));
    for (const id of ids) if (!found.has(id)) this.remove(id);
    for (const n of fresh) this.put(n);
  }

  private setCatalog(next: Catalog): void {
    const renamed = [...this.catalog.rcById].some(([id, name]) => next.rcById.get(id) !== name);
    this.catalog = next;
    // The JSON rendered on the nodes names resource classes (1.2 to 1.6 can rename them).
    if (renamed) for (const n of this.nodes.values()) delete n.rendered;
  }

  private put(n: ProviderNode): void {
    this.remove(n.id);
    this.nodes.set(n.id, n);
    this.byUuid.set(n.uuid, n);
    if (n.parentId !== null) {
      addTo(this.childIds, n.parentId, n.id);
      this.nested++;
    }
    addTo(this.treeIds, n.rootId, n.id);
    for (const inv of n.inventories) addTo(this.rcIds, inv.rcId, n.id);
    for (const t of n.traits) addTo(this.traitIds, t, n.id);
    for (const a of n.aggregates) addTo(this.aggIds, a, n.id);
  }

  private remove(id: number): void {
    const old = this.nodes.get(id);
    if (!old) return;
    this.nodes.delete(id);
    this.byUuid.delete(old.uuid);
    if (old.parentId !== null) {
      removeFrom(this.childIds, old.parentId, id);
      this.nested--;
    }
    removeFrom(this.treeIds, old.rootId, id);
    for (const inv of old.inventories) removeFrom(this.rcIds, inv.rcId, id);
    for (const t of old.traits) removeFrom(this.traitIds, t, id);
    for (const a of old.aggregates) removeFrom(this.aggIds, a, id);
  }

  /** Ids of the providers with inventory of this class. */
  withResourceClass(rcId: number): ReadonlySet<number> {
    return this.rcIds.get(rcId) ?? EMPTY;
  }
  /** Ids of the providers having this trait. */
  withTrait(name: string): ReadonlySet<number> {
    return this.traitIds.get(name) ?? EMPTY;
  }
  /** Ids of the providers in this aggregate. */
  inAggregate(uuid: string): ReadonlySet<number> {
    return this.aggIds.get(uuid) ?? EMPTY;
  }
  /** Ids of the providers in the tree rooted at `rootId`. */
  tree(rootId: number): ReadonlySet<number> {
    return this.treeIds.get(rootId) ?? EMPTY;
  }
  children(id: number): ReadonlySet<number> {
    return this.childIds.get(id) ?? EMPTY;
  }

  // Set queries the candidate search composes.

  /** Whether some provider of the smallest of `sources` passes `test`. */
  someProvider(sources: ReadonlySet<number>[], test: (n: ProviderNode) => boolean): boolean {
    const smallest = sources.reduce((a, b) => (b.size < a.size ? b : a));
    for (const id of smallest) if (test(this.get(id))) return true;
    return false;
  }

  /** Per required set, the providers in any of its aggregates (as a set to walk). */
  aggregateSources(sets: Set<string>[]): ReadonlySet<number>[] {
    return sets.map((any) => (any.size === 1 ? this.inAggregate([...any][0]!) : this.providersInAny(any)));
  }

  /** Per required set, the providers having any of its traits. */
  traitSources(sets: Set<string>[]): ReadonlySet<number>[] {
    return sets.map((any) =>
      any.size === 1 ? this.withTrait([...any][0]!) : new Set([...any].flatMap((t) => [...this.withTrait(t)])),
    );
  }

  /** Providers that are in one aggregate of each set. */
  providersInAll(sets: Set<string>[]): Set<number> {
    let out: Set<number> | null = null;
    for (const any of sets) {
      const members = this.providersInAny(any);
      out = out === null ? members : intersect(out, members);
      if (!out.size) break;
    }
    return out ?? new Set<number>();
  }

  /** Providers in any of these aggregates. */
  providersInAny(aggs: Set<string>): Set<number> {
    const out = new Set<number>();
    for (const agg of aggs) for (const id of this.inAggregate(agg)) out.add(id);
    return out;
  }

  /** The roots of every provider sharing an aggregate with sharing provider `sp` (its own
   * root included). */
  anchorsOf(sp: number): Set<number> {
    const out = new Set<number>();
    for (const agg of this.get(sp).aggregates) {
      for (const id of this.inAggregate(agg)) out.add(this.get(id).rootId);
    }
    return out;
  }

  /** Whether any provider has a parent. */
  get hasTrees(): boolean {
    return this.nested > 0;
  }

  get(id: number): ProviderNode {
    return this.nodes.get(id)!;
  }
  parentUuid(n: ProviderNode): string | null {
    return n.parentId === null ? null : (this.nodes.get(n.parentId)?.uuid ?? null);
  }
  rootUuid(n: ProviderNode): string {
    return this.nodes.get(n.rootId)?.uuid ?? n.uuid;
  }
  /** The provider and all its descendants. */
  subtree(id: number): number[] {
    const out = [id];
    for (let i = 0; i < out.length; i++) for (const c of this.children(out[i]!)) out.push(c);
    return out;
  }
  rcName(id: number): string {
    return this.catalog.rcById.get(id) ?? `UNKNOWN_${id}`;
  }
}
