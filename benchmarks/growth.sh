#!/usr/bin/env bash
# How Berth's cost grows with what it stores: manifest GET by tag, a tags-list page and a catalog page with
# 10,000 and 1,000,000 manifests stored, and garbage collection (and fsck) of 100,000 unreferenced blobs, on
# the embedded stores (SQLite + filesystem) and on PostgreSQL metadata (+ S3 blobs on a private Ceph RGW, or
# filesystem blobs: SCALED_BLOBS). The data set is seeded straight into the metadata database with Berth
# stopped (set-based SQL in PostgreSQL, a C# seeder in Berth.BenchTool for SQLite), in the exact rows Berth's
# PutManifestAsync and LinkBlobAsync write; Berth is then started cold with default settings (only the store
# kinds, addresses and credentials set). A private PostgreSQL cluster (initdb/pg_ctl, stock postgresql.conf:
# fsync on) and, with SCALED_BLOBS=s3, a private single-node Ceph RGW are started and removed by the script.
#
# Data set at size N: manifest i (0 <= i < N, distinct bytes: an OCI image manifest with the annotation
# org.opencontainers.image.title=growth-i, all naming one config and one layer blob pushed through the API)
# lives in repository growth/r<i mod REPOS> under tag t<i div REPOS>; the first BIG_TAGS manifests are also
# tagged t<i> in growth/big (the tags-list figure). Sizes grow in place: the 1M set adds to the 10k one.
#
#   benchmarks/growth.sh                                    # 10k and 1M, both stores, GC of 100k blobs
#   SIZES=10000 GC_BLOBS=10000 QUICK=1 benchmarks/growth.sh # a quick look
#   OUT=benchmarks/results/x.md benchmarks/growth.sh
# Knobs (environment): SIZES ("10000 1000000"), REPOS (1000), BIG_TAGS (10000), GC_BLOBS (100000),
#   GC_GRACE (00:01:00; seeded links and files are 48 h old, S3 objects are waited for), RUNS (3), DURATION (10 s),
#   WARMUP (15 s), CONNECTIONS (16), SCALED_BLOBS (s3|filesystem), SECTIONS ("manifests gc"), FSCK (1),
#   SERVER_CPU (0), CLIENT_CPU (1), PORT_BASE (39600), BENCH_TMP (/var/tmp), CEPH_OBJECTSTORE (bluestore|memstore),
#   KEEP=1 keeps the work folder, SKIP_BUILD=1.
# Needs: PostgreSQL server binaries, curl, taskset, python3, dotnet (and radosgw ceph-mon ceph-osd for S3); run as
# root (the cluster is made as the postgres user) or as a user who can run initdb.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

QUICK=${QUICK:-0}
# As in scale-out.sh: 15 s of the same load before a figure's first run, so the figures are the steady state
# and not the tiered JIT's first seconds.
if [[ $QUICK == 1 ]]; then
  RUNS=${RUNS:-1}; DURATION=${DURATION:-3}; WARMUP=${WARMUP:-15}
else
  RUNS=${RUNS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-15}
fi
SIZES=${SIZES:-"10000 1000000"}
REPOS=${REPOS:-1000}
BIG_TAGS=${BIG_TAGS:-10000}
GC_BLOBS=${GC_BLOBS:-100000}
GC_REPOS=${GC_REPOS:-100}
GC_GRACE=${GC_GRACE:-00:01:00}
FSCK=${FSCK:-1}
CONNECTIONS=${CONNECTIONS:-16}
SCALED_BLOBS=${SCALED_BLOBS:-s3}
SECTIONS=${SECTIONS:-"manifests gc"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-39600}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
CEPH_OBJECTSTORE=${CEPH_OBJECTSTORE:-bluestore}
OUT=${OUT:-}
KEEP=${KEEP:-0}
MANIFEST_TYPE=application/vnd.oci.image.manifest.v1+json

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
on_server() { taskset -c "$SERVER_CPU" "$@"; }
on_client() { taskset -c "$CLIENT_CPU" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

[[ $SCALED_BLOBS == s3 || $SCALED_BLOBS == filesystem ]] || die "SCALED_BLOBS is s3 or filesystem"
tools=(curl taskset dotnet awk sha256sum python3)
[[ $SCALED_BLOBS == s3 ]] && tools+=(radosgw ceph-mon ceph-osd ceph radosgw-admin monmaptool ceph-authtool)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install postgresql radosgw ceph-mon ceph-osd curl util-linux python3)"
done
for size in $SIZES; do (( size % REPOS == 0 && size >= BIG_TAGS )) || die "each of SIZES must be a multiple of REPOS ($REPOS) and >= BIG_TAGS ($BIG_TAGS)"; done
# shellcheck source=private-backends.sh
. "$HERE/private-backends.sh"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PG_BIN/initdb ]] || PG_BIN=$(dirname "$(command -v initdb || true)")
[[ -x $PG_BIN/initdb ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found"

WORK=$(mktemp -d -p "$BENCH_TMP" berth-growth.XXXXXX)
chmod 755 "$WORK"
declare -A BERTH_PIDS
PG_DATA=$WORK/pg/data
CEPH=$WORK/ceph
cleanup() {
  local pid name
  for pid in "${BERTH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BERTH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
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
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1  # for the load helper only (unset for Berth below)

# ------------------------------------------------------------------------------------------ PostgreSQL
start_postgres

pg_script() { as_pg "$PG_BIN/psql" -h "$WORK/pg" -p "$PG_PORT" -U "$PG_USER" -d berth -v ON_ERROR_STOP=1 -qAt -f -; }

# ------------------------------------------------------------------------------------------ Ceph RGW
if [[ $SCALED_BLOBS == s3 ]]; then
  log "starting Ceph (mon, osd with $CEPH_OBJECTSTORE, radosgw)"
  start_rgw
fi

# -------------------------------------------------------------------------------------------- Berth
EMBEDDED_URL=http://127.0.0.1:$PORT_BASE
SCALED_URL=http://127.0.0.1:$((PORT_BASE + 1))
url_of() { if [[ $1 == embedded ]]; then echo "$EMBEDDED_URL"; else echo "$SCALED_URL"; fi; }
data_of() { echo "$WORK/$1/data"; }
# store_env embedded|scaled: STORE_ENV=(env ...), the command prefix with that store's settings (and nothing else).
# An array, not a function: a backgrounded function would run in a subshell whose pid is not Berth's.
store_env() {
  STORE_ENV=(env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS)
  [[ $1 == embedded ]] && return 0
  STORE_ENV+=(BERTH_METADATA__KIND=postgresql BERTH_METADATA__CONNECTION_STRING="$PG_CONNECTION")
  [[ $SCALED_BLOBS == s3 ]] || return 0
  STORE_ENV+=(BERTH_STORAGE__KIND=s3 BERTH_STORAGE__S3__BUCKET=berth-bench BERTH_STORAGE__S3__SERVICE_URL="$S3_URL"
    BERTH_STORAGE__S3__REGION=us-east-1 BERTH_STORAGE__S3__FORCE_PATH_STYLE=true
    BERTH_STORAGE__S3__ACCESS_KEY_ID="$S3_ACCESS_KEY" BERTH_STORAGE__S3__SECRET_ACCESS_KEY="$S3_SECRET_KEY")
}
wait_ready() { # name url
  local i
  for ((i = 0; i < 600; i++)); do
    if curl -s -o /dev/null --max-time 1 "$2"; then return 0; fi
    sleep 0.2
  done
  die "$1 did not start; see its log in the work folder (KEEP=1)"
}
start_berth() { # embedded|scaled
  local kind=$1 port=$PORT_BASE
  [[ $kind == scaled ]] && port=$((PORT_BASE + 1))
  mkdir -p "$WORK/$kind"
  store_env "$kind"
  "${STORE_ENV[@]}" taskset -c "$SERVER_CPU" "$BERTH" serve --listen "127.0.0.1:$port" --data "$(data_of "$kind")" --log-level Warning \
    >>"$WORK/$kind/log" 2>&1 &
  BERTH_PIDS[$kind]=$!
  echo "$!" >"$WORK/$kind/pid"
  wait_ready "Berth ($kind)" "$(url_of "$kind")/v2/"
  kill -0 "${BERTH_PIDS[$kind]}" 2>/dev/null || die "Berth ($kind) exited at start: $(tail -3 "$WORK/$kind/log" | tr '\n' ' ')"
}
stop_berth() {
  local pid=${BERTH_PIDS[$1]:-}
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "BERTH_PIDS[$1]"
}
berth_cli() { # kind command args...: a berth maintenance command on that store's data
  local kind=$1; shift
  store_env "$kind"
  "${STORE_ENV[@]}" taskset -c "$SERVER_CPU" "$BERTH" "$@" --data "$(data_of "$kind")"
}

# ------------------------------------------------------------------------ the referenced image (API)
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
head -c 4096 /dev/urandom >"$WORK/blob4k"; LAYER_DIGEST=$(sha "$WORK/blob4k"); LAYER_SIZE=4096
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":4096}],"annotations":{"org.opencontainers.image.title":"berth-benchmark"}}' \
  "$MANIFEST_TYPE" "$CONFIG_DIGEST" "$LAYER_DIGEST" >"$WORK/manifest.json"
APP_DIGEST=$(sha "$WORK/manifest.json")
# The seeded manifests' bytes: exactly Seed.Manifest in Berth.BenchTool (%s = i).
TEMPLATE='{"schemaVersion":2,"mediaType":"'$MANIFEST_TYPE'","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"'$CONFIG_DIGEST'","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"'$LAYER_DIGEST'","size":'$LAYER_SIZE'}],"annotations":{"org.opencontainers.image.title":"growth-%s"}}'
seeded_digest() { printf 'sha256:%s' "$(printf "$TEMPLATE" "$1" | sha256sum | cut -d' ' -f1)"; }

log "starting Berth on both stores; pushing bench/app:latest (config + layer + manifest) through the API"
for kind in embedded scaled; do
  start_berth "$kind"
  push_blob "$(url_of "$kind")" bench/app "$WORK/config.json" "$CONFIG_DIGEST"
  push_blob "$(url_of "$kind")" bench/app "$WORK/blob4k" "$LAYER_DIGEST"
  push_manifest "$(url_of "$kind")" bench/app latest "$WORK/manifest.json"
done

# ---------------------------------------------------------------------------------------------- seeding
seed_embedded() { # from to
  on_server "$TOOL" seed-sqlite --db "$(data_of embedded)/metadata.db" --from "$1" --to "$2" --repositories "$REPOS" \
    --big-tags "$BIG_TAGS" --config "$CONFIG_DIGEST" --layer "$LAYER_DIGEST" --layer-size "$LAYER_SIZE" >"$WORK/seed-sqlite.out" ||
    die "seeding SQLite failed"
}
seed_postgresql() { # from to: the rows PostgreSqlMetadataStore.PutManifestAsync and LinkBlobAsync write, set-based
  local at; at=$(date +%s%3N)
  pg_script <<SQL || die "seeding PostgreSQL failed"
BEGIN;
INSERT INTO repositories (name, created_at)
  SELECT 'growth/r' || lpad(r::text, 4, '0'), $at FROM generate_series(0, $REPOS - 1) AS r
  UNION ALL SELECT 'growth/big', $at
  ON CONFLICT (name) DO NOTHING;
INSERT INTO repository_blobs (repository_id, digest, linked_at)
  SELECT r.id, v.digest, $at FROM repositories r, (VALUES ('$CONFIG_DIGEST'), ('$LAYER_DIGEST')) AS v(digest)
  WHERE r.name LIKE 'growth/%'
  ON CONFLICT (repository_id, digest) DO NOTHING;
CREATE TEMP TABLE seed ON COMMIT DROP AS
  SELECT i, content, 'sha256:' || encode(sha256(content), 'hex') AS digest
  FROM (SELECT i, convert_to(format('$TEMPLATE', i), 'UTF8') AS content FROM generate_series($1::bigint, $2 - 1) AS i) AS s;
INSERT INTO manifest_contents (digest, media_type, content, artifact_type, annotations)
  SELECT digest, '$MANIFEST_TYPE', content, NULL, format('{"org.opencontainers.image.title":"growth-%s"}', i) FROM seed
  ON CONFLICT (digest) DO NOTHING;
CREATE TEMP TABLE seed_rows ON COMMIT DROP AS
  SELECT r.id AS repository_id, 't' || lpad((s.i / $REPOS)::text, 7, '0') AS tag, s.digest
  FROM seed s JOIN repositories r ON r.name = 'growth/r' || lpad((s.i % $REPOS)::text, 4, '0')
  UNION ALL
  SELECT (SELECT id FROM repositories WHERE name = 'growth/big'), 't' || lpad(s.i::text, 7, '0'), s.digest FROM seed s WHERE s.i < $BIG_TAGS;
INSERT INTO repository_manifests (repository_id, digest, subject, pushed_at)
  SELECT repository_id, digest, NULL, $at FROM seed_rows ON CONFLICT (repository_id, digest) DO NOTHING;
INSERT INTO manifest_references (digest, reference)
  SELECT s.digest, v.reference FROM seed s, (VALUES ('$CONFIG_DIGEST'), ('$LAYER_DIGEST')) AS v(reference)
  ON CONFLICT DO NOTHING;
INSERT INTO tags (repository_id, name, digest, updated_at)
  SELECT repository_id, tag, digest, $at FROM seed_rows
  ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at;
INSERT INTO tag_history (repository_id, tag, old_digest, new_digest, at, actor)
  SELECT repository_id, tag, NULL, digest, $at, NULL FROM seed_rows;
-- Every write adds one to a change counter shard; this seeding is one write.
UPDATE change_counters SET version = version + 1 WHERE shard = 0;
COMMIT;
ANALYZE;
SQL
}
check_status() { # what url expected-code [expected-digest]
  local code digest
  code=$(curl -sS -o "$WORK/check.body" -D "$WORK/check.h" -w '%{http_code}' -H "Accept: $MANIFEST_TYPE" "$2")
  digest=$(tr -d '\r' <"$WORK/check.h" | awk 'tolower($1) == "docker-content-digest:" {print $2}')
  [[ $code == "$3" ]] || die "$1: $2 answered $code, not $3"
  [[ -z ${4:-} || $digest == "$4" ]] || die "$1: $2 has Docker-Content-Digest $digest, not $4"
}
verify_seeded() { # kind size
  local base i tag
  base=$(url_of "$1"); i=$(( ($2 / REPOS / 2) * REPOS + REPOS / 2 ))
  tag=$(printf 't%07d' $((i / REPOS)))
  check_status "$1" "$base/v2/growth/r$(printf %04d $((i % REPOS)))/manifests/$tag" 200 "$(seeded_digest "$i")"
  check_status "$1" "$base/v2/growth/r$(printf %04d $((i % REPOS)))/manifests/$(seeded_digest "$i")" 200 "$(seeded_digest "$i")"
  check_status "$1" "$base/v2/growth/big/manifests/$(printf 't%07d' $((BIG_TAGS - 1)))" 200 "$(seeded_digest $((BIG_TAGS - 1)))"
  check_status "$1" "$base/v2/growth/r0000/manifests/$(printf 't%07d' $(($2 / REPOS - 1)))" 200 "$(seeded_digest $(($2 - REPOS)))"
  curl -sS -f -o "$WORK/check.layer" "$base/v2/growth/r$(printf %04d $((i % REPOS)))/blobs/$LAYER_DIGEST" || die "$1: layer GET through growth failed"
  [[ $(sha "$WORK/check.layer") == "$LAYER_DIGEST" ]] || die "$1: the layer served has the wrong digest"
  [[ $(curl -sS "$base/v2/growth/big/tags/list?n=100&last=$(printf 't%07d' $((BIG_TAGS / 2)))" | grep -o '"t[0-9]*"' | wc -l) == 100 ]] ||
    die "$1: growth/big tags/list?n=100 did not return 100 tags"
  [[ $(curl -sS "$base/v2/_catalog?n=100&last=growth/r0500" | grep -o '"growth/r[0-9]*"' | wc -l) == 100 ]] ||
    die "$1: _catalog?n=100 did not return 100 repositories"
}

# ---------------------------------------------------------------------------------------- measurement
cpu_ticks() { local t=0 pid; for pid in "$@"; do [[ -r /proc/$pid/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$t"; }
postgres_ticks() {
  local postmaster
  postmaster=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null) || { echo 0; return; }
  # shellcheck disable=SC2046
  cpu_ticks "$postmaster" $(pgrep -P "$postmaster")
}
# load_measure KEY SUBJECT URL: closed-loop GET load at CONNECTIONS (after WARMUP s of it before the figure's
# first run); records KEY_rps, KEY_p99, Berth's and PostgreSQL's CPU per request, the load average.
declare -A WARMED
load_measure() {
  local key=$1 subject=$2 url=$3 warm=0 raw rps p99 errors berth_before pg_before berth_after pg_after hz
  [[ -n ${WARMED[$key-$subject]:-} ]] || { warm=$WARMUP; WARMED[$key-$subject]=1; }
  raw=$WORK/load-$key-$subject.txt
  if (( warm > 0 )); then
    on_client "$TOOL" load --url "$url" --method GET --connections "$CONNECTIONS" --seconds "$warm" --warmup 0 \
      --header "Accept: $MANIFEST_TYPE" >/dev/null 2>&1 || true
  fi
  berth_before=$(cpu_ticks "${BERTH_PIDS[$subject]}"); pg_before=$(postgres_ticks)
  on_client "$TOOL" load --url "$url" --method GET --connections "$CONNECTIONS" --seconds "$DURATION" --warmup 0 \
    --header "Accept: $MANIFEST_TYPE" >"$raw" 2>&1 || true
  berth_after=$(cpu_ticks "${BERTH_PIDS[$subject]}"); pg_after=$(postgres_ticks)
  rps=$(sed -n 's/^rps=//p' "$raw"); p99=$(sed -n 's/^p99_ms=//p' "$raw")
  errors=$(awk -F= '/^(non2xx3xx|socket_errors)=/ {n += $2} END {print n + 0}' "$raw")
  [[ -n $rps ]] || { note "$subject $key: load helper produced no result ($(head -c 200 "$raw" | tr '\n' ' '))"; return; }
  hz=$(getconf CLK_TCK)
  record "${key}_berth_us" "$subject" "$(awk -v t=$((berth_after - berth_before)) -v hz="$hz" -v r="$rps" -v d="$DURATION" 'BEGIN {printf "%.0f", t / hz * 1e6 / (r * d)}')"
  [[ $subject == scaled ]] &&
    record "${key}_pg_us" "$subject" "$(awk -v t=$((pg_after - pg_before)) -v hz="$hz" -v r="$rps" -v d="$DURATION" 'BEGIN {printf "%.0f", t / hz * 1e6 / (r * d)}')"
  record "${key}_rps" "$subject" "$rps"; record "${key}_p99" "$subject" "$p99"
  record "${key}_load" "$subject" "$(cut -d' ' -f1 /proc/loadavg)"
  (( errors == 0 )) || note "$subject $key: $errors errors in one run"
}
order() { if (( $1 % 2 )); then echo embedded scaled; else echo scaled embedded; fi; }

MEASURED_SIZES=()
if has_section manifests || has_section gc; then
  seeded=0
  for size in $SIZES; do
    log "seeding manifests $seeded..$size (Berth stopped)"
    stop_berth embedded; stop_berth scaled
    started=$(now); seed_embedded "$seeded" "$size"; record seed_s "embedded-$size" "$(since "$started")"
    log "  SQLite: $(median seed_s "embedded-$size") s"
    started=$(now); seed_postgresql "$seeded" "$size"; record seed_s "scaled-$size" "$(since "$started")"
    log "  PostgreSQL: $(median seed_s "scaled-$size") s"
    record db_mib "embedded-$size" "$(du -sm "$(data_of embedded)" | cut -f1)"
    record db_mib "scaled-$size" "$(pg_sql "SELECT pg_database_size('berth') / 1048576" berth)"
    seeded=$size
    for kind in embedded scaled; do start_berth "$kind"; verify_seeded "$kind" "$size"; done
    log "  both stores serve the seeded manifests (Docker-Content-Digest checked)"
    has_section manifests || continue
    MEASURED_SIZES+=("$size")
    i=$(( (size / REPOS / 2) * REPOS + REPOS / 2 ))
    log "measuring at $size manifests, $CONNECTIONS connections"
    for ((run = 1; run <= RUNS; run++)); do
      for subject in $(order "$run"); do
        base=$(url_of "$subject")
        load_measure "get_tag_$size" "$subject" "$base/v2/growth/r$(printf %04d $((i % REPOS)))/manifests/$(printf 't%07d' $((i / REPOS)))"
        load_measure "tags_page_$size" "$subject" "$base/v2/growth/big/tags/list?n=100&last=$(printf 't%07d' $((BIG_TAGS / 2)))"
        load_measure "catalog_page_$size" "$subject" "$base/v2/_catalog?n=100&last=growth/r$(printf %04d $((REPOS / 2)))"
      done
    done
    # Memory with this many manifests and tags stored: what each Berth holds after the load, and its peak.
    for subject in embedded scaled; do
      record "rss_$size" "$subject" "$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/${BERTH_PIDS[$subject]}/status")"
      record "hwm_$size" "$subject" "$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/${BERTH_PIDS[$subject]}/status")"
    done
  done
fi

# --------------------------------------------------------------------------------------------------- GC
s3_curl=(curl -sS --no-progress-meter --aws-sigv4 "aws:amz:us-east-1:s3" --user "${S3_ACCESS_KEY:-}:${S3_SECRET_KEY:-}"
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
s3_blob_count() { # keys under blobs/ in the bucket (first 1000); the '/' of the prefix encoded, as SigV4 signs it
  "${s3_curl[@]}" -o "$WORK/s3-list.xml" "$S3_URL/berth-bench?list-type=2&max-keys=1000&prefix=blobs%2F" || true
  grep -q '<ListBucketResult' "$WORK/s3-list.xml" 2>/dev/null || { echo "?"; note "listing the bucket failed: $(head -c 200 "$WORK/s3-list.xml" 2>/dev/null)"; return 0; }
  grep -o '<Key>' "$WORK/s3-list.xml" | wc -l
}
json_count() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); k = [x for x in r if x.lower() == sys.argv[2].lower()]; v = r[k[0]] if k else None; print(len(v) if isinstance(v, list) else v)' "$1" "$2"; }
if has_section gc; then
  GC_SIZE=${seeded:-0}
  log "GC: seeding $GC_BLOBS unreferenced blobs (links and bytes 48 h old) on each store (Berth stopped)"
  stop_berth embedded; stop_berth scaled
  started=$(now)
  on_server "$TOOL" seed-blobs --dir "$(data_of embedded)/blobs" --count "$GC_BLOBS" --list "$WORK/gc-embedded.txt" --seed embedded >/dev/null
  on_server "$TOOL" seed-sqlite-links --db "$(data_of embedded)/metadata.db" --list "$WORK/gc-embedded.txt" --repositories "$GC_REPOS" >/dev/null
  record gc_seed_s embedded "$(since "$started")"
  started=$(now)
  if [[ $SCALED_BLOBS == s3 ]]; then
    on_server "$TOOL" seed-blobs --dir "$WORK/s3-seed" --count "$GC_BLOBS" --list "$WORK/gc-scaled.txt" --seed scaled >/dev/null
    # One curl, 32 PutObjects in flight, from a config file of url/upload-file pairs.
    awk -v u="$S3_URL/berth-bench/blobs/sha256" -v d="$WORK/s3-seed/sha256" \
      '{h = substr($1, 8); printf "url = \"%s/%s/%s\"\nupload-file = \"%s/%s/%s\"\noutput = \"/dev/null\"\n", u, substr(h, 1, 2), h, d, substr(h, 1, 2), h}' \
      "$WORK/gc-scaled.txt" >"$WORK/s3-put.conf"
    on_client "${s3_curl[@]}" -f -Z --parallel-max 32 -H 'Content-Type: application/octet-stream' -K "$WORK/s3-put.conf" ||
      die "uploading the unreferenced blobs to RGW failed"
    S3_SEEDED_AT=$(date +%s)
    rm -rf "$WORK/s3-seed" "$WORK/s3-put.conf"
  else
    on_server "$TOOL" seed-blobs --dir "$(data_of scaled)/blobs" --count "$GC_BLOBS" --list "$WORK/gc-scaled.txt" --seed scaled >/dev/null
  fi
  linked_at=$(( $(date +%s%3N) - 48 * 3600 * 1000 ))
  chmod 644 "$WORK/gc-scaled.txt"
  pg_script <<SQL || die "seeding PostgreSQL blob links failed"
BEGIN;
CREATE TEMP TABLE gc_digests (n bigserial, digest text COLLATE "C") ON COMMIT DROP;
COPY gc_digests (digest) FROM '$WORK/gc-scaled.txt';
INSERT INTO repositories (name, created_at)
  SELECT 'gc/r' || lpad(r::text, 4, '0'), $linked_at FROM generate_series(0, $GC_REPOS - 1) AS r ON CONFLICT (name) DO NOTHING;
INSERT INTO repository_blobs (repository_id, digest, linked_at)
  SELECT r.id, g.digest, $linked_at FROM gc_digests g JOIN repositories r ON r.name = 'gc/r' || lpad(((g.n - 1) % $GC_REPOS)::text, 4, '0')
  ON CONFLICT (repository_id, digest) DO NOTHING;
UPDATE change_counters SET version = version + 1 WHERE shard = 0;
COMMIT;
ANALYZE repository_blobs;
SQL
  record gc_seed_s scaled "$(since "$started")"
  for kind in embedded scaled; do
    blobs=$((GC_BLOBS + 2))
    if (( FSCK )); then
      log "fsck on $kind ($blobs blobs, $GC_SIZE manifests)"
      started=$(now)
      berth_cli "$kind" fsck --output json >"$WORK/fsck-$kind.json" 2>"$WORK/fsck-$kind.err" || note "$kind: fsck exited non-zero ($(head -c 300 "$WORK/fsck-$kind.err" | tr '\n' ' '))"
      record fsck_s "$kind" "$(since "$started")"
      record fsck_checked "$kind" "$(json_count "$WORK/fsck-$kind.json" BlobsChecked 2>/dev/null || echo '?')"
      log "  $(median fsck_s "$kind") s, $(median fsck_checked "$kind") blobs checked"
    fi
    if [[ $kind == scaled && $SCALED_BLOBS == s3 ]]; then
      # S3 objects carry their real upload time: wait until they are older than the grace period.
      grace_s=$(awk -F: '{print $1 * 3600 + $2 * 60 + $3}' <<<"$GC_GRACE")
      wait_s=$(( S3_SEEDED_AT + grace_s + 5 - $(date +%s) ))
      (( wait_s > 0 )) && { log "  waiting ${wait_s} s for the objects to pass the grace period"; sleep "$wait_s"; }
    fi
    log "gc on $kind (grace period $GC_GRACE)"
    started=$(now)
    berth_cli "$kind" gc --grace-period "$GC_GRACE" --output json >"$WORK/gc-$kind.json" 2>"$WORK/gc-$kind.err" ||
      die "$kind: gc failed: $(head -c 300 "$WORK/gc-$kind.err")"
    record gc_s "$kind" "$(since "$started")"
    record gc_blobs "$kind" "$(json_count "$WORK/gc-$kind.json" BlobsDeleted)"
    record gc_links "$kind" "$(json_count "$WORK/gc-$kind.json" BlobLinksRemoved)"
    log "  $(median gc_s "$kind") s: $(median gc_blobs "$kind") blobs, $(median gc_links "$kind") links removed"
    # Afterwards: the unreferenced blobs and links are gone, the referenced image still pulls.
    if [[ $kind == embedded ]]; then
      left=$(find "$(data_of embedded)/blobs" -type f | wc -l)
      links=$(sqlite3 "$(data_of embedded)/metadata.db" "SELECT count(*) FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id WHERE r.name LIKE 'gc/%'")
    else
      if [[ $SCALED_BLOBS == s3 ]]; then left=$(s3_blob_count); else left=$(find "$(data_of scaled)/blobs" -type f | wc -l); fi
      links=$(pg_sql "SELECT count(*) FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id WHERE r.name LIKE 'gc/%'" berth)
    fi
    record gc_left "$kind" "$left"
    [[ $left == 2 && $links == 0 ]] || note "$kind: after gc $left blob(s) stored (expected 2: the config and the layer) and $links gc link(s) left (expected 0)"
    start_berth "$kind"
    base=$(url_of "$kind")
    check_status "$kind after gc" "$base/v2/bench/app/manifests/latest" 200 "$APP_DIGEST"
    for digest in "$CONFIG_DIGEST" "$LAYER_DIGEST"; do
      curl -sS -f -o "$WORK/pulled" "$base/v2/bench/app/blobs/$digest" || die "$kind after gc: blob $digest does not pull"
      [[ $(sha "$WORK/pulled") == "$digest" ]] || die "$kind after gc: blob $digest served with other bytes"
    done
    (( GC_SIZE > 0 )) && verify_seeded "$kind" "$GC_SIZE"
    log "  $kind: bench/app:latest and the seeded images still pull"
  done
fi

# ------------------------------------------------------------------------------------------ health
for kind in embedded scaled; do
  pid=${BERTH_PIDS[$kind]:-}
  [[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || note "$kind exited during the run"
  lines=$(grep -cvE '^\s*$|listening on|Now listening' "$WORK/$kind/log" || true)
  (( lines == 0 )) || note "$kind logged $lines line(s) at log level Warning; first: $(grep -vE '^\s*$|listening on' "$WORK/$kind/log" | head -1 | sed "s|$WORK|<work>|g" | cut -c1-200)"
done
LOAD_END=$(loadavg)

# ---------------------------------------------------------------------------------------------- report
fmt() { [[ -n $1 ]] || { printf 'n/a'; return; }; awk -v v="$1" -v d="$2" 'BEGIN {printf "%.*f", d, v}'; }
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "n/a"}' || printf 'n/a'; }
human() { awk -v n="$1" 'BEGIN {if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6; else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n}'; }
report() {
  local e s size first last scaled_name
  scaled_name="PostgreSQL + $([[ $SCALED_BLOBS == s3 ]] && echo "S3 (Ceph RGW)" || echo filesystem)"
  echo "# Berth growth benchmark: $START_TIME"
  echo
  echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; Berth, PostgreSQL$([[ $SCALED_BLOBS == s3 ]] && echo " and Ceph") on CPU $SERVER_CPU, load generator on CPU $CLIENT_CPU"
  echo "- Kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME"); .NET $(dotnet --version); PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (stock settings, fsync on)$([[ $SCALED_BLOBS == s3 ]] && echo "; Ceph $(ceph --version | awk '{print $3}') RGW, $CEPH_OBJECTSTORE OSD")"
  echo "- Load average (1/5/15 min): $LOAD_START at the start, $LOAD_END at the end (other work shares the machine)"
  echo "- Data set at N manifests: N distinct OCI image manifests in $REPOS repositories (N/$REPOS tags each), and $BIG_TAGS of them also tagged in growth/big; seeded straight into the metadata database, Berth stopped, then started cold; Berth with default settings"
  echo "- Load figures: $CONNECTIONS connections, closed loop, median of $RUNS run(s) of ${DURATION} s, after ${WARMUP} s of the same load before each figure's first run; scaled-out column: $scaled_name, one Berth process"
  echo
  echo "| Figure | N | Embedded (SQLite + filesystem) | $scaled_name | Ratio |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for size in "${MEASURED_SIZES[@]}"; do
    for key in get_tag tags_page catalog_page; do
      case $key in
        get_tag) label="Manifest GET by tag (middle repository, middle tag)" ;;
        tags_page) label="Tags list n=100, middle page of growth/big ($BIG_TAGS tags)" ;;
        catalog_page) label="Catalog n=100, middle page ($REPOS+ repositories)" ;;
      esac
      e=$(median "${key}_${size}_rps" embedded); s=$(median "${key}_${size}_rps" scaled)
      echo "| $label (req/s) | $(human "$size") | $(fmt "$e" 0) | $(fmt "$s" 0) | $(ratio "$s" "$e") |"
      e=$(median "${key}_${size}_p99" embedded); s=$(median "${key}_${size}_p99" scaled)
      echo "| $label, p99 (ms) | $(human "$size") | $(fmt "$e" 2) | $(fmt "$s" 2) | $(ratio "$s" "$e") |"
      e=$(median "${key}_${size}_berth_us" embedded); s=$(median "${key}_${size}_berth_us" scaled)
      echo "| $label, Berth CPU per request (µs) | $(human "$size") | $(fmt "$e" 0) | $(fmt "$s" 0)$([[ -n $(median "${key}_${size}_pg_us" scaled) ]] && echo " + PostgreSQL $(fmt "$(median "${key}_${size}_pg_us" scaled)" 0)") | |"
    done
  done
  for size in "${MEASURED_SIZES[@]}"; do
    echo "| Berth resident memory after the load, peak in parentheses (MiB) | $(human "$size") | $(median "rss_$size" embedded) ($(median "hwm_$size" embedded)) | $(median "rss_$size" scaled) ($(median "hwm_$size" scaled)) | |"
  done
  if [[ ${#MEASURED_SIZES[@]} -ge 2 ]]; then
    first=${MEASURED_SIZES[0]}; last=${MEASURED_SIZES[-1]}
    echo
    echo "Growth from $(human "$first") to $(human "$last") manifests (req/s at $(human "$last") / req/s at $(human "$first"); p99 at $(human "$last") / p99 at $(human "$first")):"
    echo
    echo "| Figure | Embedded req/s | Embedded p99 | $scaled_name req/s | $scaled_name p99 |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    for key in get_tag tags_page catalog_page; do
      echo "| $key | $(ratio "$(median "${key}_${last}_rps" embedded)" "$(median "${key}_${first}_rps" embedded)") | $(ratio "$(median "${key}_${last}_p99" embedded)" "$(median "${key}_${first}_p99" embedded)") | $(ratio "$(median "${key}_${last}_rps" scaled)" "$(median "${key}_${first}_rps" scaled)") | $(ratio "$(median "${key}_${last}_p99" scaled)" "$(median "${key}_${first}_p99" scaled)") |"
    done
  fi
  echo
  echo "## Seeding"
  echo
  echo "| Step | Embedded (SQLite) | PostgreSQL |"
  echo "| --- | ---: | ---: |"
  prev=0
  for size in $SIZES; do
    [[ -n $(median seed_s "embedded-$size") ]] || continue
    echo "| Manifests $(human "$prev")..$(human "$size") (s) | $(fmt "$(median seed_s "embedded-$size")" 1) | $(fmt "$(median seed_s "scaled-$size")" 1) |"
    echo "| Metadata size at $(human "$size") (MiB; SQLite: whole data folder) | $(median db_mib "embedded-$size") | $(median db_mib "scaled-$size") |"
    prev=$size
  done
  [[ -n $(median gc_seed_s embedded) ]] &&
    echo "| $(human "$GC_BLOBS") unreferenced blobs: bytes and links (s) | $(fmt "$(median gc_seed_s embedded)" 1) | $(fmt "$(median gc_seed_s scaled)" 1) ($([[ $SCALED_BLOBS == s3 ]] && echo "PutObjects" || echo "files") + COPY) |"
  if has_section gc; then
    echo
    echo "## Garbage collection and fsck: $(human "$GC_BLOBS") unreferenced blobs (+ 2 referenced), $(human "${GC_SIZE:-0}") manifests stored"
    echo
    echo "| Figure | Embedded (SQLite + filesystem) | $scaled_name |"
    echo "| --- | ---: | ---: |"
    (( FSCK )) && echo "| \`berth fsck\`, start to end (s) | $(fmt "$(median fsck_s embedded)" 1) | $(fmt "$(median fsck_s scaled)" 1) |"
    (( FSCK )) && echo "| fsck: blobs checked | $(median fsck_checked embedded) | $(median fsck_checked scaled) |"
    echo "| \`berth gc --grace-period $GC_GRACE\`, start to end (s) | $(fmt "$(median gc_s embedded)" 1) | $(fmt "$(median gc_s scaled)" 1) |"
    echo "| gc: blobs deleted / links removed | $(median gc_blobs embedded) / $(median gc_links embedded) | $(median gc_blobs scaled) / $(median gc_links scaled) |"
    echo "| gc: blobs deleted per second | $(awk -v n="$(median gc_blobs embedded)" -v s="$(median gc_s embedded)" 'BEGIN {if (s > 0) printf "%.0f", n / s}') | $(awk -v n="$(median gc_blobs scaled)" -v s="$(median gc_s scaled)" 'BEGIN {if (s > 0) printf "%.0f", n / s}') |"
    echo "| Blobs stored after gc (expected 2) | $(median gc_left embedded) | $(median gc_left scaled) |"
  fi
  echo
  echo "## Every run (1-min load average at the end of each run)"
  echo
  for size in "${MEASURED_SIZES[@]}"; do
    for key in get_tag tags_page catalog_page; do
      for subject in embedded scaled; do
        v=$(all_runs "${key}_${size}_rps" "$subject"); [[ -n $v ]] || continue
        echo "- ${key} $(human "$size") $subject: req/s $v; p99 ms $(all_runs "${key}_${size}_p99" "$subject") (load $(all_runs "${key}_${size}_load" "$subject"))"
      done
    done
  done
  echo
  echo "## Notes"
  echo
  if [[ -s $NOTES ]]; then cat "$NOTES"; else echo "- none: no errors, failed checks or unexpected status codes"; fi
}
if [[ -n $OUT ]]; then report | tee "$OUT"; else report; fi
