#!/usr/bin/env bash
# bench/compute/upstream.sh WORKDIR OUT: the `compare` scenario of concord.sh against the upstream
# Nova that upstream/run-recipe.sh WORKDIR started (noauth2, the stub's image), with the same
# client.mjs; one JSON line per step appended to OUT, the last one the Nova processes' memory
# (upstream/bin/mem.sh: RSS and PSS per component).
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$(realpath "${1:?WORKDIR}"); OUT=$(realpath -m "${2:?out.jsonl}")
export COMPUTE_URL=http://127.0.0.1:18774/v2.1 AUTH_TOKEN=admin:admin PROJECT_ID=admin
export IMAGE_ID=11111111-2222-3333-4444-555555555555
record() { # record STEP JSON
  node -e 'const [step, j] = process.argv.slice(1);
    console.log(JSON.stringify({ step, engine: "upstream", hypervisors: 10, at: new Date().toISOString(), ...JSON.parse(j) }))' \
    "$1" "$2" | tee -a "$OUT"
}
mem() { bash "$A/bin/mem.sh" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const o={};
  for (const l of d.trim().split("\n")) { const m=l.match(/^(.*?)\s+procs=(\d+)\s+RSS=\s*(\d+) MB\s+PSS=\s*(\d+) MB/); if (m) o[m[1]]={procs:+m[2],rss_mb:+m[3],pss_mb:+m[4]}; }
  console.log(JSON.stringify({memory:o}))})'; }
C="node bench/compute/client.mjs"
# upstream on a busy 2-core machine may not finish 200 boots in a sitting: report it after LIMIT_S
export LIMIT_S=${LIMIT_S:-1500}
$C delete >/dev/null
record single "$($C single 10 0.01)"; $C delete >/dev/null
record boot "$($C boot 200 10 u200 0.5)"
record detail "$($C detail 20 1)"
record detail4 "$($C detail 20 4)"
record memory "$(mem)"
record delete "$($C delete)"
