// Waiting without keeping a stopped process alive: every timer here is cleared once its wait is over.

/** Waits `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** Whether `promise` settled within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = new AbortController();
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, sleep(ms, timeout.signal).then(() => false)]);
  timeout.abort();
  return result;
}
