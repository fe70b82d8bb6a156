#!/usr/bin/env bash
# The access log's cost (issue 15 item 7): manifest GET by tag at 16 and 64 connections against `berth serve`
# with default settings (access log on, stdout to a file) and with --log-level Warning (off), each the median of
# 3 runs x 10 s, beside nginx serving a same-size file; servers on CPU 0, wrk on CPU 1 (see run.sh).
#   benchmarks/access-log.sh
#   OUT=benchmarks/results/$(date +%F)-access-log.md benchmarks/access-log.sh
# Every knob of run.sh applies (RUNS, DURATION, ACCESS_LOG_CONNECTIONS, SKIP_BUILD, ...).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The 256 MiB blob is only for the blob and push sections.
SECTIONS=${SECTIONS:-accesslog} BIG_MIB=${BIG_MIB:-1} exec "$HERE/run.sh"
