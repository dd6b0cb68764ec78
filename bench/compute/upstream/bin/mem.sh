#!/bin/bash
# Sum RSS and PSS (kB->MB) per component, from /proc/<pid>/smaps_rollup
sum() { local rss=0 pss=0 n=0; for p in $(pgrep -f "$1"; [ "$1" = @A@/pg ] && pgrep -P "$(pgrep -f 'postgres -D @A@/pg' | head -1)"); do
  [ -r /proc/$p/smaps_rollup ] || continue
  r=$(awk '/^Rss:/{print $2}' /proc/$p/smaps_rollup); s=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup)
  rss=$((rss+r)); pss=$((pss+s)); n=$((n+1)); done
  printf "%-28s procs=%-3d RSS=%6d MB  PSS=%6d MB\n" "$2" $n $((rss/1024)) $((pss/1024)); }
sum '@A@/bin/nova-compute' 'nova-compute (all)'
sum '@A@/bin/nova-conductor' 'nova-conductor'
sum 'bin/nova-scheduler --config-file' 'nova-scheduler'
sum 'uwsgi --ini @A@/etc/nova-api-uwsgi.ini' 'nova-api (uwsgi)'
sum 'bin/nova-(compute|conductor|scheduler) --config-file|uwsgi --ini @A@/etc/nova-api-uwsgi.ini' 'NOVA TOTAL'
sum 'uwsgi --ini etc/placement-uwsgi.ini' 'placement-api (uwsgi)'
sum 'beam.smp.*@A@/rabbit' 'rabbitmq (beam)'
sum @A@/pg 'postgresql (all backends)'
