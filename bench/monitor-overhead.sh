#!/usr/bin/env bash
# Overhead of `bulkhead runtime monitor` (root): the same workloads, side by side in one run,
#   none     no sensor;
#   default  the monitor with the upstream falco_rules.yaml (its syscall set: only what the rules
#            and the state need is captured, the rest returns at once in the kernel);
#   all      the monitor with a rule that can match any event type (every syscall of the
#            sensor's table captured and delivered).
# Workloads: `micro`, 1M open("/dev/null")+close in C (bench/openloop.c, every call captured);
# `real`, untar the bookworm rootfs test image and sha256 every file (a realistic, file-heavy
# job). Each (workload, mode) runs REPEAT times (default 3) alternating modes; RESULT lines give
# the median wall time and the overhead against `none`. Then a soak: the monitor with the default
# rules for SOAK seconds (default 600) under a steady load, its RSS sampled every 10 s
# (flat = no growth) and its drop counters read from /metrics. With SWEEP (a list of rates, e.g.
# "50000 100000 200000"), a paced load (bench/rateloop.c: open+close pairs at RATE syscalls/s for
# STEP seconds, default 10) against the monitor with the default rules: per rate, the records the
# kernel produced and userspace received per second and the share dropped (from /metrics) — where
# drops begin and the highest rate delivered without any.
#
# Usage: sudo bench/monitor-overhead.sh   (BULKHEAD=path to the binary, default target/release,
#        built first; SOAK=0 skips the soak, SKIP_OVERHEAD=1 runs the soak (or sweep) only)
set -Eeuo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BH=${BULKHEAD:-$REPO/target/release/bulkhead}
REPEAT=${REPEAT:-3}
SOAK=${SOAK:-600}
RULES="$(realpath "$REPO/../shared/data/falco/rules/falcosecurity-rules/falco_rules.yaml")"
T="${BULKHEAD_TESTDATA:-/var/tmp/bulkhead-testdata}"
[ -n "${BULKHEAD:-}" ] || cargo build --release -q -p bulkhead
[ "$(id -u)" = 0 ] || { echo "monitor-overhead: needs root (the eBPF sensor)" >&2; exit 1; }
[ -f "$T/bookworm.docker.tar" ] || bash scripts/build-test-images.sh bookworm
# Work in memory (tmpfs) when there is one: the real workload measures syscalls, not the disk.
W=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
cc -O2 -o "$W/openloop" bench/openloop.c
cc -O2 -o "$W/rateloop" bench/rateloop.c
# The rootfs as one tarball (the first layer of the docker archive is the debootstrap tree).
tar -C "$T/bookworm.rootfs" -cf "$W/rootfs.tar" . 2>/dev/null || true
printf -- '- rule: everything\n  desc: matches nothing, needs every event type\n  condition: evt.num < 0\n  output: x\n  priority: DEBUG\n' > "$W/all.yaml"

micro() { "$W/openloop" 1000000; }
real() {
  rm -rf "$W/x" && mkdir "$W/x"
  tar -C "$W/x" -xf "$W/rootfs.tar" 2>/dev/null
  find "$W/x" -type f -print0 | xargs -0 -n 200 sha256sum >/dev/null 2>&1 || true
}

start_monitor() { # $1: rules file
  "$BH" runtime monitor -r "$1" -o watch_config_files=false -M 100000 >/dev/null 2>"$W/mon.err" &
  MON=$!
  for _ in $(seq 100); do grep -q "Opening 'syscall' source" "$W/mon.err" 2>/dev/null && return; sleep 0.1; done
  echo "monitor did not start:" >&2; cat "$W/mon.err" >&2; exit 1
}
stop_monitor() { kill -TERM "$MON"; wait "$MON" || true; }

secs() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

[ "${SKIP_OVERHEAD:-0}" = 1 ] || for wl in micro real; do
  declare -A times=()
  for _ in $(seq "$REPEAT"); do
    for mode in none default all; do
      case $mode in
        none) ;;
        default) start_monitor "$RULES" ;;
        all) start_monitor "$W/all.yaml" ;;
      esac
      t=$(secs $wl)
      [ $mode = none ] || stop_monitor
      times[$mode]+="$t "
    done
  done
  base=$(echo ${times[none]} | tr ' ' '\n' | median)
  for mode in none default all; do
    m=$(echo ${times[$mode]} | tr ' ' '\n' | median)
    over=$(echo "scale=1; ($m - $base) * 100 / $base" | bc)
    echo "RESULT workload=$wl mode=$mode median_s=$m runs=\"${times[$mode]% }\" overhead_pct=$over"
  done
  unset times
done

# Sweep: the default rules, a paced load per rate; counters from /metrics before and after.
if [ -n "${SWEEP:-}" ]; then
  PORT=18798
  "$BH" runtime monitor -r "$RULES" -o watch_config_files=false -o webserver.enabled=true \
    -o webserver.listen_port=$PORT -o webserver.listen_address=127.0.0.1 \
    -o webserver.prometheus_metrics_enabled=true -M 100000 >/dev/null 2>"$W/sweep.err" &
  MON=$!
  for _ in $(seq 100); do grep -q "Opening 'syscall' source" "$W/sweep.err" 2>/dev/null && break; sleep 0.1; done
  metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
  STEP=${STEP:-10}
  for rate in $SWEEP; do
    sleep 2
    e0=$(metric falcosecurity_scap_n_evts_total); r0=$(metric falcosecurity_falco_num_evts_total)
    d0=$(metric falcosecurity_scap_n_drops_buffer_total)
    achieved=$("$W/rateloop" "$rate" "$STEP")
    sleep 2 # let userspace drain what is in the ring
    e1=$(metric falcosecurity_scap_n_evts_total); r1=$(metric falcosecurity_falco_num_evts_total)
    d1=$(metric falcosecurity_scap_n_drops_buffer_total)
    produced=$(( (e1 - e0) / STEP )); received=$(( (r1 - r0) / STEP )); dropped=$((d1 - d0))
    pct=$(echo "scale=2; $dropped * 100 / ($e1 - $e0 + 1)" | bc)
    echo "RESULT sweep rate=$rate achieved_syscalls_s=$achieved produced_records_s=$produced received_records_s=$received dropped=$dropped dropped_pct=$pct"
  done
  kill -TERM $MON; wait $MON || true
fi

# Soak: default rules, a steady load (the micro loop, 100k calls every second), RSS every 10 s.
[ "$SOAK" -gt 0 ] || exit 0
PORT=18799
"$BH" runtime monitor -r "$RULES" -o watch_config_files=false -o webserver.enabled=true \
  -o webserver.listen_port=$PORT -o webserver.listen_address=127.0.0.1 \
  -o webserver.prometheus_metrics_enabled=true -M $((SOAK + 5)) >/dev/null 2>"$W/soak.err" &
MON=$!
sleep 3
( end=$((SECONDS + SOAK)); while [ $SECONDS -lt $end ]; do "$W/openloop" 100000; sleep 1; done ) &
LOAD=$!
rss=()
for _ in $(seq $((SOAK / 10))); do
  sleep 10
  rss+=("$(awk '/VmRSS/ {print $2}' /proc/$MON/status)")
done
wait $LOAD || true
metrics=$(curl -s "http://127.0.0.1:$PORT/metrics" || true)
kill -TERM $MON; wait $MON || true
first=${rss[0]}; last=${rss[-1]}; max=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
evts=$(echo "$metrics" | awk '/^falcosecurity_scap_n_evts_total/ {print $2}')
drops=$(echo "$metrics" | awk '/^falcosecurity_scap_n_drops_total/ {print $2}')
echo "RESULT soak_s=$SOAK rss_kib_first=$first rss_kib_last=$last rss_kib_max=$max events=$evts drops=$drops samples=\"${rss[*]}\""
