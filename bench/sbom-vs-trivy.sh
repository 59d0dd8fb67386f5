#!/usr/bin/env bash
# Side-by-side benchmark: cold SBOM generation, Bulkhead vs Trivy, on a real image archive.
#
# Usage: bench/sbom-vs-trivy.sh [-n RUNS] [-i IMAGE] [--bulkhead BIN] [--trivy BIN] [--trivy-only]
#   -n RUNS       timed runs per tool (default 7), interleaved (A B, B A, A B, ...) after one untimed
#                 warm-up run each (so that the archive is in the page cache for both)
#   -i IMAGE      image archive (default $BULKHEAD_TESTDATA/bookworm.docker.tar, built on demand by
#                 scripts/build-test-images.sh bookworm)
#   --bulkhead    our binary (default target/release/bulkhead; build: cargo build --release -p bulkhead)
#   --trivy       Trivy binary (default: scripts/trivy-path.sh; installed by scripts/install-peers.sh)
#   --trivy-only  measure Trivy alone (baseline while bulkhead is not built)
#
# Commands measured (each run writes a fresh output file in a temp dir, checked to be a CycloneDX JSON):
#   trivy image --quiet --offline-scan --skip-db-update --skip-java-db-update --input IMAGE
#         --format cyclonedx --cache-dir <new empty dir per run> -o OUT
#   bulkhead sbom IMAGE --format cyclonedx --no-cache -o OUT
# (Trivy's "--format cyclonedx" disables vulnerability scanning, so no DB is needed; the offline flags only
#  guarantee that nothing touches the network.)
# Peak RSS is /usr/bin/time's %M (max RSS of the process, or of its largest waited-for child);
# wall time is taken with nanosecond clock around the /usr/bin/time call (its %e only has 10 ms resolution).
# The last line is machine-readable: RESULT key=value ...
set -Eeuo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TESTDATA="${BULKHEAD_TESTDATA:-/var/tmp/bulkhead-testdata}"
RUNS=7; IMAGE=""; BH="$REPO/target/release/bulkhead"; TRIVY=""; TRIVY_ONLY=0

die() { echo "sbom-vs-trivy: ERROR: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    -i) IMAGE="$2"; shift 2 ;;
    --bulkhead) BH="$2"; shift 2 ;;
    --trivy) TRIVY="$2"; shift 2 ;;
    --trivy-only) TRIVY_ONLY=1; shift ;;
    -h|--help) sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer"

if [ ! -x /usr/bin/time ]; then
  echo "sbom-vs-trivy: installing GNU time" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
if [ -z "$IMAGE" ]; then
  IMAGE="$TESTDATA/bookworm.docker.tar"
  [ -f "$IMAGE" ] || "$REPO/scripts/build-test-images.sh" bookworm
fi
[ -e "$IMAGE" ] || die "image $IMAGE not found (scripts/build-test-images.sh builds the test images)"
if [ -z "$TRIVY" ]; then
  TRIVY="$("$REPO/scripts/trivy-path.sh" 2>/dev/null)" || TRIVY="$("$REPO/scripts/install-peers.sh" | tail -n 1)"
fi
[ -x "$TRIVY" ] || die "Trivy not executable: $TRIVY"
if [ "$TRIVY_ONLY" = 0 ] && [ ! -x "$BH" ]; then
  die "$BH not found: cargo build --release -p bulkhead (or --bulkhead BIN, or --trivy-only)"
fi

TMP="$(mktemp -d /tmp/sbom-vs-trivy.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

# measure NAME -> appends "wall_s rss_kb" to $TMP/NAME.times; fails loudly if the tool fails.
measure() {
  local name="$1" out="$TMP/$1.out.json" cache="" t0 t1 rss rc=0
  rm -f "$out"
  case "$name" in
    trivy)
      cache="$(mktemp -d "$TMP/trivy-cache.XXXXXX")"
      set -- "$TRIVY" image --quiet --offline-scan --skip-db-update --skip-java-db-update \
        --input "$IMAGE" --format cyclonedx --cache-dir "$cache" -o "$out" ;;
    bulkhead)
      set -- "$BH" sbom "$IMAGE" --format cyclonedx --no-cache -o "$out" ;;
  esac
  t0="$(date +%s%N)"
  /usr/bin/time -f '%e %M' -o "$TMP/time.txt" "$@" > "$TMP/$name.stdout" 2> "$TMP/$name.stderr" || rc=$?
  t1="$(date +%s%N)"
  [ -n "$cache" ] && rm -rf "$cache"
  if [ "$rc" != 0 ]; then
    tail -n 20 "$TMP/$name.stderr" >&2; die "$name exited $rc: $*"
  fi
  grep -q '"bomFormat" *: *"CycloneDX"' "$out" 2>/dev/null || die "$name wrote no CycloneDX JSON to $out"
  rss="$(awk 'NF==2{print $2}' "$TMP/time.txt" | tail -n 1)"
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}') $rss" >> "$TMP/$name.times"
}

median() { sort -n | awk '{a[NR]=$1} END{ if (NR%2) printf "%.3f", a[(NR+1)/2]; else printf "%.3f", (a[NR/2]+a[NR/2+1])/2 }'; }

TOOLS=(trivy); [ "$TRIVY_ONLY" = 1 ] || TOOLS=(bulkhead trivy)
echo "image:    $IMAGE ($(du -h "$IMAGE" | cut -f1 | tail -n 1))"
echo "trivy:    $TRIVY ($("$TRIVY" --version 2>/dev/null | head -n 1))"
[ "$TRIVY_ONLY" = 1 ] || echo "bulkhead: $BH ($("$BH" --version 2>/dev/null | head -n 1 || true))"
echo "runs:     $RUNS per tool, interleaved, after 1 warm-up each; host $(nproc) cores"

for t in "${TOOLS[@]}"; do measure "$t"; done           # warm-up (page cache), not counted
rm -f "$TMP"/*.times
for i in $(seq 1 "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then order=("${TOOLS[@]}"); else order=(); for ((j=${#TOOLS[@]}-1; j>=0; j--)); do order+=("${TOOLS[$j]}"); done; fi
  for t in "${order[@]}"; do measure "$t"; done
  printf 'run %2d:' "$i"
  for t in "${TOOLS[@]}"; do read -r w r < <(tail -n 1 "$TMP/$t.times"); printf '  %-8s %6ss %7s KiB' "$t" "$w" "$r"; done
  echo
done

declare -A WALL RSS
for t in "${TOOLS[@]}"; do
  WALL[$t]="$(cut -d' ' -f1 "$TMP/$t.times" | median)"
  RSS[$t]="$(cut -d' ' -f2 "$TMP/$t.times" | median | awk '{printf "%d", $1 + 0.5}')"
done
echo
printf '%-9s %12s %16s\n' tool "median wall" "median peak RSS"
for t in "${TOOLS[@]}"; do
  printf '%-9s %11ss %12.1f MiB\n' "$t" "${WALL[$t]}" "$(awk -v k="${RSS[$t]}" 'BEGIN{print k/1024}')"
done
if [ "$TRIVY_ONLY" = 1 ]; then
  echo "RESULT image=$(basename "$IMAGE") runs=$RUNS wall_trivy=${WALL[trivy]} rss_kb_trivy=${RSS[trivy]}"
else
  rw="$(awk -v a="${WALL[bulkhead]}" -v b="${WALL[trivy]}" 'BEGIN{printf "%.3f", a/b}')"
  rr="$(awk -v a="${RSS[bulkhead]}" -v b="${RSS[trivy]}" 'BEGIN{printf "%.3f", a/b}')"
  echo "ratio ours/trivy: wall ${rw}x, peak RSS ${rr}x  (below 1 = Bulkhead better)"
  echo "RESULT image=$(basename "$IMAGE") runs=$RUNS wall_bulkhead=${WALL[bulkhead]} wall_trivy=${WALL[trivy]} ratio_wall=$rw rss_kb_bulkhead=${RSS[bulkhead]} rss_kb_trivy=${RSS[trivy]} ratio_rss=$rr"
fi
