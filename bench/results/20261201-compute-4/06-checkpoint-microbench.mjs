// @ts-nocheck -- a recorded measurement script, kept as it ran
// node bench/results/20261201-compute-4/06-checkpoint-microbench.mjs [NOCKPT=1]: 5,000 small transactions
// (three writes each) committed one by one or in batches of savepoints, with SQLite's own checkpoints
// or (NOCKPT=1) none, on a 20,000-row table.
import SQLite from 'better-sqlite3';
import { rmSync, mkdirSync } from 'node:fs';
rmSync('/tmp/gcb', { recursive: true, force: true }); mkdirSync('/tmp/gcb');
const db = new SQLite('/tmp/gcb/x.sqlite');
db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('cache_size = -4000'); if (process.env.NOCKPT) db.pragma('wal_autocheckpoint = 0');
db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT); CREATE INDEX tb ON t(b); CREATE INDEX tc ON t(c);
CREATE TABLE u (id INTEGER PRIMARY KEY, a TEXT, b INTEGER); CREATE INDEX ub ON u(b);`);
const ins = db.prepare('INSERT INTO t (a,b,c) VALUES (?,?,?)');
const ins2 = db.prepare('INSERT INTO u (a,b) VALUES (?,?)');
const upd = db.prepare('UPDATE t SET b = b + 1 WHERE id = ?');
for (let i = 0; i < 20000; i++) ins.run('x'.repeat(200), i, 'k' + (i * 7919 % 20000));
function work(i) { ins.run('y'.repeat(200), i, 'k' + Math.random()); ins2.run('z'.repeat(100), i); upd.run(1 + (i * 13 % 20000)); }
const N = 5000;
for (const mode of ['each', 'batch8', 'each', 'batch8', 'batch50']) {
  const t0 = performance.now();
  if (mode === 'each') for (let i = 0; i < N; i++) { db.exec('BEGIN'); work(i); db.exec('COMMIT'); }
  else { const k = Number(mode.slice(5)); for (let i = 0; i < N; i += k) { db.exec('BEGIN'); for (let j = 0; j < k; j++) { db.exec('SAVEPOINT s'); work(i + j); db.exec('RELEASE s'); } db.exec('COMMIT'); } }
  console.log(mode, ((performance.now() - t0) / N * 1000).toFixed(1), 'us per logical tx');
}
