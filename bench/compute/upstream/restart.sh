#!/bin/bash
# Starts again the upstream stack that run-recipe.sh WORKDIR installed and later stopped (steps 1-4
# and 6 of the recipe, nothing installed or created): its PostgreSQL cluster, RabbitMQ, the
# Glance/Neutron stub, Placement and the Nova services. Run as root. Usage: restart.sh WORKDIR
# stop:    restart.sh WORKDIR stop   (Nova, Placement, stub, RabbitMQ, PostgreSQL)
set -euo pipefail
A=$(realpath "${1:?WORKDIR}"); cd "$A"
if [ "${2:-}" = stop ]; then
  bin/stop-nova.sh || true
  pkill -f "uwsgi --ini etc/placement-uwsgi.ini" || true
  pkill -f "bin/stub.py 19292" || true
  (. rabbit/env.sh; /usr/lib/rabbitmq/bin/rabbitmqctl stop >/dev/null 2>&1) || true
  su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D $A/pg -m fast stop" || true
  exit 0
fi
su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D $A/pg -l $A/logs/pg.log -w start"
(. rabbit/env.sh; setsid /usr/lib/rabbitmq/bin/rabbitmq-server > logs/rabbit.out 2>&1 &)
until ss -ltn | grep -q ':15672 '; do sleep 0.5; done
setsid python3 bin/stub.py 19292 19696 19999 > logs/stub.log 2>&1 &
setsid uwsgi --ini etc/placement-uwsgi.ini > logs/placement-uwsgi.out 2>&1 < /dev/null &
until curl -sf -o /dev/null 127.0.0.1:18778/; do sleep 0.2; done
NCOMP=10 bin/start-nova.sh
