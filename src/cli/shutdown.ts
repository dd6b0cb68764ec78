// Ctrl-C and SIGTERM: stop cleanly (the server first, so no request meets a closed database, then
// the databases), once. A second signal while stopping exits at once, for a stop that hangs.
import type { Logger } from 'pino';

export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'stopping now, without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
