#!/usr/bin/env bash
# Berth against CNCF Distribution (Debian's docker-registry) and nginx as the ceiling, on one machine.
# See README.md, section "Benchmarks". Usage:
#   benchmarks/run.sh                 # full: every figure the median of 3 runs x 10 s
#   QUICK=1 benchmarks/run.sh         # development: 1 run x 3 s
#   OUT=benchmarks/results/x.md benchmarks/run.sh   # also write the report (markdown) to a file
# Knobs (environment): RUNS, DURATION (s), WARMUP (s), CONNECTIONS ("1 16 64"), LIST_CONNECTIONS (16),
#   BIG_MIB (256), CHUNK_MIB (8), SMALL_PUSHES (500), PUSH_CLIENTS (16), TAGS (10000),
#   SERVER_CPU (0), CLIENT_CPU (1), PORT_BASE (39400), BENCH_TMP (/var/tmp; must be on the data disk),
#   SECTIONS ("ceilings manifest blob list push small"; a subset runs only those; "accesslog" adds the access-log
#   cost, see benchmarks/access-log.sh), ACCESS_LOG_CONNECTIONS ("16 64"), KEEP=1 keeps the work folder,
#   SKIP_BUILD=1 reuses the last Release build.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  RUNS=${RUNS:-1}; DURATION=${DURATION:-3}; WARMUP=${WARMUP:-1}
else
  RUNS=${RUNS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-2}
fi
CONNECTIONS=${CONNECTIONS:-"1 16 64"}
LIST_CONNECTIONS=${LIST_CONNECTIONS:-16}
BIG_MIB=${BIG_MIB:-256}
CHUNK_MIB=${CHUNK_MIB:-8}
SMALL_PUSHES=${SMALL_PUSHES:-500}
PUSH_CLIENTS=${PUSH_CLIENTS:-16}
TAGS=${TAGS:-10000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-39400}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
SECTIONS=${SECTIONS:-"ceilings manifest blob list push small"}
ACCESS_LOG_CONNECTIONS=${ACCESS_LOG_CONNECTIONS:-"16 64"}
OUT=${OUT:-}
KEEP=${KEEP:-0}

BERTH_PORT=$PORT_BASE
DIST_PORT=$((PORT_BASE + 1))
NGINX_PORT=$((PORT_BASE + 2))
LOGGED_PORT=$((PORT_BASE + 3))
BERTH_URL=http://127.0.0.1:$BERTH_PORT
DIST_URL=http://127.0.0.1:$DIST_PORT
NGINX_URL=http://127.0.0.1:$NGINX_PORT
LOGGED_URL=http://127.0.0.1:$LOGGED_PORT
MANIFEST_TYPE=application/vnd.oci.image.manifest.v1+json
SERVERS=(berth dist)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
# "berthlog": a second Berth with the default log level (the access log on), for the accesslog section.
if has_section accesslog; then SERVERS+=(berthlog); fi
on_server() { taskset -c "$SERVER_CPU" "$@"; }
on_client() { taskset -c "$CLIENT_CPU" "$@"; }
url_of() { case $1 in berth) echo "$BERTH_URL" ;; dist) echo "$DIST_URL" ;; nginx) echo "$NGINX_URL" ;; berthlog) echo "$LOGGED_URL" ;; esac; }

for tool in wrk curl nginx docker-registry taskset dotnet awk sha256sum dd split; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk nginx docker-registry curl util-linux procps)"
done
(( $(nproc) >= 2 )) || log "warning: fewer than 2 CPUs; server and load generator will share a core"

WORK=$(mktemp -d -p "$BENCH_TMP" berth-bench.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $KEEP == 1 ]]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every measurement appends "key<TAB>subject<TAB>value"; the report takes medians.
RESULTS=$WORK/results.tsv
NOTES=$WORK/notes.txt
: >"$RESULTS"; : >"$NOTES"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }
median() { # key subject
  awk -F'\t' -v k="$1" -v s="$2" '$1==k && $2==s {print $3}' "$RESULTS" | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
now() { date +%s.%N; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
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
# The load generators (not the servers: those run as users run them, issue 16) resume socket continuations on
# the epoll thread, like wrk's event loop.
on_client_tool() { DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 on_client "$TOOL" "$@"; }

# ------------------------------------------------------------------------------------------- ceilings
if has_section ceilings; then
  log "ceilings: hashing, disk"
  for ((run = 1; run <= RUNS; run++)); do
    for alg in sha256 sha512; do
      v=$(on_server "$TOOL" hash --algorithm "$alg" --seconds "$(( DURATION < 5 ? DURATION : 5 ))" | sed -n 's/^mbps=//p')
      record "hash_$alg" machine "$v"
    done
    # Sequential write + fsync of 1 GiB to the disk that holds the registries' data.
    out=$(on_server dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1024 conv=fsync 2>&1 | tail -1)
    rm -f "$WORK/dd.bin"
    secs=$(awk -F', ' '{split($3, t, " "); print t[1]}' <<<"$out")
    record disk_fsync machine "$(awk -v s="$secs" 'BEGIN {printf "%.1f", 1073741824 / s / 1e6}')"
    # 1 KiB write + fsync + rename, one after another.
    v=$(on_server "$TOOL" small-files --dir "$WORK/small-files" --seconds "$(( DURATION < 5 ? DURATION : 5 ))" | sed -n 's/^per_second=//p')
    rm -rf "$WORK/small-files"
    record small_files machine "$v"
  done
fi

# -------------------------------------------------------------------------------------------- servers
for port in "$BERTH_PORT" "$DIST_PORT" "$NGINX_PORT" "$LOGGED_PORT"; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then die "port $port is in use; set PORT_BASE"; fi
done

mkdir -p "$WORK/static" "$WORK/dist-data" "$WORK/nginx"
cat >"$WORK/dist.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/dist-data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$DIST_PORT
EOF
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
user root;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/static;
  }
}
EOF

log "starting Berth, Distribution and nginx on CPU $SERVER_CPU"
taskset -c "$SERVER_CPU" "$BERTH" serve --listen "127.0.0.1:$BERTH_PORT" --data "$WORK/berth-data" --log-level Warning >"$WORK/berth.log" 2>&1 &
BERTH_PID=$!; PIDS+=("$BERTH_PID")
taskset -c "$SERVER_CPU" docker-registry serve "$WORK/dist.yml" >"$WORK/dist.log" 2>&1 &
DIST_PID=$!; PIDS+=("$DIST_PID")
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
if has_section accesslog; then
  # Default settings, so the access log is on; its stdout goes to a real file on the data disk, as an operator's would.
  taskset -c "$SERVER_CPU" "$BERTH" serve --listen "127.0.0.1:$LOGGED_PORT" --data "$WORK/berthlog-data" >"$WORK/berthlog.log" 2>&1 &
  LOGGED_PID=$!; PIDS+=("$LOGGED_PID")
fi

wait_ready() { # name url
  local i
  for ((i = 0; i < 300; i++)); do
    if curl -s -o /dev/null --max-time 1 "$2"; then return 0; fi
    sleep 0.2
  done
  die "$1 did not start; see its log"
}
wait_ready Berth "$BERTH_URL/v2/"
wait_ready Distribution "$DIST_URL/v2/"
wait_ready nginx "$NGINX_URL/"
has_section accesslog && wait_ready "Berth (access log on)" "$LOGGED_URL/v2/"

# ----------------------------------------------------------------------------------- seeding (curl)
# push_blob BASE REPO FILE DIGEST: POST a session, PUT the bytes with ?digest= (works on both registries).
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
manifest_json() { # config-digest layer-digest layer-size
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}],"annotations":{"org.opencontainers.image.title":"berth-benchmark"}}' \
    "$MANIFEST_TYPE" "$1" "$2" "$3"
}

log "seeding both registries through the HTTP API"
printf '{}' >"$WORK/config.json"; CONFIG_DIGEST=$(sha "$WORK/config.json")
head -c 4096 /dev/urandom >"$WORK/blob4k"; BLOB4K_DIGEST=$(sha "$WORK/blob4k")
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.bin"; BIG_DIGEST=$(sha "$WORK/big.bin")
manifest_json "$CONFIG_DIGEST" "$BLOB4K_DIGEST" 4096 >"$WORK/manifest.json"
manifest_json "$CONFIG_DIGEST" "$BIG_DIGEST" $((BIG_MIB << 20)) >"$WORK/manifest-big.json"
MANIFEST_DIGEST=$(sha "$WORK/manifest.json")
MANIFEST_SIZE=$(stat -c %s "$WORK/manifest.json")
TAG_WIDTH=${#TAGS}
for server in "${SERVERS[@]}"; do
  base=$(url_of "$server")
  for repo in bench/app bench/tags; do
    push_blob "$base" "$repo" "$WORK/config.json" "$CONFIG_DIGEST"
    push_blob "$base" "$repo" "$WORK/blob4k" "$BLOB4K_DIGEST"
  done
  push_manifest "$base" bench/app latest "$WORK/manifest.json"
  if has_section blob; then
    push_blob "$base" bench/app "$WORK/big.bin" "$BIG_DIGEST"
    push_manifest "$base" bench/app big "$WORK/manifest-big.json"
  fi
  if has_section list; then
    # TAGS tags on one manifest, 16 PUTs in flight (curl URL globbing: t00001 … t10000).
    seed_start=$(now)
    curl -sS --no-progress-meter -Z --parallel-max 16 -X PUT -H "Content-Type: $MANIFEST_TYPE" --data-binary @"$WORK/manifest.json" \
      -w '%{stderr}code=%{http_code}\n' "$base/v2/bench/tags/manifests/t[$(printf "%0${TAG_WIDTH}d" 1)-$TAGS]" \
      >/dev/null 2>"$WORK/tags-$server.codes" || true
    created=$(grep -o 'code=201' "$WORK/tags-$server.codes" | wc -l)
    log "  $server: $created/$TAGS tags in $(awk -v a="$seed_start" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}') s"
    [[ $created == "$TAGS" ]] || die "$server created only $created of $TAGS tags"
  fi
done
# nginx serves same-size static files.
head -c "$MANIFEST_SIZE" /dev/urandom >"$WORK/static/manifest"
cp "$WORK/blob4k" "$WORK/static/blob4k"
has_section blob && cp "$WORK/big.bin" "$WORK/static/big"

# Sanity: every request the load generators send must get the answer it is meant to measure.
declare -A ETAG
for server in "${SERVERS[@]}"; do
  base=$(url_of "$server")
  ETAG[$server]=$(curl -sS -D - -o /dev/null -H "Accept: $MANIFEST_TYPE" "$base/v2/bench/app/manifests/latest" |
    tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}')
  [[ -n ${ETAG[$server]} ]] || note "$server sends no ETag on a manifest GET; the 304 test will measure 200s"
  expect() { # status curl-args...
    local want=$1 got; shift
    got=$(curl -sS -o /dev/null -w '%{http_code}' "$@")
    [[ $got == "$want" ]] || note "$server: expected $want, got $got for: ${*: -1}"
  }
  expect 200 -H "Accept: $MANIFEST_TYPE" "$base/v2/bench/app/manifests/latest"
  expect 200 -I -H "Accept: $MANIFEST_TYPE" "$base/v2/bench/app/manifests/$MANIFEST_DIGEST"
  expect 304 -H "Accept: $MANIFEST_TYPE" -H "If-None-Match: ${ETAG[$server]}" "$base/v2/bench/app/manifests/latest"
  expect 200 "$base/v2/bench/app/blobs/$BLOB4K_DIGEST"
  if has_section list; then
    expect 200 "$base/v2/bench/tags/tags/list"
    page=$(curl -sS "$base/v2/bench/tags/tags/list?n=100" | grep -o '"t[0-9]*"' | wc -l)
    [[ $page == 100 ]] || note "$server: tags/list?n=100 returned $page tags (pagination not honoured)"
  fi
done

# -------------------------------------------------------------------------------------- load helpers
# wrk_measure KEY SUBJECT CONNECTIONS URL [wrk args...]: records KEY_rps and KEY_p99 (ms).
declare -A WARMED
wrk_measure() {
  local key=$1 subject=$2 conns=$3 url=$4; shift 4
  local raw=$WORK/wrk-$key-$subject.txt
  if [[ -z ${WARMED[$key-$subject]:-} ]]; then
    on_client wrk -t1 -c"$conns" -d"${WARMUP}s" --timeout 10s "$@" "$url" >/dev/null 2>&1 || true
    WARMED[$key-$subject]=1
  fi
  on_client wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s --latency "$@" "$url" >"$raw" 2>&1 || true
  local rps p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
  p99=$(awk '$1 == "99%" {v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", v * f}' "$raw")
  errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$raw")
  [[ -n $rps ]] || { note "$subject $key: wrk produced no result ($(head -c 200 "$raw" | tr '\n' ' '))"; return; }
  record "${key}_rps" "$subject" "$rps"
  record "${key}_p99" "$subject" "$p99"
  record "${key}_err" "$subject" "$errors"
  record "${key}_n" "$subject" "$(awk '/requests in/ {print $1}' "$raw")"
  (( errors == 0 )) || note "$subject $key: $errors errors in one run (non-2xx/3xx responses or socket errors/timeouts)"
}
# head_measure KEY SUBJECT CONNECTIONS URL [--header H]...: HEAD load through the helper (wrk cannot do HEAD).
head_measure() {
  local key=$1 subject=$2 conns=$3 url=$4; shift 4
  local warm=0
  [[ -n ${WARMED[$key-$subject]:-} ]] || { warm=$WARMUP; WARMED[$key-$subject]=1; }
  local raw=$WORK/head-$key-$subject.txt
  on_client_tool load --url "$url" --method HEAD --connections "$conns" --seconds "$DURATION" --warmup "$warm" "$@" >"$raw" 2>&1 || true
  local rps p99 errors
  rps=$(sed -n 's/^rps=//p' "$raw"); p99=$(sed -n 's/^p99_ms=//p' "$raw")
  errors=$(awk -F= '/^(non2xx3xx|socket_errors)=/ {n += $2} END {print n + 0}' "$raw")
  [[ -n $rps ]] || { note "$subject $key: load helper produced no result ($(head -c 200 "$raw" | tr '\n' ' '))"; return; }
  record "${key}_rps" "$subject" "$rps"
  record "${key}_p99" "$subject" "$p99"
  record "${key}_err" "$subject" "$errors"
  (( errors == 0 )) || note "$subject $key: $errors errors in one run"
}
# Alternate the order of the registries from run to run.
order() { if (( $1 % 2 )); then echo berth dist; else echo dist berth; fi; }

# ------------------------------------------------------------------------------------ manifest reads
if has_section manifest; then
  for conns in $CONNECTIONS; do
    log "manifest reads at $conns connection(s)"
    for ((run = 1; run <= RUNS; run++)); do
      wrk_measure "static_c$conns" nginx "$conns" "$NGINX_URL/manifest"
      for server in $(order "$run"); do
        base=$(url_of "$server")
        wrk_measure "get_tag_c$conns" "$server" "$conns" "$base/v2/bench/app/manifests/latest" -H "Accept: $MANIFEST_TYPE"
        head_measure "head_digest_c$conns" "$server" "$conns" "$base/v2/bench/app/manifests/$MANIFEST_DIGEST" \
          --header "Accept: $MANIFEST_TYPE"
        wrk_measure "not_modified_c$conns" "$server" "$conns" "$base/v2/bench/app/manifests/latest" \
          -H "Accept: $MANIFEST_TYPE" -H "If-None-Match: ${ETAG[$server]}"
      done
      # The HEAD helper's own ceiling: nginx answering the same HEAD.
      head_measure "head_static_c$conns" nginx "$conns" "$NGINX_URL/manifest"
    done
  done
fi

# ---------------------------------------------------------------------------------- access-log cost
# The same manifest GET by tag against Berth with --log-level Warning (no access log) and Berth with the default
# level (one access-log line per request to a file), alternating from run to run, with nginx's ceiling in each run.
if has_section accesslog; then
  for conns in $ACCESS_LOG_CONNECTIONS; do
    log "access log on vs off at $conns connection(s)"
    for ((run = 1; run <= RUNS; run++)); do
      wrk_measure "static_c$conns" nginx "$conns" "$NGINX_URL/manifest"
      if (( run % 2 )); then pair="berth berthlog"; else pair="berthlog berth"; fi
      for server in $pair; do
        wrk_measure "accesslog_c$conns" "$server" "$conns" "$(url_of "$server")/v2/bench/app/manifests/latest" -H "Accept: $MANIFEST_TYPE"
      done
    done
  done
fi

# ----------------------------------------------------------------------------------------- blob reads
# download_rate URL: repeated curl downloads for DURATION seconds (at least 2); MB/s (10^6 bytes).
download_rate() {
  local bytes=0 secs=0 started out
  started=$(now)
  while :; do
    out=$(on_client curl -sS -f -o /dev/null -w '%{size_download} %{time_total}' "$1") || { echo ""; return; }
    bytes=$(awk -v a="$bytes" -v b="${out% *}" 'BEGIN {printf "%.0f", a + b}')
    secs=$(awk -v a="$secs" -v b="${out#* }" 'BEGIN {printf "%.6f", a + b}')
    awk -v s="$started" -v n="$(now)" -v d="$DURATION" -v b="$bytes" -v big="$((BIG_MIB << 21))" \
      'BEGIN {exit !(n - s >= d && b >= big)}' && break
  done
  awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.1f", b / s / 1e6}'
}
if has_section blob; then
  log "blob GET ${BIG_MIB} MiB and 4 KiB"
  for ((run = 1; run <= RUNS; run++)); do
    v=$(download_rate "$NGINX_URL/big"); [[ -n $v ]] && record big_get nginx "$v"
    for server in $(order "$run"); do
      v=$(download_rate "$(url_of "$server")/v2/bench/app/blobs/$BIG_DIGEST")
      if [[ -n $v ]]; then record big_get "$server" "$v"; else note "$server: ${BIG_MIB} MiB blob GET failed"; fi
    done
    wrk_measure "blob4k_c$LIST_CONNECTIONS" nginx "$LIST_CONNECTIONS" "$NGINX_URL/blob4k"
    for server in $(order "$run"); do
      wrk_measure "blob4k_c$LIST_CONNECTIONS" "$server" "$LIST_CONNECTIONS" "$(url_of "$server")/v2/bench/app/blobs/$BLOB4K_DIGEST"
    done
  done
fi

# ----------------------------------------------------------------------------------------- tags list
if has_section list; then
  log "tags list of $TAGS tags, full and n=100"
  for ((run = 1; run <= RUNS; run++)); do
    for server in $(order "$run"); do
      base=$(url_of "$server")
      wrk_measure tags_full "$server" "$LIST_CONNECTIONS" "$base/v2/bench/tags/tags/list"
      wrk_measure tags_page "$server" "$LIST_CONNECTIONS" "$base/v2/bench/tags/tags/list?n=100"
    done
  done
fi

# ---------------------------------------------------------------------------------------- big pushes
# Each push sends distinct content: the first 32 bytes of the file (and of its first chunk) change.
PUSH_SEQ=0
next_big_content() {
  PUSH_SEQ=$((PUSH_SEQ + 1))
  printf '%032d' "$PUSH_SEQ" | dd of="$WORK/big.bin" bs=32 count=1 conv=notrunc status=none
  printf '%032d' "$PUSH_SEQ" | dd of="$WORK/chunks/c0000" bs=32 count=1 conv=notrunc status=none
  sha "$WORK/big.bin"
}
# Times add up curl's own time_total for each request (process start-up is not the registry's).
push_monolithic() { # base repo digest -> MB/s
  local headers location out secs
  out=$(on_client curl -sS -o /dev/null -D "$WORK/h" -w '%{http_code} %{time_total}' -X POST -H 'Content-Length: 0' "$1/v2/$2/blobs/uploads/")
  [[ ${out% *} == 202 ]] || { echo ""; return; }
  secs=${out#* }
  location=$(tr -d '\r' <"$WORK/h" | awk 'tolower($1) == "location:" {print $2}'); [[ $location == http* ]] || location=$1$location
  out=$(on_client curl -sS -o /dev/null -w '%{http_code} %{time_total}' -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    -T "$WORK/big.bin" "$(with_digest "$location" "$3")")
  [[ ${out% *} == 201 ]] || { echo ""; return; }
  awk -v a="$secs" -v b="${out#* }" -v n="$((BIG_MIB << 20))" 'BEGIN {printf "%.1f", n / (a + b) / 1e6}'
}
push_chunked() { # base repo digest -> MB/s
  local location out secs offset=0 size chunk
  out=$(on_client curl -sS -o /dev/null -D "$WORK/h" -w '%{http_code} %{time_total}' -X POST -H 'Content-Length: 0' "$1/v2/$2/blobs/uploads/")
  [[ ${out% *} == 202 ]] || { echo ""; return; }
  secs=${out#* }
  for chunk in "$WORK"/chunks/c*; do
    location=$(tr -d '\r' <"$WORK/h" | awk 'tolower($1) == "location:" {print $2}'); [[ $location == http* ]] || location=$1$location
    size=$(stat -c %s "$chunk")
    out=$(on_client curl -sS -o /dev/null -D "$WORK/h" -w '%{http_code} %{time_total}' -X PATCH -H 'Expect:' \
      -H 'Content-Type: application/octet-stream' -H "Content-Range: $offset-$((offset + size - 1))" -T "$chunk" "$location")
    [[ ${out% *} == 202 ]] || { echo ""; return; }
    secs=$(awk -v a="$secs" -v b="${out#* }" 'BEGIN {print a + b}')
    offset=$((offset + size))
  done
  location=$(tr -d '\r' <"$WORK/h" | awk 'tolower($1) == "location:" {print $2}'); [[ $location == http* ]] || location=$1$location
  out=$(on_client curl -sS -o /dev/null -w '%{http_code} %{time_total}' -X PUT -H 'Content-Length: 0' "$(with_digest "$location" "$3")")
  [[ ${out% *} == 201 ]] || { echo ""; return; }
  awk -v a="$secs" -v b="${out#* }" -v n="$((BIG_MIB << 20))" 'BEGIN {printf "%.1f", n / (a + b) / 1e6}'
}
if has_section push; then
  log "push ${BIG_MIB} MiB: monolithic and chunked (${CHUNK_MIB} MiB PATCHes)"
  mkdir -p "$WORK/chunks"
  split -b "${CHUNK_MIB}M" -a 4 -d "$WORK/big.bin" "$WORK/chunks/c"
  for ((run = 1; run <= RUNS; run++)); do
    for server in $(order "$run"); do
      digest=$(next_big_content)
      v=$(push_monolithic "$(url_of "$server")" "push/mono$run" "$digest")
      if [[ -n $v ]]; then record push_mono "$server" "$v"; else note "$server: monolithic push failed"; fi
      digest=$(next_big_content)
      v=$(push_chunked "$(url_of "$server")" "push/chunked$run" "$digest")
      if [[ -n $v ]]; then record push_chunked "$server" "$v"; else note "$server: chunked push failed"; fi
    done
  done
  rm -rf "$WORK/chunks"
fi

# --------------------------------------------------------------------------------------- small pushes
if has_section small; then
  log "$SMALL_PUSHES small pushes at $PUSH_CLIENTS clients"
  for ((run = 1; run <= RUNS; run++)); do
    for server in $(order "$run"); do
      out=$(on_client_tool push --url "$(url_of "$server")" --count "$SMALL_PUSHES" --clients "$PUSH_CLIENTS" \
        --prefix "small/run$run" 2>"$WORK/push-$server.err") || true
      v=$(sed -n 's/^per_second=//p' <<<"$out"); failed=$(sed -n 's/^failures=//p' <<<"$out")
      if [[ -n $v ]]; then record small_push "$server" "$v"; else note "$server: small pushes failed: $(head -c 200 "$WORK/push-$server.err")"; fi
      [[ ${failed:-0} == 0 ]] || note "$server: $failed of $SMALL_PUSHES small pushes failed ($(head -c 200 "$WORK/push-$server.err" | tr '\n' ' '))"
    done
  done
fi

# ------------------------------------------------------------------------------------------ peak RSS
peak_rss() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null; }
record rss berth "$(peak_rss "$BERTH_PID")"
record rss dist "$(peak_rss "$DIST_PID")"
for server in berth dist; do
  pid=$BERTH_PID; log_file=$WORK/berth.log
  [[ $server == dist ]] && { pid=$DIST_PID; log_file=$WORK/dist.log; }
  kill -0 "$pid" 2>/dev/null || note "$server exited during the run"
  lines=$(grep -cvE '^\s*$|listening on' "$log_file" || true)
  (( lines == 0 )) || note "$server logged $lines line(s) at its quiet log level; first: $(grep -vE '^\s*$|listening on' "$log_file" | head -1 | sed "s|$WORK|<work>|g" | cut -c1-200)"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------- report
fmt() { # value decimals
  [[ -n $1 ]] || { printf 'n/a'; return; }
  awk -v v="$1" -v d="$2" 'BEGIN {printf "%.*f", d, v}'
}
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "n/a"}' || printf 'n/a'; }
# verdict VALUE TARGET higher|lower: PASS/MISS and by how much.
verdict() {
  [[ -n $1 && -n $2 ]] || { printf 'n/a'; return; }
  awk -v v="$1" -v t="$2" -v dir="$3" '
  function pct(x) { x *= 100; return sprintf(x < 10 ? "%.1f" : "%.0f", x) }
  BEGIN {
    if (t <= 0 || v < 0) { printf "n/a"; exit }
    if (dir == "higher") {
      if (v >= t) printf "PASS (+%s%%)", pct(v / t - 1)
      else if (v > 0) printf "MISS (%s%% short; needs %.2fx)", pct(1 - v / t), t / v
      else printf "MISS (0)"
    } else {
      if (v <= t) printf "PASS (%s%% under)", pct(1 - v / t)
      else printf "MISS (%s%% over; needs /%.2f)", pct(v / t - 1), v / t
    }
  }'
}
ROWS=()
row() { ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s |' "$@")"); }
# registry_row LABEL KEY DECIMALS TARGET-VALUE TARGET-TEXT higher|lower
registry_row() {
  local b d
  b=$(median "$2" berth); d=$(median "$2" dist)
  [[ -n $b || -n $d ]] || return 0
  if [[ -n $4 ]]; then
    row "$1" "$(fmt "$b" "$3")" "$(fmt "$d" "$3")" "$(ratio "$b" "$d")" "$5" "$(verdict "$b" "$4" "$6")"
  else
    row "$1" "$(fmt "$b" "$3")" "$(fmt "$d" "$3")" "$(ratio "$b" "$d")" "${5:-—}" "—"
  fi
}
times() { [[ -n $1 ]] && awk -v a="$1" -v f="$2" 'BEGIN {printf "%.1f", a * f}' || true; }
min2() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN {print (a < b) ? a : b}'; else printf '%s' "${1:-$2}"; fi; }

for conns in $CONNECTIONS; do
  ng=$(median "static_c${conns}_rps" nginx); t=$(times "$ng" 0.5)
  registry_row "Manifest GET by tag, c=$conns (req/s)" "get_tag_c${conns}_rps" 0 "$t" "≥ 0.5× nginx = $(fmt "$t" 0)" higher
  registry_row "Manifest HEAD by digest, c=$conns (req/s)" "head_digest_c${conns}_rps" 0 "$t" "≥ 0.5× nginx = $(fmt "$t" 0)" higher
  registry_row "Manifest GET → 304, c=$conns (req/s)" "not_modified_c${conns}_rps" 0 "$t" "≥ 0.5× nginx = $(fmt "$t" 0)" higher
done
for conns in $CONNECTIONS; do
  if [[ $conns == 64 ]]; then tt=10; tx="< 10 ms"; else tt=""; tx=""; fi
  registry_row "Manifest GET by tag p99, c=$conns (ms)" "get_tag_c${conns}_p99" 2 "$tt" "$tx" lower
  registry_row "Manifest HEAD by digest p99, c=$conns (ms)" "head_digest_c${conns}_p99" 2 "$tt" "$tx" lower
  registry_row "Manifest GET → 304 p99, c=$conns (ms)" "not_modified_c${conns}_p99" 2 "$tt" "$tx" lower
done
ng=$(median big_get nginx); t=$(times "$ng" 0.9)
registry_row "Blob GET ${BIG_MIB} MiB (MB/s)" big_get 0 "$t" "≥ 0.9× nginx = $(fmt "$t" 0)" higher
registry_row "Blob GET 4 KiB, c=$LIST_CONNECTIONS (req/s)" "blob4k_c${LIST_CONNECTIONS}_rps" 0 "" "(nginx: $(fmt "$(median "blob4k_c${LIST_CONNECTIONS}_rps" nginx)" 0))" higher
registry_row "Blob GET 4 KiB p99, c=$LIST_CONNECTIONS (ms)" "blob4k_c${LIST_CONNECTIONS}_p99" 2 "" "" lower
ceiling=$(min2 "$(median hash_sha256 machine)" "$(median disk_fsync machine)"); t=$(times "$ceiling" 0.8)
registry_row "Push ${BIG_MIB} MiB monolithic (MB/s)" push_mono 0 "$t" "≥ 0.8× min(SHA-256, disk) = $(fmt "$t" 0)" higher
registry_row "Push ${BIG_MIB} MiB chunked, ${CHUNK_MIB} MiB PATCHes (MB/s)" push_chunked 0 "$t" "≥ 0.8× min(SHA-256, disk) = $(fmt "$t" 0)" higher
registry_row "Small pushes, $PUSH_CLIENTS clients (pushes/s)" small_push 0 300 "≥ 300" higher
registry_row "Tags list, $TAGS tags, c=$LIST_CONNECTIONS (req/s)" tags_full_rps 0 1000 "≥ 1,000" higher
registry_row "Tags list n=100, c=$LIST_CONNECTIONS (req/s)" tags_page_rps 0 10000 "≥ 10,000" higher
registry_row "Tags list, $TAGS tags p99 (ms)" tags_full_p99 2 "" "" lower
registry_row "Tags list n=100 p99 (ms)" tags_page_p99 2 "" "" lower
registry_row "Peak RSS over the run (MiB)" rss 1 "$(median rss dist)" "≤ Distribution = $(fmt "$(median rss dist)" 1)" lower

CEILINGS=()
crow() { [[ -n $2 ]] && CEILINGS+=("$(printf '| %s | %s |' "$1" "$2")") || true; }
for conns in $CONNECTIONS; do
  v=$(median "static_c${conns}_rps" nginx)
  [[ -n $v ]] && crow "nginx ${MANIFEST_SIZE}-byte file, c=$conns (req/s; p99 ms)" "$(fmt "$v" 0); $(fmt "$(median "static_c${conns}_p99" nginx)" 2)"
done
for conns in $CONNECTIONS; do
  v=$(median "head_static_c${conns}_rps" nginx)
  [[ -n $v ]] && crow "nginx HEAD of it via the HEAD load helper, c=$conns (req/s)" "$(fmt "$v" 0)"
done
ACCESS_ROWS=()
if has_section accesslog; then
  for conns in $ACCESS_LOG_CONNECTIONS; do
    off=$(median "accesslog_c${conns}_rps" berth); on=$(median "accesslog_c${conns}_rps" berthlog)
    ng=$(median "static_c${conns}_rps" nginx)
    ACCESS_ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s | %s | %s |' "$conns" "$(fmt "$off" 0)" "$(fmt "$on" 0)" "$(ratio "$on" "$off")" \
      "$(verdict "$on" "$(times "$off" 0.9)" higher)" "$(fmt "$(median "accesslog_c${conns}_p99" berth)" 2) / $(fmt "$(median "accesslog_c${conns}_p99" berthlog)" 2)" \
      "$(fmt "$ng" 0)" "$(ratio "$on" "$ng")")")
  done
  # Every request the log-on server answered must be in its log: a writer that dropped lines would look cheap.
  LOGGED_LINES=$(grep -c 'RequestLoggingMiddleware\[1\]' "$WORK/berthlog.log" || true)
  LOGGED_MEASURED=$(awk -F'\t' '$1 ~ /^accesslog_c[0-9]+_n$/ && $2 == "berthlog" {n += $3} END {print n + 0}' "$RESULTS")
  LOGGED_DROPPED=$({ grep -o '[0-9]* line(s) dropped' "$WORK/berthlog.log" || true; } | awk '{n += $1} END {print n + 0}')
  LOGGED_BYTES=$(stat -c %s "$WORK/berthlog.log")
fi
v=$(median "blob4k_c${LIST_CONNECTIONS}_rps" nginx); [[ -n $v ]] && crow "nginx 4 KiB file, c=$LIST_CONNECTIONS (req/s)" "$(fmt "$v" 0)"
v=$(median big_get nginx); [[ -n $v ]] && crow "nginx ${BIG_MIB} MiB file, sendfile (MB/s)" "$(fmt "$v" 0)"
v=$(median hash_sha256 machine); [[ -n $v ]] && crow "SHA-256, one core, .NET (MB/s)" "$(fmt "$v" 0)"
v=$(median hash_sha512 machine); [[ -n $v ]] && crow "SHA-512, one core, .NET (MB/s)" "$(fmt "$v" 0)"
v=$(median disk_fsync machine); [[ -n $v ]] && crow "Write + fsync 1 GiB, data disk (MB/s)" "$(fmt "$v" 0)"
v=$(median small_files machine); [[ -n $v ]] && crow "1 KiB write + fsync + rename (files/s)" "$(fmt "$v" 0)"

report() {
  echo "# Berth benchmark: $START_TIME"
  echo
  echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; servers on CPU $SERVER_CPU, load generators on CPU $CLIENT_CPU"
  echo "- Kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- Load average (1/5/15 min): $LOAD_START at the start, $LOAD_END at the end"
  echo "- Each figure: median of $RUNS run(s) of ${DURATION} s (after a ${WARMUP} s warm-up per figure); registries alternate from run to run"
  echo "- Distribution: $(docker-registry --version 2>/dev/null | awk '{print $NF}') (filesystem storage, delete enabled, in-memory blob descriptor cache, log level error); nginx $(nginx -v 2>&1 | sed 's|.*/||') (1 worker, sendfile on); .NET $(dotnet --version)"
  echo "- Manifest: $MANIFEST_SIZE bytes (OCI image manifest); MB = 10^6 bytes"
  echo
  echo "## Berth vs Distribution"
  echo
  echo "| Figure | Berth | Distribution | Berth/Dist | Target | Result |"
  echo "| --- | ---: | ---: | ---: | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  echo
  if (( ${#ACCESS_ROWS[@]} > 0 )); then
    echo "## Access log: manifest GET by tag, log on vs off"
    echo
    echo "Off: \`--log-level Warning\`. On: default settings, stdout (the access log) to a file on the data disk."
    echo
    echo "| Connections | Log off (req/s) | Log on (req/s) | On/off | Target: on ≥ 0.9× off | p99 off / on (ms) | nginx (req/s) | On/nginx |"
    echo "| ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |"
    printf '%s\n' "${ACCESS_ROWS[@]}"
    echo
    echo "Access-log lines written: $LOGGED_LINES ($LOGGED_BYTES bytes) for $LOGGED_MEASURED requests measured by wrk (warm-ups, seeding and requests in flight when wrk stopped are logged too); lines reported dropped: $LOGGED_DROPPED."
    echo
  fi
  echo "## Machine ceilings"
  echo
  echo "| Ceiling | Value |"
  echo "| --- | ---: |"
  printf '%s\n' "${CEILINGS[@]}"
  echo
  echo "## Notes"
  echo
  if [[ -s $NOTES ]]; then cat "$NOTES"; else echo "- none: no errors, timeouts or unexpected status codes"; fi
  echo "- HEAD is measured with the HEAD load helper (berth-benchtool load), because wrk 4.1 and h2load wait for a body after a HEAD response; its nginx row above is that helper's own ceiling."
}
if [[ -n $OUT ]]; then report | tee "$OUT"; else report; fi
