#!/bin/bash
# Starts upstream Nova (Zed, Debian 12's python3-nova 26.2.2) with the fake driver for the side-by-side
# compute benchmark. Run as root. This is the anchor's recipe (../shared/bench/compute/upstream-nova,
# written from the run that gave the upstream figures of issue 9), adjusted where it did not run as
# written on a fresh machine. Changed from the anchor's: uwsgi-core, uwsgi-plugin-python3,
# python3-placement and python3-psycopg2 installed too (they were not on the machine); bin/mem.sh and
# bin/cpu.sh count this WORKDIR's processes and cluster only (the anchor's matched every "postgres: "
# backend on the machine, and a WORKDIR named nova-anchor); the measurement (step 7) is not here:
# ../upstream.sh drives the running stack with client.mjs, as concord.sh drives concord.
set -e
# Usage: run-recipe.sh WORKDIR — lays this folder out in WORKDIR (a scratch directory) and runs there.
A=${1:?usage: run-recipe.sh WORKDIR}; mkdir -p "$A"; A=$(cd "$A" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$A/rabbit"; cp -r "$HERE/bin" "$HERE/etc" "$HERE/shim" "$A/"; cp "$HERE/etc/rabbit-env.sh" "$A/rabbit/env.sh"
grep -rl @A@ "$A/bin" "$A/etc" "$A/shim" "$A/rabbit" | xargs sed -i "s#@A@#$A#g"
cd "$A"
# 0. packages (with a policy-rc.d that exits 101, postinst starts no services)
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-nova rabbitmq-server python3-osprofiler \
  uwsgi-core uwsgi-plugin-python3 python3-placement python3-psycopg2
#    service-wrapper scripts + api-paste.ini come from the (not installed) nova-* debs:
mkdir -p debs ex bin etc logs state/instances state/lock shim
(cd debs && apt-get download nova-common nova-api nova-conductor nova-scheduler nova-compute && for f in *.deb; do dpkg-deb -x $f ../ex; done)
cp ex/usr/bin/nova-* bin/
# 1. private PostgreSQL 15 cluster on 127.0.0.1:15440
mkdir -p pg pgsock; chown postgres:postgres pg pgsock; chmod 700 pg
su postgres -c "/usr/lib/postgresql/15/bin/initdb -D $A/pg -A trust -U postgres"
printf "port = 15440\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '$A/pgsock'\nmax_connections = 400\nshared_buffers = 256MB\n" >> pg/postgresql.conf
touch logs/pg.log; chown postgres logs/pg.log
su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D $A/pg -l $A/logs/pg.log -w start"
for db in nova_api nova nova_cell0 placement; do psql -h 127.0.0.1 -p 15440 -U postgres -c "CREATE DATABASE $db"; done
# 2. private RabbitMQ 3.10.8 on 127.0.0.1:15672 (env in rabbit/env.sh, see report)
mkdir -p rabbit/mnesia rabbit/log; echo '[].' > rabbit/enabled_plugins; echo 'loopback_users = none' > rabbit/rabbitmq.conf
(. rabbit/env.sh; setsid /usr/lib/rabbitmq/bin/rabbitmq-server > logs/rabbit.out 2>&1 &)
until ss -ltn | grep -q ':15672 '; do sleep 0.5; done
# 3. Glance/Neutron stub (19292 glance, 19696 neutron, 19999 request counters)
setsid python3 bin/stub.py 19292 19696 19999 > logs/stub.log 2>&1 &
# 4. placement (uwsgi, noauth2)
OS_PLACEMENT_CONFIG_DIR=$A/etc/placement placement-manage --config-file etc/placement/placement.conf db sync
setsid uwsgi --ini etc/placement-uwsgi.ini > logs/placement-uwsgi.out 2>&1 < /dev/null &
until curl -sf -o /dev/null 127.0.0.1:18778/; do sleep 0.2; done
# 5. nova DBs + cells
NM="/usr/bin/python3 -c 'import sys; from nova.cmd.manage import main; sys.exit(main())' --config-file $A/etc/nova.conf"
eval $NM api_db sync
eval $NM cell_v2 map_cell0 --database_connection postgresql+psycopg2://postgres@127.0.0.1:15440/nova_cell0
eval $NM cell_v2 create_cell --name cell1 --verbose
eval $NM db sync
for i in $(seq -w 1 10); do printf '[DEFAULT]\nhost = fake-%s\n' $i > etc/compute-$i.conf; done
# 6. nova services (conductor, scheduler, api under uwsgi, 10x nova-compute) + discover_hosts
NCOMP=10 bin/start-nova.sh
# 7. the benchmark's flavor
curl -s -H 'X-Auth-Token: admin:admin' -H 'X-Auth-Project-Id: admin' -H 'Content-Type: application/json' \
  -X POST http://127.0.0.1:18774/v2.1/flavors -d '{"flavor":{"name":"vm-tiny","id":"vm-tiny","vcpus":1,"ram":1024,"disk":1}}'
