#!/usr/bin/env bash
# bench/compute/concord.sh sqlite|postgresql HYPERVISORS OUT SCENARIO
# Starts `concord up` with [compute] fake_hypervisors = HYPERVISORS (Nova's fake sizes: 1000 vCPU,
# 800000 MB, 600000 GB each) on a fresh data dir — SQLite files, or one fresh database in a private
# PostgreSQL cluster (fsync on) — then drives it with client.mjs, the client that drives upstream
# Nova too, and appends one JSON line per step to OUT (a .jsonl file). SCENARIO:
#   compare   the side-by-side set: 10 single boots, 200 boots at concurrency 10 (poll 0.5 s),
#             GET /servers/detail of those 200 (20 one at a time, 20 four at a time)
#   targets   issue 9's: 20 single boots (poll 5 ms), 200 boots at concurrency 50 and their detail,
#             then 5,000 boots (BIG_N) at concurrency 50 (poll 1 s)
#   boot:N:C  N boots at concurrency C (poll 1 s) alone, to profile
#   single:N  N boots one at a time (poll 5 ms) alone, to profile one boot's path
#   detail    200 boots, then 200 GET /servers/detail one at a time, to profile
#   idle:S    nothing for S seconds: what the idle cloud costs (its periodic tasks)
# Every line carries the memory of concord's processes then and the CPU time they have used (see mem).
# FLEET_PROCESSES=N runs the fake hypervisors in N processes of their own ([compute]
# fake_hypervisor_processes; default 0, in concord up's process). KEEP_LOG=FILE keeps concord up's
# log (a line per request) there. EXTRA_CONF is appended to its configuration file (options to try).
# Quotas are unlimited, as in the upstream recipe. Extra CONCORD_* variables pass through; NODE_OPTS
# are given to node (--cpu-prof --cpu-prof-dir=DIR to see where the time goes). PG_STATEMENTS=FILE
# (PostgreSQL) loads pg_stat_statements and writes its view there as JSON when the run ends;
# PG_OPTS are more options for that PostgreSQL (-c name=value ...). CPU_BY_PROCESS=FILE writes
# there the CPU each kind of process (concord, fleet, client, PostgreSQL's) used during the scenario
# (cpu_by_process.mjs). POLL_CHANGES=1 has the boot poller ask only for changed servers (client.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
ENGINE=${1:?sqlite or postgresql}; HV=${2:?hypervisors}; OUT=$(realpath -m "${3:?out.jsonl}"); SCENARIO=${4:-compare}
DIR=$(mktemp -d /tmp/concord-bench-compute.XXXXXX); chmod 755 "$DIR"
CONCORD_PID=""
cleanup() {
  [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true
  [ -n "$CONCORD_PID" ] && kill "$CONCORD_PID" 2>/dev/null && wait "$CONCORD_PID" 2>/dev/null || true
  if [ -n "${PG_STATEMENTS:-}" ] && [ -n "${PGBIN:-}" ]; then
    ${AS_PG} "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -XAt -c "select coalesce(json_agg(s order by total_exec_time desc), '[]') from (select calls, rows, total_exec_time, total_plan_time, shared_blks_hit, shared_blks_read, query from pg_stat_statements) s" > "$PG_STATEMENTS" || true
  fi
  [ -n "${PGBIN:-}" ] && ${AS_PG} "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true
  [ -n "${KEEP_LOG:-}" ] && cp "$DIR/concord.log" "$KEEP_LOG"; rm -rf "$DIR"
}
trap cleanup EXIT
freeport() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

DBARGS=()
if [ "$ENGINE" = postgresql ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  AS_PG=""; [ "$(id -u)" = 0 ] && AS_PG="runuser -u postgres --"
  mkdir "$DIR/pg"; chmod 777 "$DIR"; if [ -n "$AS_PG" ]; then chown postgres "$DIR/pg"; fi
  PGPORT=$(freeport)
  ${AS_PG} "$PGBIN/initdb" -A trust -U postgres -D "$DIR/pg" >/dev/null
  ${AS_PG} "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w \
    -o "-p $PGPORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_OPTS:-}${PG_STATEMENTS:+ -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on}" start >/dev/null
  DBARGS=(--database-url "postgresql://postgres@127.0.0.1:$PGPORT/postgres")
  # PG_SOCKET=1: through the server's Unix socket, as a cloud on one machine would be configured.
  [ -n "${PG_SOCKET:-}" ] && DBARGS=(--database-url "postgresql://postgres@/postgres?host=$DIR&port=$PGPORT")
  if [ -n "${PG_STATEMENTS:-}" ]; then
    ${AS_PG} "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -Xq -c 'create extension pg_stat_statements'
  fi
fi

mkdir -p "$DIR/data"
cat > "$DIR/data/concord.conf" <<EOF
[compute]
fake_hypervisors = $HV
fake_hypervisor_processes = ${FLEET_PROCESSES:-0}
[quota]
instances = -1
cores = -1
ram = -1
${EXTRA_CONF:-}
EOF
PORT=$(freeport); BASE=http://127.0.0.1:$PORT
T0=$(date +%s.%N)
HOME=$DIR node --no-deprecation ${NODE_OPTS:-} bin/concord.js up --data-dir "$DIR/data" --port "$PORT" "${DBARGS[@]}" \
  >"$DIR/concord.log" 2>&1 &
CONCORD_PID=$!

# Memory, and the CPU time used so far (user + system, seconds) by concord up and by its fleet's
# processes, if any (FLEET_PROCESSES): the difference between two steps over their boots is CPU per
# boot, which the machine's other load hardly moves. rss_mb and hwm_mb (the peak so far) are summed
# over the processes, cpu_s too; main_cpu_s is concord up's own.
mem() {
  local pids="$CONCORD_PID $(pgrep -P "$CONCORD_PID" | tr '\n' ' ')"
  local hz; hz=$(getconf CLK_TCK)
  local p rss=0 hwm=0 cpu=0 main=0 c
  for p in $pids; do
    [ -r /proc/$p/stat ] || continue
    c=$(awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' /proc/$p/stat)
    [ "$p" = "$CONCORD_PID" ] && main=$c
    cpu=$(echo "$cpu + $c" | bc)
    rss=$((rss + $(awk '/^VmRSS/{print $2}' /proc/$p/status)))
    hwm=$((hwm + $(awk '/^VmHWM/{print $2}' /proc/$p/status)))
  done
  printf '{"rss_mb":%d,"hwm_mb":%d,"cpu_s":%s,"main_cpu_s":%s,"processes":%d}' $((rss / 1024)) $((hwm / 1024)) "$cpu" "$main" $(echo $pids | wc -w)
}
record() { # record STEP JSON
  node -e 'const [step, engine, hv, j, m] = process.argv.slice(1);
    console.log(JSON.stringify({ step, engine, hypervisors: +hv, at: new Date().toISOString(), ...JSON.parse(j), ...JSON.parse(m) }))' \
    "$1" "$ENGINE" "$HV" "$2" "$(mem)" | tee -a "$OUT"
}

until curl -sf -o /dev/null "$BASE/identity/v3"; do kill -0 $CONCORD_PID; sleep 0.2; done
PASSWORD=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$DIR/data/credentials.json')).admin_password)")
export AUTH_TOKEN=$(curl -si "$BASE/identity/v3/auth/tokens" -H 'content-type: application/json' -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
  | awk 'tolower($1)=="x-subject-token:"{print $2}' | tr -d '\r')
export COMPUTE_URL=$BASE/compute/v2.1
H=(-H "x-auth-token: $AUTH_TOKEN" -H 'content-type: application/json')
# ready = every hypervisor listed, up, with its resource provider
until [ "$(curl -s "${H[@]}" "$COMPUTE_URL/os-services?binary=nova-compute" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).services.filter(s=>s.state==="up").length))')" -ge "$HV" ] \
   && [ "$(curl -s "${H[@]}" -H 'openstack-api-version: placement 1.20' "$BASE/placement/resource_providers" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).resource_providers.length))')" -ge "$HV" ]; do
  sleep 0.5
done
record ready "{\"ready_s\":$(echo "$(date +%s.%N) - $T0" | bc)}"
# The statements of the scenario only, not those of the start.
if [ -n "${PG_STATEMENTS:-}" ]; then ${AS_PG} "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -XAtq -c 'select pg_stat_statements_reset()' >/dev/null; fi
export IMAGE_ID=$(curl -s "${H[@]}" "$BASE/image/v2/images?name=cirros-0.6.2-x86_64-disk" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).images[0].id))')
curl -sf -o /dev/null "${H[@]}" -X POST "$COMPUTE_URL/flavors" \
  -d '{"flavor":{"name":"vm-tiny","id":"vm-tiny","vcpus":1,"ram":1024,"disk":1}}'

C="node bench/compute/client.mjs"
SAMPLER=""
if [ -n "${CPU_BY_PROCESS:-}" ]; then node bench/compute/cpu_by_process.mjs "$CPU_BY_PROCESS" & SAMPLER=$!; fi
case "$SCENARIO" in
  compare)
    record single "$($C single 10 0.01)"; $C delete >/dev/null
    record boot "$($C boot 200 10 c200 0.5)"
    record detail "$($C detail 20 1)"
    record detail4 "$($C detail 20 4)"
    record delete "$($C delete)" ;;
  targets)
    record single "$($C single 20 0.005)"; $C delete >/dev/null
    record boot200 "$($C boot 200 50 t200 0.5)"
    record detail "$($C detail 20 1)"
    $C delete >/dev/null
    record "boot${BIG_N:-5000}" "$($C boot "${BIG_N:-5000}" 50 t5000 1)" ;;
  detail)
    record boot "$($C boot 200 10 d200 0.5)"
    record detail "$($C detail 200 1)" ;;
  single:*)
    record single "$($C single "${SCENARIO#single:}" 0.005)" ;;
  idle:*)
    sleep "${SCENARIO#idle:}"; record idle "{\"idle_s\":${SCENARIO#idle:}}" ;;
  boot:*:*)
    IFS=: read -r _ N CONC <<<"$SCENARIO"
    record boot "$($C boot "$N" "$CONC" b$N 1)" ;;
  *) echo "unknown scenario $SCENARIO" >&2; exit 2 ;;
esac
if [ -n "$SAMPLER" ]; then kill "$SAMPLER"; wait "$SAMPLER" || true; SAMPLER=""; fi
