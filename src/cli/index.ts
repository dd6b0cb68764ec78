// The `concord` command.
import { Command } from 'commander';
import { servePlacement } from './serve.js';
import { up } from './up.js';

const program = new Command('concord')
  .description('concord: one OpenStack-compatible control plane for VMs and bare-metal servers');

program.command('serve')
  .description('serve one service at the root path, in the foreground')
  .argument('<service>', 'the service to serve (placement)')
  .option('--port <port>', 'TCP port', '8778')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'where the service keeps its state', './data')
  .option('--config <file>', 'concord.conf (INI)')
  .option('--database-url <url>', 'postgresql://... or a SQLite path (default: SQLite in the data dir)')
  .option('--auth-strategy <strategy>', 'keystone or noauth2 (test mode)')
  .action(async (service: string, opts) => {
    if (service !== 'placement') program.error(`unknown service: ${service} (available: placement)`);
    await servePlacement(opts);
  });

program.command('up')
  .description('run the whole cloud in one process on one port (DevStack-style paths)')
  .option('--port <port>', 'TCP port', '8080')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'where the cloud keeps its state', './data')
  .option('--config <file>', 'concord.conf (INI); default: DATA_DIR/concord.conf when present')
  .action(async (opts) => { await up(opts); });

await program.parseAsync();
