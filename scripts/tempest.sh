#!/usr/bin/env bash
# Tempest — OpenStack's own API test suite (Debian's `tempest`, 33.0.0) — against a fresh
# `concord up` on SQLite.
#
#   scripts/tempest.sh [SERVICE ...] [-- TEMPEST_RUN_ARGS ...]
#
# SERVICE is a tempest.api package (identity, image, compute, network; default: identity image).
# The script starts concord and a local HTTP server for the image tests' `http_image` (this machine
# has no internet), writes tempest.conf from the cloud's credentials, runs
# `tempest run --regex '^tempest\.api\.(SERVICES)\.'`, prints the totals and exits non-zero when a
# test failed. Tests left out on purpose are in test/tempest/exclude-list.txt, each with its reason.
# TEMPEST_WORKDIR keeps the workspace (logs, tempest.conf, .stestr) somewhere known; default: a
# temporary directory removed at the end unless a test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

services=()
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; extra=("$@"); break ;;
    identity|image|compute|network) services+=("$1"); shift ;;
    *) echo "usage: $0 [identity|image|compute|network ...] [-- tempest run args]" >&2; exit 2 ;;
  esac
done
[ ${#services[@]} -gt 0 ] || services=(identity image)
has() { local s; for s in "${services[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

command -v tempest >/dev/null || { echo "tempest is not installed (apt-get install tempest)" >&2; exit 1; }
[ -f dist/cli/index.js ] || { echo "concord is not built (npm run build)" >&2; exit 1; }

WORK=${TEMPEST_WORKDIR:-$(mktemp -d /tmp/concord-tempest.XXXXXX)}
mkdir -p "$WORK"
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PORT=$(free_port)
IMAGE_PORT=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Keystone's [security_compliance] as tempest.conf describes it below (the identity tests check
# lockout and password history against these numbers).
LOCKOUT_ATTEMPTS=2 LOCKOUT_DURATION=5 UNIQUE_PASSWORDS=2
# The scheduler's filters: concord's default and the two that make the same_host and
# different_host hints count; tempest.conf's scheduler_enabled_filters says the same below.
FILTERS=ComputeFilter,AvailabilityZoneFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,SameHostFilter,DifferentHostFilter
# This run's configuration. The image tests' web-download source is the local HTTP server below, on
# the loopback and an unprivileged port, which the production defaults of [import_filtering_opts]
# refuse: for this cloud only, the loopback leaves the disallowed hosts (the others stay) and that
# port joins the allowed ones (any host stays allowed, as tests also import from names that do
# not resolve and expect the import, not the request, to fail). The fake driver's snapshots take 2 s:
# long enough that a second createImage always finds the first one under way, as
# ImagesOneServerNegativeTestJSON.test_create_second_image_when_first_image_is_being_saved needs
# (the request comes within milliseconds of the first's answer), short enough that the sixteen or
# so snapshots of the compute tests add about half a minute in all.
cat >"$WORK/concord.conf" <<EOF
[filter_scheduler]
enabled_filters = $FILTERS

[import_filtering_opts]
disallowed_hosts = 0.0.0.0/8, ::, 169.254.0.0/16, fe80::/10
allowed_ports = 80, 443, $IMAGE_PORT

[fake_driver]
snapshot_delay = 2

[security_compliance]
lockout_failure_attempts = $LOCKOUT_ATTEMPTS
lockout_duration = $LOCKOUT_DURATION
unique_last_password_count = $UNIQUE_PASSWORDS
EOF

echo "== concord up on port $PORT (workspace $WORK)"
rm -rf "$WORK/data"
bin/concord.js up --data-dir "$WORK/data" --config "$WORK/concord.conf" --port "$PORT" --host 127.0.0.1 \
  >"$WORK/concord.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$WORK/concord.log" >&2; echo "concord up exited" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/" >/dev/null || { echo "concord did not answer" >&2; exit 1; }

# The image tests' web-download source: a small file served locally.
mkdir -p "$WORK/http"
head -c 1048576 /dev/urandom >"$WORK/http/image.raw"
python3 -m http.server "$IMAGE_PORT" --bind 127.0.0.1 --directory "$WORK/http" >"$WORK/http.log" 2>&1 &
pids+=($!)

ADMIN_PASSWORD=$(node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')).admin_password)" \
  "$WORK/data/credentials.json")
bool() { if has "$1"; then echo true; else echo false; fi; }

# Compute's tempest.conf names two images and two flavors it boots servers from: made here through
# the cloud's own APIs as the admin (two small raw images uploaded to Glance, public; two flavors).
compute_conf=
if has compute; then
  api() { # METHOD PATH [curl args...]: the answer's body; fails on an HTTP error
    local method=$1 path=$2; shift 2
    curl -fsS -X "$method" -H "X-Auth-Token: $TOKEN" "http://127.0.0.1:$PORT$path" "$@"
  }
  json_field() { node -e "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>console.log(eval('JSON.parse(d).'+process.argv[1])))" "$1"; }
  TOKEN=$(curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
    "http://127.0.0.1:$PORT/identity/v3/auth/tokens" -d @- <<JSON | tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p'
{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
 "domain": {"id": "default"}, "password": "$ADMIN_PASSWORD"}}},
 "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
JSON
  )
  head -c 1048576 /dev/urandom >"$WORK/http/guest.raw"
  make_image() { # NAME: a public raw image with data, active; prints its id
    local id
    id=$(api POST /image/v2/images -H 'Content-Type: application/json' \
      -d "{\"name\": \"$1\", \"disk_format\": \"raw\", \"container_format\": \"bare\", \"visibility\": \"public\"}" | json_field id)
    api PUT "/image/v2/images/$id/file" -H 'Content-Type: application/octet-stream' \
      --data-binary @"$WORK/http/guest.raw" >/dev/null
    echo "$id"
  }
  make_flavor() { # NAME RAM VCPUS DISK: prints its id
    api POST /compute/v2.1/flavors -H 'Content-Type: application/json' \
      -d "{\"flavor\": {\"name\": \"$1\", \"ram\": $2, \"vcpus\": $3, \"disk\": $4}}" | json_field flavor.id
  }
  IMAGE_REF=$(make_image tempest-guest)
  IMAGE_REF_ALT=$(make_image tempest-guest-alt)
  FLAVOR_REF=$(make_flavor tempest-nano 128 1 1)
  FLAVOR_REF_ALT=$(make_flavor tempest-micro 192 1 2)
  echo "== compute: images $IMAGE_REF $IMAGE_REF_ALT, flavors $FLAVOR_REF $FLAVOR_REF_ALT"
  compute_conf="
[compute]
image_ref = $IMAGE_REF
image_ref_alt = $IMAGE_REF_ALT
flavor_ref = $FLAVOR_REF
flavor_ref_alt = $FLAVOR_REF_ALT
region = RegionOne
min_microversion = 2.1
max_microversion = 2.93
build_interval = 1
build_timeout = 60
min_compute_nodes = 2
hypervisor_type = fake

[compute-feature-enabled]
resize = true
snapshot = true
cold_migration = true
live_migration = true
block_migration_for_live_migration = true
volume_backed_live_migration = false
shelve = true
shelve_migrate = true
rescue = true
stable_rescue = true
console_output = true
vnc_console = false
spice_console = false
rdp_console = false
serial_console = false
interface_attach = false
attach_encrypted_volume = false
swap_volume = false
volume_multiattach = false
metadata_service = false
config_drive = false
change_password = true
enable_instance_password = true
personality = false
pause = true
suspend = true
disk_config = true
ide_bus = true
xenapi_apis = false
unified_limits = false
scheduler_enabled_filters = $FILTERS
"
  # Nova's floating IP API is a proxy to Neutron's; without a network service no network API
  # extension is there either (tempest's default, all, would have the trunk tests run).
  has network || compute_conf+="
[network-feature-enabled]
floating_ips = false
api_extensions =
"
fi

rm -rf "$WORK/tempest" "$WORK/workspace.yaml"
# A workspace registry of its own: tempest refuses a second workspace of the same name in the
# shared ~/.tempest/workspace.yaml.
# (From the workspace: tempest init logs to tempest.log in the current directory.)
(cd "$WORK" && tempest init --workspace-path "$WORK/workspace.yaml" "$WORK/tempest" >/dev/null)
cat >"$WORK/tempest/etc/tempest.conf" <<EOF
[DEFAULT]
log_file = tempest.log

[auth]
use_dynamic_credentials = true
admin_username = admin
admin_password = $ADMIN_PASSWORD
admin_project_name = admin
admin_domain_name = Default
admin_user_domain_name = Default
admin_project_domain_name = Default
tempest_roles = member

[identity]
uri_v3 = http://127.0.0.1:$PORT/identity/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public
admin_role = admin
default_domain_id = default
user_lockout_failure_attempts = $LOCKOUT_ATTEMPTS
user_lockout_duration = $LOCKOUT_DURATION
user_unique_last_password_count = $UNIQUE_PASSWORDS

[identity-feature-enabled]
api_v2 = false
api_v2_admin = false
api_v3 = true
trust = true
domain_specific_drivers = false
security_compliance = true
project_tags = true
application_credentials = true
access_rules = true

[service_available]
glance = $(if has image || has compute; then echo true; else echo false; fi)
nova = $(bool compute)
neutron = $(bool network)
cinder = false
swift = false
horizon = false

[image]
http_image = http://127.0.0.1:$IMAGE_PORT/image.raw
container_formats = bare,ami,ari,aki,ovf,ova,docker,compressed
disk_formats = ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop

[image-feature-enabled]
api_v1 = false
api_v2 = true
import_image = true
os_glance_reserved = true
manage_locations = false

[validation]
run_validation = false
$compute_conf
EOF

regex="^tempest\\.api\\.($(IFS='|'; echo "${services[*]}"))\\."
echo "== tempest run --regex '$regex'"
status=0
(cd "$WORK/tempest" && tempest run --regex "$regex" --concurrency "${TEMPEST_CONCURRENCY:-2}" \
  --exclude-list "$ROOT/test/tempest/exclude-list.txt" "${extra[@]}") >"$WORK/tempest-run.log" 2>&1 || status=$?

# The failures in full, then tempest's own totals.
grep -E '^\{[0-9]+\} .* \.\.\. FAILED' "$WORK/tempest-run.log" || true
sed -n '/^Totals$/,$p' "$WORK/tempest-run.log"
if [ $status -ne 0 ]; then
  echo "tempest failed (exit $status); workspace kept in $WORK (tempest-run.log, concord.log, tempest/tempest.log)" >&2
  trap - EXIT; cleanup
  exit $status
fi
[ -n "${TEMPEST_WORKDIR:-}" ] || rm -rf "$WORK"
