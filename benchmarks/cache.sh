#!/usr/bin/env bash
# Berth's pull-through cache against its upstream, on one machine. Both are `berth serve` with default
# settings; the cache has one upstream (prefix "hub"). Usage:
#   benchmarks/cache.sh                      # every figure the median of RUNS runs
#   OUT=benchmarks/results/x.md benchmarks/cache.sh
# Knobs (environment): RUNS (3), DURATION (s, 10), CONNECTIONS (16), LAYER_MIB (64), SERVER_CPU (0),
#   CLIENT_CPU (1), PORT_BASE (39600), BENCH_TMP (/var/tmp), SKIP_BUILD=1.
# What it measures:
#   - an image pull (manifest, config, one LAYER_MIB layer) straight from the upstream, then through the cache
#     cold (fetched from upstream while streamed to the client) and warm (from the cache's own store);
#   - manifest GETs by tag per second: from the upstream itself (a local tag pull, the target), through the
#     cache within the ttl, and through a second cache whose ttl is 0 (every pull revalidates upstream with
#     If-None-Match, concurrent pulls sharing one request).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=${RUNS:-3}; DURATION=${DURATION:-10}; CONNECTIONS=${CONNECTIONS:-16}; LAYER_MIB=${LAYER_MIB:-64}
SERVER_CPU=${SERVER_CPU:-0}; CLIENT_CPU=${CLIENT_CPU:-1}; PORT_BASE=${PORT_BASE:-39600}; BENCH_TMP=${BENCH_TMP:-/var/tmp}
OUT=${OUT:-}
UP=http://127.0.0.1:$PORT_BASE; CACHE=http://127.0.0.1:$((PORT_BASE + 1)); EXPIRING=http://127.0.0.1:$((PORT_BASE + 2))
MANIFEST_TYPE=application/vnd.oci.image.manifest.v1+json
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

WORK=$(mktemp -d "$BENCH_TMP/berth-cache-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building (Release)"
  dotnet build -c Release "$ROOT/src/Berth.Cli" -o "$WORK/berth" >/dev/null
  dotnet build -c Release "$ROOT/benchmarks/Berth.BenchTool" -o "$WORK/tool" >/dev/null
fi
BERTH="$WORK/berth/berth.dll"; TOOL="$WORK/tool/berth-benchtool.dll"

serve() { # serve PORT DATA [VAR=VALUE...]: a berth serve pinned to the server CPU
  local port=$1 data=$2; shift 2
  env "$@" taskset -c "$SERVER_CPU" dotnet "$BERTH" serve --listen "127.0.0.1:$port" --data "$data" >"$data.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && return; sleep 0.1; done
  log "berth on $port did not start: $(cat "$data.log")"; exit 1
}
serve "$PORT_BASE" "$WORK/upstream"
serve $((PORT_BASE + 1)) "$WORK/cache" BERTH_CACHE__UPSTREAMS__0__PREFIX=hub BERTH_CACHE__UPSTREAMS__0__URL="$UP"
serve $((PORT_BASE + 2)) "$WORK/expiring" BERTH_CACHE__UPSTREAMS__0__PREFIX=hub BERTH_CACHE__UPSTREAMS__0__URL="$UP" \
  BERTH_CACHE__UPSTREAMS__0__TTL=00:00:00

log "pushing a ${LAYER_MIB} MiB image to the upstream"
head -c $((LAYER_MIB << 20)) /dev/urandom >"$WORK/layer"; printf '{"architecture":"amd64","os":"linux"}' >"$WORK/config"
L=sha256:$(sha256sum "$WORK/layer" | cut -d' ' -f1); C=sha256:$(sha256sum "$WORK/config" | cut -d' ' -f1)
LSIZE=$(stat -c %s "$WORK/layer"); CSIZE=$(stat -c %s "$WORK/config")
push_image() { # push_image REPOSITORY
  curl -sf -X POST "$UP/v2/$1/blobs/uploads/?digest=$L" --data-binary @"$WORK/layer" >/dev/null
  curl -sf -X POST "$UP/v2/$1/blobs/uploads/?digest=$C" --data-binary @"$WORK/config" >/dev/null
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$MANIFEST_TYPE" "$C" "$CSIZE" "$L" "$LSIZE" >"$WORK/manifest"
  curl -sf -X PUT "$UP/v2/$1/manifests/v1" -H "Content-Type: $MANIFEST_TYPE" --data-binary @"$WORK/manifest" >/dev/null
}

pull_seconds() { # pull_seconds BASE NAME: wall time of manifest + config + layer, checked against the digests
  local start end
  start=$(date +%s.%N)
  taskset -c "$CLIENT_CPU" curl -sf -H "Accept: $MANIFEST_TYPE" "$1/v2/$2/manifests/v1" -o /dev/null
  taskset -c "$CLIENT_CPU" curl -sf "$1/v2/$2/blobs/$C" -o /dev/null
  taskset -c "$CLIENT_CPU" curl -sf "$1/v2/$2/blobs/$L" -o "$WORK/pulled"
  end=$(date +%s.%N)
  [[ sha256:$(sha256sum "$WORK/pulled" | cut -d' ' -f1) == "$L" ]] || { log "pulled layer does not match"; exit 1; }
  printf '%.3f\n' "$(echo "$end - $start" | bc -l)"
}

declare -A FIG
for run in $(seq "$RUNS"); do
  push_image "bench/app$run"
  FIG[direct]+="$(pull_seconds "$UP" "bench/app$run")"$'\n'
  FIG[cold]+="$(pull_seconds "$CACHE" "hub/bench/app$run")"$'\n'
  FIG[warm]+="$(pull_seconds "$CACHE" "hub/bench/app$run")"$'\n'
done

rps() { # rps URL: manifest GETs per second and p99 at CONNECTIONS
  taskset -c "$CLIENT_CPU" dotnet "$TOOL" load --url "$1" --method GET --connections "$CONNECTIONS" --seconds "$DURATION" --warmup 2 \
    | awk -F= '/^rps=/ { r = $2 } /^p99_ms=/ { p = $2 } /^non2xx3xx=/ { e = $2 } END { print r, p, e }'
}
curl -sf -H "Accept: $MANIFEST_TYPE" "$EXPIRING/v2/hub/bench/app1/manifests/v1" -o /dev/null
for run in $(seq "$RUNS"); do
  read -r r p e < <(rps "$UP/v2/bench/app1/manifests/v1"); FIG[local_rps]+="$r"$'\n'; FIG[local_p99]+="$p"$'\n'
  read -r r p e2 < <(rps "$CACHE/v2/hub/bench/app1/manifests/v1"); FIG[ttl_rps]+="$r"$'\n'; FIG[ttl_p99]+="$p"$'\n'
  read -r r p e3 < <(rps "$EXPIRING/v2/hub/bench/app1/manifests/v1"); FIG[expiry_rps]+="$r"$'\n'; FIG[expiry_p99]+="$p"$'\n'
  [[ $e == 0 && $e2 == 0 && $e3 == 0 ]] || log "run $run: non-2xx answers: upstream $e, cache $e2, expiring cache $e3"
done
upstream_requests=$(grep -c 'manifests/v1 304' "$WORK/upstream.log" || true)

m() { printf "%s" "${FIG[$1]}" | median; }
report=$(cat <<EOF
# Pull-through cache benchmark ($(date -u +%Y-%m-%d))

Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); servers pinned to CPU $SERVER_CPU, clients to
CPU $CLIENT_CPU; medians of $RUNS runs; every \`berth serve\` with default settings except the cache's upstream (and ttl 0 for the
expiring cache). Layer: $LAYER_MIB MiB.

| Image pull (manifest + config + layer), seconds | median |
| --- | ---: |
| straight from the upstream | $(m direct) |
| through the cache, cold (fetched from upstream, streamed to the client while stored) | $(m cold) |
| through the cache, warm | $(m warm) |

| Manifest GET by tag, $CONNECTIONS connections | req/s | p99 ms |
| --- | ---: | ---: |
| upstream itself (a local tag pull: the target) | $(m local_rps) | $(m local_p99) |
| cache within ttl | $(m ttl_rps) | $(m ttl_p99) |
| cache at expiry (ttl 0: every pull revalidated, concurrent pulls share one If-None-Match) | $(m expiry_rps) | $(m expiry_p99) |

Conditional requests the upstream answered 304 during the expiry runs (from its request log): $upstream_requests.
EOF
)
echo "$report"
[[ -n $OUT ]] && echo "$report" >"$OUT"
exit 0
