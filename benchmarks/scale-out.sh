#!/usr/bin/env bash
# Berth scaled out (PostgreSQL metadata + S3 blobs, several replicas) against the embedded stores
# (SQLite + filesystem), on one machine. Product settings are Berth's defaults: only the store kinds,
# their addresses and credentials are set. A private PostgreSQL cluster (initdb/pg_ctl, stock
# postgresql.conf: fsync on) and a private single-node Ceph RADOS Gateway (bluestore on a sparse file
# in the work folder by default) are started and removed by the script.
#
#   benchmarks/scale-out.sh                 # every figure the median of 3 runs
#   QUICK=1 benchmarks/scale-out.sh         # 1 run, short durations
#   OUT=benchmarks/results/x.md benchmarks/scale-out.sh
# Knobs (environment): RUNS, DURATION (s), WARMUP (s), CONNECTIONS (16), SMALL_PUSHES (1000),
#   PUSH_CLIENTS (16), REPLICAS (3), BIG_MIB (256), SEED_MANIFESTS (10000), SERVER_CPU (0), CLIENT_CPU (1),
#   PORT_BASE (39500), BENCH_TMP (/var/tmp; the data disk), CEPH_OBJECTSTORE (bluestore|memstore),
#   SECTIONS ("ceilings read small big growth"), KEEP=1 keeps the work folder, SKIP_BUILD=1.
# Needs: PostgreSQL server binaries (postgresql), radosgw ceph-mon ceph-osd, curl, taskset, dotnet; run as
# root (the cluster is made as the postgres user) or as a user who can run initdb.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

QUICK=${QUICK:-0}
# The warm-up runs once per figure and server before its first measured run. A registry runs for days, so the
# figures are its steady state: in a fresh process's first seconds the .NET tiered JIT still runs unoptimised
# code with profiling hooks, and more of it on the PostgreSQL path (Npgsql) than on the embedded one. With a
# 1 s warm-up, manifest GET on PostgreSQL measured 0.3-0.4x of embedded; after 15 s, 1.0x (2026-12-08).
if [[ $QUICK == 1 ]]; then
  RUNS=${RUNS:-1}; DURATION=${DURATION:-3}; WARMUP=${WARMUP:-15}
else
  RUNS=${RUNS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-15}
fi
CONNECTIONS=${CONNECTIONS:-16}
SMALL_PUSHES=${SMALL_PUSHES:-1000}
PUSH_CLIENTS=${PUSH_CLIENTS:-16}
REPLICAS=${REPLICAS:-3}
BIG_MIB=${BIG_MIB:-256}
SEED_MANIFESTS=${SEED_MANIFESTS:-10000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-39500}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
CEPH_OBJECTSTORE=${CEPH_OBJECTSTORE:-bluestore}
SECTIONS=${SECTIONS:-"ceilings read small big growth"}
OUT=${OUT:-}
KEEP=${KEEP:-0}
MANIFEST_TYPE=application/vnd.oci.image.manifest.v1+json

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
on_server() { taskset -c "$SERVER_CPU" "$@"; }
on_client() { taskset -c "$CLIENT_CPU" "$@"; }
now() { date +%s.%N; }

for tool in curl taskset dotnet awk sha256sum radosgw ceph-mon ceph-osd ceph radosgw-admin monmaptool ceph-authtool; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install postgresql radosgw ceph-mon ceph-osd curl util-linux)"
done
# shellcheck source=private-backends.sh
. "$HERE/private-backends.sh"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PG_BIN/initdb ]] || PG_BIN=$(dirname "$(command -v initdb || true)")
[[ -x $PG_BIN/initdb ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found"

WORK=$(mktemp -d -p "$BENCH_TMP" berth-scale.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PG_DATA=$WORK/pg/data
CEPH=$WORK/ceph
cleanup() {
  local pid name
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_backends
  if [[ $KEEP == 1 ]]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS=$WORK/results.tsv
NOTES=$WORK/notes.txt
: >"$RESULTS"; : >"$NOTES"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }
median() { # key subject
  awk -F'\t' -v k="$1" -v s="$2" '$1==k && $2==s {print $3}' "$RESULTS" | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
all_runs() { awk -F'\t' -v k="$1" -v s="$2" '$1==k && $2==s {printf "%s%s", sep, $3; sep=", "}' "$RESULTS"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

LOAD_START=$(loadavg)
START_TIME=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------------------------------------- build
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
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1  # for the load helper only (set per process below)

# ------------------------------------------------------------------------------------------- ceilings
if has_section ceilings; then
  log "ceilings: hashing, disk"
  for ((run = 1; run <= RUNS; run++)); do
    v=$(on_server "$TOOL" hash --algorithm sha256 --seconds "$(( DURATION < 5 ? DURATION : 5 ))" | sed -n 's/^mbps=//p')
    record hash_sha256 machine "$v"
    out=$(on_server dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1024 conv=fsync 2>&1 | tail -1)
    rm -f "$WORK/dd.bin"
    secs=$(awk -F', ' '{split($3, t, " "); print t[1]}' <<<"$out")
    record disk_fsync machine "$(awk -v s="$secs" 'BEGIN {printf "%.1f", 1073741824 / s / 1e6}')"
    v=$(on_server "$TOOL" small-files --dir "$WORK/small-files" --seconds "$(( DURATION < 5 ? DURATION : 5 ))" | sed -n 's/^per_second=//p')
    rm -rf "$WORK/small-files"
    record small_files machine "$v"
  done
fi

# ------------------------------------------------------------------------------------------ PostgreSQL
start_postgres

# ------------------------------------------------------------------------------------------ Ceph RGW
log "starting Ceph (mon, osd with $CEPH_OBJECTSTORE, radosgw)"
start_rgw

# ------------------------------------------------------------------- ceilings of the backing services
if has_section ceilings; then
  log "ceilings: PostgreSQL commits, S3 small PUTs and a ${BIG_MIB} MiB PUT"
  pg_sql "CREATE TABLE ceiling (id bigserial PRIMARY KEY, payload text)" berth
  echo "INSERT INTO ceiling (payload) VALUES (repeat('x', 200));" >"$WORK/pg-insert.sql"
  chmod 644 "$WORK/pg-insert.sql"
  s3_curl=(curl -sS --no-progress-meter -f -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY"
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  "${s3_curl[@]}" -X PUT "$S3_URL/ceiling" || die "CreateBucket on radosgw failed"
  head -c 1024 /dev/urandom >"$WORK/blob1k"
  head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big-ceiling.bin"
  for ((run = 1; run <= RUNS; run++)); do
    # One-row autocommit INSERTs from 16 clients: the commit (WAL fsync) rate, with group commit.
    v=$(as_pg taskset -c "$CLIENT_CPU" "$PG_BIN/pgbench" -h "$WORK/pg" -p "$PG_PORT" -U "$PG_USER" -n -c "$PUSH_CLIENTS" -j 1 \
      -T "$(( DURATION < 5 ? DURATION : 5 ))" -f "$WORK/pg-insert.sql" berth 2>/dev/null | awk '/^tps/ {print $3}')
    record pg_commits machine "$v"
    # 300 one-KiB PutObjects, 16 in flight.
    started=$(now)
    on_client "${s3_curl[@]}" -Z --parallel-max "$PUSH_CLIENTS" -X PUT --data-binary @"$WORK/blob1k" "$S3_URL/ceiling/r$run-[1-300]" ||
      note "S3 small PUT ceiling: some PUTs failed"
    record s3_small_puts machine "$(awk -v a="$started" -v b="$(now)" 'BEGIN {printf "%.1f", 300 / (b - a)}')"
    # One PutObject of BIG_MIB MiB (unsigned payload, so curl does not hash it). No "Expect:" override:
    # curl would sign the emptied header and RGW answers SignatureDoesNotMatch.
    if secs=$(on_client "${s3_curl[@]}" -w '%{time_total}' -X PUT -H 'Content-Type: application/octet-stream' \
      --data-binary @"$WORK/big-ceiling.bin" "$S3_URL/ceiling/big$run"); then
      record s3_big_put machine "$(awk -v s="$secs" -v n="$((BIG_MIB << 20))" 'BEGIN {printf "%.1f", n / s / 1e6}')"
    else
      note "S3 ${BIG_MIB} MiB PutObject ceiling failed"
    fi
  done
  rm -f "$WORK/big-ceiling.bin"
fi

# -------------------------------------------------------------------------------------------- Berth
wait_ready() { # name url
  local i
  for ((i = 0; i < 600; i++)); do
    if curl -s -o /dev/null --max-time 1 "$2"; then return 0; fi
    sleep 0.2
  done
  die "$1 did not start; see its log in the work folder (KEEP=1)"
}
# start_berth NAME PORT scaled|embedded: scaled = PostgreSQL + S3; no other setting.
start_berth() {
  local name=$1 port=$2 kind=$3
  mkdir -p "$WORK/$name"
  if [[ $kind == scaled ]]; then
    env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS BERTH_METADATA__KIND=postgresql BERTH_METADATA__CONNECTION_STRING="$PG_CONNECTION" \
      BERTH_STORAGE__KIND=s3 BERTH_STORAGE__S3__BUCKET=berth-bench BERTH_STORAGE__S3__SERVICE_URL="$S3_URL" \
      BERTH_STORAGE__S3__REGION=us-east-1 BERTH_STORAGE__S3__FORCE_PATH_STYLE=true \
      BERTH_STORAGE__S3__ACCESS_KEY_ID="$S3_ACCESS_KEY" BERTH_STORAGE__S3__SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
      taskset -c "$SERVER_CPU" "$BERTH" serve --listen "127.0.0.1:$port" --data "$WORK/$name/data" --log-level Warning \
      >"$WORK/$name/log" 2>&1 &
  else
    env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS \
      taskset -c "$SERVER_CPU" "$BERTH" serve --listen "127.0.0.1:$port" --data "$WORK/$name/data" --log-level Warning \
      >"$WORK/$name/log" 2>&1 &
  fi
  PIDS+=("$!")
  echo "$!" >"$WORK/$name/pid"
}
EMBEDDED_URL=http://127.0.0.1:$PORT_BASE
start_berth embedded "$PORT_BASE" embedded
wait_ready "Berth (embedded)" "$EMBEDDED_URL/v2/"
# The first replica migrates the schema and creates the bucket before the others start.
REPLICA_URLS=()
for ((r = 1; r <= REPLICAS; r++)); do
  start_berth "replica$r" $((PORT_BASE + r)) scaled
  REPLICA_URLS+=("http://127.0.0.1:$((PORT_BASE + r))")
  wait_ready "Berth replica $r" "${REPLICA_URLS[-1]}/v2/"
done
SCALED_URL=${REPLICA_URLS[0]}
ALL_REPLICAS=$(IFS=,; echo "${REPLICA_URLS[*]}")

# ----------------------------------------------------------------------------------- seeding (curl)
upload_location() { # base repo -> absolute Location of a new upload session
  local headers location
  headers=$(curl -sS -o /dev/null -D - -X POST -H 'Content-Length: 0' "$1/v2/$2/blobs/uploads/" | tr -d '\r')
  [[ $(head -1 <<<"$headers") == *" 202"* ]] || die "upload POST to $2 failed: $(head -1 <<<"$headers")"
  location=$(awk 'tolower($1) == "location:" {print $2}' <<<"$headers")
  [[ $location == http* ]] || location=$1$location
  printf '%s' "$location"
}
with_digest() { if [[ $1 == *\?* ]]; then printf '%s&digest=%s' "$1" "$2"; else printf '%s?digest=%s' "$1" "$2"; fi; }
push_blob() {
  local location code
  location=$(upload_location "$1" "$2")
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    -T "$3" "$(with_digest "$location" "$4")")
  [[ $code == 201 ]] || die "blob PUT to $2 answered $code"
}
push_manifest() { # base repo reference file
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: $MANIFEST_TYPE" --data-binary @"$4" "$1/v2/$2/manifests/$3")
  [[ $code == 201 ]] || die "manifest PUT $2:$3 answered $code"
}
sha() { printf 'sha256:%s' "$(sha256sum "$1" | cut -d' ' -f1)"; }
printf '{}' >"$WORK/config.json"; CONFIG_DIGEST=$(sha "$WORK/config.json")
head -c 4096 /dev/urandom >"$WORK/blob4k"; BLOB4K_DIGEST=$(sha "$WORK/blob4k")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":4096}],"annotations":{"org.opencontainers.image.title":"berth-benchmark"}}' \
  "$MANIFEST_TYPE" "$CONFIG_DIGEST" "$BLOB4K_DIGEST" >"$WORK/manifest.json"
log "seeding bench/app:latest on both stores"
for base in "$EMBEDDED_URL" "$SCALED_URL"; do
  push_blob "$base" bench/app "$WORK/config.json" "$CONFIG_DIGEST"
  push_blob "$base" bench/app "$WORK/blob4k" "$BLOB4K_DIGEST"
  push_manifest "$base" bench/app latest "$WORK/manifest.json"
done
for url in "${REPLICA_URLS[@]}"; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Accept: $MANIFEST_TYPE" "$url/v2/bench/app/manifests/latest")
  [[ $code == 200 ]] || die "replica $url does not see the manifest pushed through another one ($code)"
done

# CPU time (clock ticks, user + system) of processes, and of the PostgreSQL cluster (postmaster and its backends).
cpu_ticks() { local t=0 pid; for pid in "$@"; do [[ -r /proc/$pid/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$t"; }
postgres_ticks() {
  local postmaster
  postmaster=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null) || { echo 0; return; }
  # shellcheck disable=SC2046
  cpu_ticks "$postmaster" $(pgrep -P "$postmaster")
}
berth_pid() { if [[ $1 == embedded ]]; then cat "$WORK/embedded/pid"; else cat "$WORK/replica1/pid"; fi; }

# load_measure KEY SUBJECT URL: closed-loop GET load at CONNECTIONS; records KEY_rps, KEY_p99, and the CPU
# time per request of Berth and of PostgreSQL (KEY_berth_us, KEY_pg_us). CPU per request is what the load of
# other work on a shared machine disturbs least: it says where a request's cost goes even when req/s scatter.
declare -A WARMED
load_measure() {
  local key=$1 subject=$2 url=$3 warm=0 raw out rps p99 errors berth_before pg_before berth_after pg_after hz
  [[ -n ${WARMED[$key-$subject]:-} ]] || { warm=$WARMUP; WARMED[$key-$subject]=1; }
  raw=$WORK/load-$key-$subject.txt
  if (( warm > 0 )); then
    on_client "$TOOL" load --url "$url" --method GET --connections "$CONNECTIONS" --seconds "$warm" --warmup 0 \
      --header "Accept: $MANIFEST_TYPE" >/dev/null 2>&1 || true
  fi
  berth_before=$(cpu_ticks "$(berth_pid "$subject")"); pg_before=$(postgres_ticks)
  on_client "$TOOL" load --url "$url" --method GET --connections "$CONNECTIONS" --seconds "$DURATION" --warmup 0 \
    --header "Accept: $MANIFEST_TYPE" >"$raw" 2>&1 || true
  berth_after=$(cpu_ticks "$(berth_pid "$subject")"); pg_after=$(postgres_ticks)
  rps=$(sed -n 's/^rps=//p' "$raw"); p99=$(sed -n 's/^p99_ms=//p' "$raw")
  errors=$(awk -F= '/^(non2xx3xx|socket_errors)=/ {n += $2} END {print n + 0}' "$raw")
  [[ -n $rps ]] || { note "$subject $key: load helper produced no result ($(head -c 200 "$raw" | tr '\n' ' '))"; return; }
  hz=$(getconf CLK_TCK)
  record "${key}_berth_us" "$subject" "$(awk -v t=$((berth_after - berth_before)) -v hz="$hz" -v r="$rps" -v d="$DURATION" 'BEGIN {printf "%.0f", t / hz * 1e6 / (r * d)}')"
  record "${key}_pg_us" "$subject" "$(awk -v t=$((pg_after - pg_before)) -v hz="$hz" -v r="$rps" -v d="$DURATION" 'BEGIN {printf "%.0f", t / hz * 1e6 / (r * d)}')"
  record "${key}_rps" "$subject" "$rps"; record "${key}_p99" "$subject" "$p99"
  record "${key}_load" "$subject" "$(cut -d' ' -f1 /proc/loadavg)"
  (( errors == 0 )) || note "$subject $key: $errors errors in one run"
}
order() { if (( $1 % 2 )); then echo embedded scaled; else echo scaled embedded; fi; }
url_of() { if [[ $1 == embedded ]]; then echo "$EMBEDDED_URL"; else echo "$SCALED_URL"; fi; }

# ------------------------------------------------------------------------------------ 1. manifest GET
if has_section read; then
  log "manifest GET by tag at $CONNECTIONS connections: one replica on PostgreSQL vs embedded"
  for ((run = 1; run <= RUNS; run++)); do
    for subject in $(order "$run"); do
      load_measure get_tag "$subject" "$(url_of "$subject")/v2/bench/app/manifests/latest"
    done
  done
fi

# ------------------------------------------------------------------------------------- 2. small pushes
# small_push KEY SUBJECT URLS PREFIX [push helper options]
small_push() {
  local out v failed
  out=$(on_client "$TOOL" push --url "$3" --count "$SMALL_PUSHES" --clients "$PUSH_CLIENTS" --prefix "$4" "${@:5}" 2>"$WORK/push.err") || true
  v=$(sed -n 's/^per_second=//p' <<<"$out"); failed=$(sed -n 's/^failures=//p' <<<"$out")
  if [[ -n $v ]]; then record "$1" "$2" "$v"; record "$1_load" "$2" "$(cut -d' ' -f1 /proc/loadavg)"; else note "$2: small pushes failed: $(head -c 200 "$WORK/push.err")"; fi
  [[ ${failed:-0} == 0 ]] || note "$2: $failed of $SMALL_PUSHES small pushes failed ($(head -c 200 "$WORK/push.err" | tr '\n' ' '))"
}
if has_section small; then
  log "$SMALL_PUSHES small pushes (1 KiB blob + manifest) at $PUSH_CLIENTS clients"
  for ((run = 1; run <= RUNS; run++)); do
    small_push small_push "scaled_x$REPLICAS" "$ALL_REPLICAS" "small/spread$run"
    small_push small_push scaled_x1 "$SCALED_URL" "small/one$run"
    small_push small_push embedded "$EMBEDDED_URL" "small/run$run"
    small_push manifest_push "scaled_x$REPLICAS" "$ALL_REPLICAS" "manifests/spread$run" --manifest-only true
    small_push manifest_push embedded "$EMBEDDED_URL" "manifests/run$run" --manifest-only true
  done
fi

# ---------------------------------------------------------------------------------------- 3. big push
PUSH_SEQ=0
next_big_content() {
  PUSH_SEQ=$((PUSH_SEQ + 1))
  printf '%032d' "$PUSH_SEQ" | dd of="$WORK/big.bin" bs=32 count=1 conv=notrunc status=none
  sha "$WORK/big.bin"
}
push_monolithic() { # base repo digest -> MB/s (curl's own time of the POST and the PUT)
  local location out secs
  out=$(on_client curl -sS -o /dev/null -D "$WORK/h" -w '%{http_code} %{time_total}' -X POST -H 'Content-Length: 0' "$1/v2/$2/blobs/uploads/")
  [[ ${out% *} == 202 ]] || { echo ""; return; }
  secs=${out#* }
  location=$(tr -d '\r' <"$WORK/h" | awk 'tolower($1) == "location:" {print $2}'); [[ $location == http* ]] || location=$1$location
  out=$(on_client curl -sS -o /dev/null -w '%{http_code} %{time_total}' -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    -T "$WORK/big.bin" "$(with_digest "$location" "$3")")
  [[ ${out% *} == 201 ]] || { echo ""; return; }
  awk -v a="$secs" -v b="${out#* }" -v n="$((BIG_MIB << 20))" 'BEGIN {printf "%.1f", n / (a + b) / 1e6}'
}
if has_section big; then
  log "monolithic ${BIG_MIB} MiB push: S3 vs filesystem"
  head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.bin"
  for ((run = 1; run <= RUNS; run++)); do
    for subject in $(order "$run"); do
      digest=$(next_big_content)
      v=$(push_monolithic "$(url_of "$subject")" "push/mono$run" "$digest")
      if [[ -n $v ]]; then record push_mono "$subject" "$v"; record push_mono_load "$subject" "$(cut -d' ' -f1 /proc/loadavg)"
      else note "$subject: monolithic push failed"; fi
    done
  done
  rm -f "$WORK/big.bin"
fi

# ------------------------------------------------------------------------------ 4. growth: 10k manifests
if has_section growth; then
  # Seeded through the API (the push helper, manifest-only, 16 clients): SEED_MANIFESTS distinct
  # manifests sharing one layer, each under its own tag p0, p1...
  log "seeding $SEED_MANIFESTS manifests into bench/many on each store"
  for subject in embedded scaled; do
    started=$(now)
    target=$EMBEDDED_URL; [[ $subject == scaled ]] && target=$ALL_REPLICAS
    out=$(on_client "$TOOL" push --url "$target" --count "$SEED_MANIFESTS" --clients "$PUSH_CLIENTS" --prefix "bench/many" \
      --manifest-only true 2>"$WORK/seed.err") || true
    [[ $(sed -n 's/^failures=//p' <<<"$out") == 0 ]] || die "seeding $subject failed: $(head -c 300 "$WORK/seed.err")"
    log "  $subject: $(awk -v a="$started" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}') s"
  done
  page=$(curl -sS "$SCALED_URL/v2/bench/many/r0/tags/list?n=100" | grep -o '"p[0-9]*"' | wc -l)
  [[ $page == 100 ]] || note "scaled: tags/list?n=100 returned $page tags"
  for ((run = 1; run <= RUNS; run++)); do
    for subject in $(order "$run"); do
      base=$(url_of "$subject")
      load_measure get_tag_10k "$subject" "$base/v2/bench/many/r0/manifests/p$((SEED_MANIFESTS / 2 + 7))"
      load_measure tags_page_10k "$subject" "$base/v2/bench/many/r0/tags/list?n=100&last=p$((SEED_MANIFESTS / 2))"
      load_measure tags_full_10k "$subject" "$base/v2/bench/many/r0/tags/list"
    done
  done
fi

# ------------------------------------------------------------------------------------------ health
for name in embedded $(for ((r = 1; r <= REPLICAS; r++)); do echo "replica$r"; done); do
  pid=$(cat "$WORK/$name/pid")
  kill -0 "$pid" 2>/dev/null || note "$name exited during the run"
  lines=$(grep -cvE '^\s*$|listening on|Now listening' "$WORK/$name/log" || true)
  (( lines == 0 )) || note "$name logged $lines line(s) at log level Warning; first: $(grep -vE '^\s*$|listening on' "$WORK/$name/log" | head -1 | sed "s|$WORK|<work>|g" | cut -c1-200)"
done
LOAD_END=$(loadavg)

# ---------------------------------------------------------------------------------------------- report
fmt() { [[ -n $1 ]] || { printf 'n/a'; return; }; awk -v v="$1" -v d="$2" 'BEGIN {printf "%.*f", d, v}'; }
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "n/a"}' || printf 'n/a'; }
# paired KEY A B: A/B run by run (the two are measured back to back, so drifting machine load
# cancels out better than in a ratio of medians), then their median.
paired() {
  paste <(awk -F'\t' -v k="$1" -v s="$2" '$1==k && $2==s {print $3}' "$RESULTS") \
        <(awk -F'\t' -v k="$1" -v s="$3" '$1==k && $2==s {print $3}' "$RESULTS") |
    awk -F'\t' '$1 != "" && $2 > 0 {print $1 / $2}' | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) printf "%.2f", v[(NR+1)/2]; else printf "%.2f", (v[NR/2]+v[NR/2+1])/2}'
}
verdict() { # value target
  [[ -n $1 && -n $2 ]] || { printf 'n/a'; return; }
  awk -v v="$1" -v t="$2" 'BEGIN {if (v >= t) printf "PASS"; else printf "MISS (needs %.2fx)", t / v}'
}
report() {
  local e s
  echo "# Berth scale-out benchmark: $START_TIME"
  echo
  echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; Berth, PostgreSQL and Ceph on CPU $SERVER_CPU, load generator on CPU $CLIENT_CPU"
  echo "- Kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME"); .NET $(dotnet --version); PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (stock settings, fsync on); Ceph $(ceph --version | awk '{print $3}') RGW, $CEPH_OBJECTSTORE OSD"
  echo "- Load average (1/5/15 min): $LOAD_START at the start, $LOAD_END at the end (other work shares the machine)"
  echo "- Each figure: median of $RUNS run(s); load figures ${DURATION} s each; before the first run of each figure on each server, ${WARMUP} s of the same load to warm it up; Berth with default settings (only store kinds, addresses, credentials set)"
  echo
  echo "| Figure | Scaled out (PostgreSQL + S3) | Embedded (SQLite + filesystem) | Ratio | Target | Result |"
  echo "| --- | ---: | ---: | ---: | --- | --- |"
  e=$(median get_tag_rps embedded); s=$(median get_tag_rps scaled)
  [[ -n $e$s ]] && echo "| Manifest GET by tag, c=$CONNECTIONS, one replica (req/s; ratio: median of per-run ratios) | $(fmt "$s" 0) | $(fmt "$e" 0) | $(paired get_tag_rps scaled embedded) | ≥ 0.50 | $(verdict "$(paired get_tag_rps scaled embedded)" 0.5) |"
  e=$(median get_tag_p99 embedded); s=$(median get_tag_p99 scaled)
  [[ -n $e$s ]] && echo "| Manifest GET by tag p99, c=$CONNECTIONS (ms) | $(fmt "$s" 2) | $(fmt "$e" 2) | $(ratio "$s" "$e") | — | — |"
  e=$(median get_tag_berth_us embedded); s=$(median get_tag_berth_us scaled)
  [[ -n $e$s ]] && echo "| Manifest GET by tag: Berth's CPU per request (µs) | $(fmt "$s" 0) | $(fmt "$e" 0) | $(ratio "$s" "$e") | — | — |"
  s=$(median get_tag_pg_us scaled)
  [[ -n $s ]] && echo "| Manifest GET by tag: PostgreSQL's CPU per request (µs) | $(fmt "$s" 0) | — | | — | — |"
  s=$(median small_push "scaled_x$REPLICAS"); e=$(median small_push embedded)
  [[ -n $e$s ]] && echo "| Small pushes, $PUSH_CLIENTS clients over $REPLICAS replicas (pushes/s) | $(fmt "$s" 0) | $(fmt "$e" 0) (one process) | $(ratio "$s" "$e") | ≥ 300 | $(verdict "$s" 300) |"
  s=$(median small_push scaled_x1)
  [[ -n $s ]] && echo "| Small pushes, $PUSH_CLIENTS clients on one replica (pushes/s) | $(fmt "$s" 0) | | | — | — |"
  s=$(median manifest_push "scaled_x$REPLICAS"); e=$(median manifest_push embedded)
  [[ -n $e$s ]] && echo "| Manifest-only pushes, $PUSH_CLIENTS clients over $REPLICAS replicas (pushes/s) | $(fmt "$s" 0) | $(fmt "$e" 0) (one process) | $(ratio "$s" "$e") | ≥ 300 | $(verdict "$s" 300) |"
  e=$(median push_mono embedded); s=$(median push_mono scaled)
  [[ -n $e$s ]] && echo "| Push ${BIG_MIB} MiB monolithic (MB/s; ratio: median of per-run ratios) | $(fmt "$s" 0) | $(fmt "$e" 0) | $(paired push_mono scaled embedded) | ≥ 0.70 | $(verdict "$(paired push_mono scaled embedded)" 0.7) |"
  for key in get_tag_10k tags_page_10k tags_full_10k; do
    e=$(median "${key}_rps" embedded); s=$(median "${key}_rps" scaled)
    [[ -n $e$s ]] || continue
    case $key in
      get_tag_10k) label="Manifest GET by tag, $SEED_MANIFESTS manifests" ;;
      tags_page_10k) label="Tags list n=100 (middle page), $SEED_MANIFESTS tags" ;;
      tags_full_10k) label="Tags list, all $SEED_MANIFESTS tags" ;;
    esac
    echo "| $label, c=$CONNECTIONS (req/s) | $(fmt "$s" 0) | $(fmt "$e" 0) | $(ratio "$s" "$e") | — | — |"
    echo "| $label, p99 (ms) | $(fmt "$(median "${key}_p99" scaled)" 2) | $(fmt "$(median "${key}_p99" embedded)" 2) | $(ratio "$(median "${key}_p99" scaled)" "$(median "${key}_p99" embedded)") | — | — |"
  done
  echo
  echo "## Every run (1-min load average at the end of each run)"
  echo
  for key in get_tag_rps get_tag_berth_us get_tag_pg_us small_push manifest_push push_mono get_tag_10k_rps tags_page_10k_rps tags_full_10k_rps; do
    for subject in scaled "scaled_x$REPLICAS" scaled_x1 embedded; do
      v=$(all_runs "$key" "$subject"); [[ -n $v ]] || continue
      load_key=${key%_rps}; load_key=${load_key%_berth_us}; load_key=${load_key%_pg_us}
      echo "- $key $subject: $v (load $load_key: $(all_runs "${load_key}_load" "$subject"))"
    done
  done
  echo
  echo "## Machine ceilings"
  echo
  echo "| Ceiling | Value |"
  echo "| --- | ---: |"
  v=$(median hash_sha256 machine); [[ -n $v ]] && echo "| SHA-256, one core, .NET (MB/s) | $(fmt "$v" 0) |"
  v=$(median disk_fsync machine); [[ -n $v ]] && echo "| Write + fsync 1 GiB, data disk (MB/s) | $(fmt "$v" 0) |"
  v=$(median small_files machine); [[ -n $v ]] && echo "| 1 KiB write + fsync + rename (files/s) | $(fmt "$v" 0) |"
  v=$(median pg_commits machine); [[ -n $v ]] && echo "| PostgreSQL one-row INSERT commits, $PUSH_CLIENTS clients, pgbench (commits/s) | $(fmt "$v" 0) |"
  v=$(median s3_small_puts machine); [[ -n $v ]] && echo "| Ceph RGW 1 KiB PutObject, $PUSH_CLIENTS in flight, curl (objects/s) | $(fmt "$v" 0) |"
  v=$(median s3_big_put machine); [[ -n $v ]] && echo "| Ceph RGW ${BIG_MIB} MiB PutObject, curl (MB/s) | $(fmt "$v" 0) |"
  echo
  echo "## Notes"
  echo
  if [[ -s $NOTES ]]; then cat "$NOTES"; else echo "- none: no errors, failed pushes or unexpected status codes"; fi
}
if [[ -n $OUT ]]; then report | tee "$OUT"; else report; fi
