#!/usr/bin/env node
// node bench/compute/cpu_by_process.mjs OUT.json — the CPU time (user + system) the benchmark's
// processes use from its start until SIGTERM, summed by kind: concord (concord up), fleet (its
// fake hypervisors' processes), client (client.mjs), and PostgreSQL's by role (pg:backend, the
// sessions; pg:walwriter, pg:autovacuum ...). It looks at /proc every half second; a process first
// seen then counts from that look (a backend started between two looks loses at most half a
// second). Each kind's system time is also given on its own ("concord (system)": the kernel's
// share, which round trips on sockets drive), and its voluntary context switches ("concord
// (waits)": how often its processes waited, for a PostgreSQL session about once a round trip —
// a count the machine's noise leaves alone, where CPU time moves with it). concord.sh runs it over a scenario when
// CPU_BY_PROCESS=FILE.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const OUT = process.argv[2] ?? '';
if (!OUT) {
  console.error('usage: cpu_by_process.mjs OUT.json');
  process.exit(2);
}
/** Clock ticks a second (CLK_TCK), 100 on Linux. */
const HZ = 100;

/** What a process is, from its command line; null for the processes not counted.
 * @param {string} pid @returns {string | null} */
function kindOf(pid) {
  let cmd;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null; // gone
  }
  if (cmd.startsWith('postgres: ')) {
    const role = /^postgres: (autovacuum|walwriter|checkpointer|background writer|logical)/.exec(cmd);
    return role ? `pg:${role[1]}` : 'pg:backend';
  }
  if (cmd.startsWith('postgres')) return 'pg:postmaster';
  if (cmd.includes('agent compute')) return 'fleet';
  if (cmd.includes('concord.js up')) return 'concord';
  if (cmd.includes('client.mjs')) return 'client';
  return null;
}

/** Each process looked at: its kind, and its CPU and system seconds and its voluntary context
 * switches when first and last seen.
 * @type {Map<string, {kind: string | null, first: number, last: number, firstSys: number, lastSys: number, firstWaits: number, lastWaits: number}>} */
const seen = new Map();

function look() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // utime and stime, the 14th and 15th fields; the command (2nd) may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const sys = Number(fields[12]) / HZ;
    const cpu = Number(fields[11]) / HZ + sys;
    const waits = voluntarySwitches(pid);
    let p = seen.get(pid);
    if (!p) {
      p = {
        kind: kindOf(pid),
        first: cpu,
        last: cpu,
        firstSys: sys,
        lastSys: sys,
        firstWaits: waits,
        lastWaits: waits,
      };
      seen.set(pid, p);
    }
    p.last = cpu;
    p.lastSys = sys;
    p.lastWaits = waits;
  }
}

/** @param {string} pid @returns {number} */
function voluntarySwitches(pid) {
  try {
    return Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const timer = setInterval(look, 500);
look();
function done() {
  clearInterval(timer);
  /** @type {Record<string, number>} */
  const total = {};
  for (const p of seen.values()) {
    if (!p.kind) continue;
    total[p.kind] = (total[p.kind] ?? 0) + (p.last - p.first);
    total[`${p.kind} (system)`] = (total[`${p.kind} (system)`] ?? 0) + (p.lastSys - p.firstSys);
    total[`${p.kind} (waits)`] = (total[`${p.kind} (waits)`] ?? 0) + (p.lastWaits - p.firstWaits);
  }
  writeFileSync(OUT, JSON.stringify(total));
  process.exit(0);
}
process.on('SIGTERM', done);
process.on('SIGINT', done);
