#!/bin/bash
# print "name ticks" for each component (utime+stime of live processes)
t() { local s=0; for p in $(pgrep -f "$1"; [ "$1" = @A@/pg ] && pgrep -P "$(pgrep -f 'postgres -D @A@/pg' | head -1)"); do v=$(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null); s=$((s+${v:-0})); done; echo "$2 $s"; }
t '@A@/bin/nova-compute' nova-compute
t '@A@/bin/nova-conductor' nova-conductor
t 'bin/nova-scheduler --config-file' nova-scheduler
t 'uwsgi --ini @A@/etc/nova-api-uwsgi.ini' nova-api
t 'uwsgi --ini etc/placement-uwsgi.ini' placement
t 'beam.smp.*@A@/rabbit' rabbitmq
t @A@/pg postgresql
t 'bin/stub.py' glance+neutron-stub
