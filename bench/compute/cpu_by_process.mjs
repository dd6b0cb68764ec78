#!/usr/bin/env node
// node bench/compute/cpu_by_process.mjs OUT.json — the CPU time (user + system) the benchmark's
// processes use from its start until SIGTERM, summed by kind: concord (concord up), fleet (its
// fake hypervisors' processes), client (client.mjs), and PostgreSQL's by role (pg:backend, the
// sessions; pg:walwriter, pg:autovacuum ...). It looks at /proc every half second; a process first
// seen then counts from that look (a backend started between two looks loses at most half a
// second). concord.sh runs it over a scenario when CPU_BY_PROCESS=FILE.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
/** Clock ticks a second (CLK_TCK), 100 on Linux. */
const hz = 100;
const seen = new Map();
const kind = (pid) => {
  try {
    const c = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (c.startsWith('postgres')) {
      const m = c.match(/^postgres: (autovacuum|walwriter|checkpointer|background writer|logical|wal)/);
      return m ? 'pg:' + m[1] : c.startsWith('postgres: ') ? 'pg:backend' : 'pg:postmaster';
    }
    if (c.includes('agent compute')) return 'fleet';
    if (c.includes('concord.js up')) return 'concord';
    if (c.includes('client.mjs')) return 'client';
    return null;
  } catch {
    return null;
  }
};
const tick = () => {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let s;
    try {
      s = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / hz;
    let e = seen.get(d);
    if (!e) {
      const k = kind(d);
      if (!k) {
        seen.set(d, { k: null });
        continue;
      }
      e = { k, first: cpu, last: cpu };
      seen.set(d, e);
    }
    if (e.k) e.last = cpu;
  }
};
const t = setInterval(tick, 500);
tick();
const done = () => {
  clearInterval(t);
  const tot = {};
  for (const e of seen.values()) if (e.k) tot[e.k] = (tot[e.k] ?? 0) + (e.last - e.first);
  writeFileSync(process.argv[2], JSON.stringify(tot));
  process.exit(0);
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
