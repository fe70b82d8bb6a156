#!/usr/bin/env bash
# The web UI's repository page with 10,000 tags: how long the server takes to answer the first page and a middle
# page (50 tags each), and the repositories list (which sums that repository's storage), over real HTTP on
# loopback, one request after another on one kept-alive connection.
# Berth runs as `berth serve` with the embedded defaults (SQLite + filesystem, every setting at its default,
# authentication off, so every tag also shows who moved it last). Goal (issue 17): median and p99 < 100 ms.
# Usage:
#   benchmarks/ui-pages.sh                      # 10,000 tags, 300 timed requests per page
#   OUT=benchmarks/results/x.md benchmarks/ui-pages.sh   # also write the report (markdown) to a file
# Knobs (environment): TAGS (10000), REQUESTS (300), WARMUP (30), PORT (39480), BENCH_TMP (/var/tmp),
#   SERVER_CPU (0), CLIENT_CPU (1), SKIP_BUILD=1 reuses the last Release build, KEEP=1 keeps the work folder.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TAGS=${TAGS:-10000}
REQUESTS=${REQUESTS:-300}
WARMUP=${WARMUP:-30}
PORT=${PORT:-39480}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-}
KEEP=${KEEP:-0}
URL=http://127.0.0.1:$PORT
PAGE_SIZE=50
REPOSITORY=bench/r0

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in curl taskset dotnet awk sort; do command -v "$tool" >/dev/null || die "$tool not found"; done
if curl -s -o /dev/null --max-time 1 "$URL/"; then die "port $PORT is in use; set PORT"; fi

WORK=$(mktemp -d -p "$BENCH_TMP" berth-ui-bench.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ $KEEP == 1 ]]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building Berth and the benchmark helper (Release)"
  for project in src/Berth.Cli/Berth.Cli.csproj benchmarks/Berth.BenchTool/Berth.BenchTool.csproj; do
    dotnet build "$ROOT/$project" -c Release -nologo -v quiet >>"$WORK/build.log" 2>&1 ||
      { cat "$WORK/build.log" >&2; die "build of $project failed"; }
  done
fi
BERTH=$ROOT/src/Berth.Cli/bin/Release/net10.0/berth
TOOL=$ROOT/benchmarks/Berth.BenchTool/bin/Release/net10.0/berth-benchtool
[[ -x $BERTH && -x $TOOL ]] || die "Release binaries missing; run without SKIP_BUILD=1"

taskset -c "$SERVER_CPU" "$BERTH" serve --listen "127.0.0.1:$PORT" --data "$WORK/data" >"$WORK/berth.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$URL/v2/" && break; sleep 0.2; done
curl -sf -o /dev/null "$URL/v2/" || { cat "$WORK/berth.log" >&2; die "berth did not start"; }

# Every tag its own manifest (they differ by an annotation), so no page is served from one cached summary.
log "seeding $REPOSITORY with $TAGS tags"
taskset -c "$CLIENT_CPU" "$TOOL" push --url "$URL" --count "$TAGS" --clients 16 --prefix bench --repositories 1 --manifest-only true \
  >"$WORK/seed.txt"
count=$(curl -sf "$URL/v2/$REPOSITORY/tags/list" | grep -o '"p[0-9]*"' | wc -l)
[[ $count == "$TAGS" ]] || die "seeded $count tags, not $TAGS"

PAGES=$(( (TAGS + PAGE_SIZE - 1) / PAGE_SIZE ))
MIDDLE=$(( (PAGES + 1) / 2 ))
declare -A LABEL=([first]="first page" [middle]="page $MIDDLE of $PAGES" [list]="repositories list (/ui/)")
declare -A PATHS=([first]="/ui/r/$REPOSITORY" [middle]="/ui/r/$REPOSITORY?page=$MIDDLE" [list]="/ui/")

# curl's time_total per transfer; the URLs of one curl call share a connection. "v" makes each URL distinct
# (curl would otherwise fetch one URL once) and the page ignores it.
times() { # path count
  local separator='?'; [[ $1 == *\?* ]] && separator='&'
  taskset -c "$CLIENT_CPU" curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$URL$1${separator}v=[1-$2]"
}
percentile() { sort -g | awk -v p="$1" '{v[NR]=$1} END {i=int(NR*p+0.999999); if (i<1) i=1; printf "%.1f", v[i]*1000}'; }

declare -A COLD MEDIAN P99
# The list sums the storage of $REPOSITORY's $TAGS manifests: the first view reads each of them once.
COLD[list]=$(times /ui/ 1 | awk '{printf "%.1f", $2 * 1000}')
for page in first middle; do
  rows=$(curl -s "$URL${PATHS[$page]}" | grep -o 'data-tag="' | wc -l)
  [[ $rows == "$PAGE_SIZE" ]] || die "${LABEL[$page]} shows $rows tags, not $PAGE_SIZE"
done
# The very first view of the middle page reads its 50 manifests for the first time (the first page was read above).
COLD[middle]=$(times "/ui/r/$REPOSITORY?page=$((MIDDLE + 1))" 1 | awk '{printf "%.1f", $2 * 1000}')
for page in first middle list; do
  times "${PATHS[$page]}" "$WARMUP" >/dev/null
  times "${PATHS[$page]}" "$REQUESTS" >"$WORK/$page.txt"
  bad=$(awk '$1 != 200' "$WORK/$page.txt" | wc -l)
  [[ $bad == 0 ]] || die "$bad answers to ${LABEL[$page]} were not 200"
  MEDIAN[$page]=$(awk '{print $2}' "$WORK/$page.txt" | percentile 0.5)
  P99[$page]=$(awk '{print $2}' "$WORK/$page.txt" | percentile 0.99)
  log "${LABEL[$page]}: median ${MEDIAN[$page]} ms, p99 ${P99[$page]} ms"
done

verdict() { awk -v m="$1" -v p="$2" 'BEGIN {print (m < 100 && p < 100) ? "yes" : "NO"}'; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')
report=$(cat <<EOF
# Web UI: repository page with $TAGS tags

$(date -u '+%Y-%m-%d %H:%M UTC'), \`benchmarks/ui-pages.sh\` (commit $(git -C "$ROOT" rev-parse --short HEAD)).
Machine: $(nproc) cores, $cpu; server on CPU $SERVER_CPU, curl on CPU $CLIENT_CPU.

\`berth serve\` with the embedded defaults (SQLite + filesystem, every setting at its default, so the access log
is on and authentication off). $REPOSITORY holds $TAGS tags, each on a manifest of its own. A page lists
$PAGE_SIZE tags with digest, kind, size and who last moved each. Times are curl's \`time_total\` for GET over
loopback, one request after another on one connection, $REQUESTS timed requests per page after $WARMUP untimed.

| page | median (ms) | p99 (ms) | < 100 ms |
| --- | ---: | ---: | --- |
| ${LABEL[first]} | ${MEDIAN[first]} | ${P99[first]} | $(verdict "${MEDIAN[first]}" "${P99[first]}") |
| ${LABEL[middle]} | ${MEDIAN[middle]} | ${P99[middle]} | $(verdict "${MEDIAN[middle]}" "${P99[middle]}") |
| ${LABEL[list]} | ${MEDIAN[list]} | ${P99[list]} | $(verdict "${MEDIAN[list]}" "${P99[list]}") |

First views, before anything was cached: a tag page whose manifests had not been read yet (page $((MIDDLE + 1)))
${COLD[middle]} ms; the repositories list, which sums the storage of all $TAGS manifests of $REPOSITORY
(each read once, then remembered by digest), ${COLD[list]} ms.
EOF
)
printf '%s\n' "$report"
if [[ -n $OUT ]]; then printf '%s\n' "$report" >"$OUT"; log "report written to $OUT"; fi
