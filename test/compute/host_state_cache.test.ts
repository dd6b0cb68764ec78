// The scheduler's shared Placement answers: one fetch serves every scheduling asking the same
// query while it is in flight and for [scheduler] candidates_reuse_seconds after; a failed fetch
// is nobody's; a forgotten or expired answer is fetched again.
import { describe, expect, it } from 'vitest';
import { HostStateCache, type HostView } from '../../src/compute/scheduler/host_state_cache.js';

const view = (path: string, n: number): HostView => ({ path, candidates: n, providers: n, hosts: [], unknown: [] });

function counter() {
  let fetches = 0;
  let release: () => void = () => undefined;
  const load = (path: string) => () => {
    fetches++;
    const n = fetches;
    return new Promise<HostView>((resolve) => {
      release = () => resolve(view(path, n));
    });
  };
  return { load, fetches: () => fetches, release: () => release() };
}

describe('HostStateCache', () => {
  it('shares one fetch among the schedulings asking the same query while it is in flight and after', async () => {
    let t = 0;
    const cache = new HostStateCache(1000, () => t);
    const c = counter();
    const a = cache.get('/q', c.load('/q'));
    const b = cache.get('/q', c.load('/q'));
    c.release();
    expect(await a).toBe(await b);
    t = 999;
    expect(await cache.get('/q', c.load('/q'))).toBe(await a);
    expect(c.fetches()).toBe(1);
    // Another query is another answer.
    const other = cache.get('/other', c.load('/other'));
    c.release();
    expect((await other).path).toBe('/other');
    expect(c.fetches()).toBe(2);
  });

  it('fetches again once the answer is older than the reuse window, or forgotten', async () => {
    let t = 0;
    const cache = new HostStateCache(1000, () => t);
    const c = counter();
    const first = cache.get('/q', c.load('/q'));
    c.release();
    await first;
    t = 1000; // the window is counted from the answer
    const second = cache.get('/q', c.load('/q'));
    c.release();
    expect((await second).candidates).toBe(2);
    cache.forget('/q');
    const third = cache.get('/q', c.load('/q'));
    c.release();
    expect((await third).candidates).toBe(3);
    cache.forget();
    const fourth = cache.get('/q', c.load('/q'));
    c.release();
    expect((await fourth).candidates).toBe(4);
  });

  it('keeps no failed answer: the schedulings waiting on it fail, the next one asks again', async () => {
    const cache = new HostStateCache(60_000);
    let reject: (e: Error) => void = () => undefined;
    const failing = () => new Promise<HostView>((_, rej) => (reject = rej));
    const a = cache.get('/q', failing);
    const b = cache.get('/q', failing);
    reject(new Error('placement is down'));
    await expect(a).rejects.toThrow('placement is down');
    await expect(b).rejects.toThrow('placement is down');
    expect(await cache.get('/q', () => Promise.resolve(view('/q', 7)))).toMatchObject({ candidates: 7 });
  });
});
