#!/usr/bin/env bash
# bench/syslog/run.sh - measure gsyslogd against the peer syslog daemons
# (rsyslog, inetutils-syslogd, busybox syslogd) in the same run, and print
# gsyslogd's end-to-end rate as a ratio of each peer's.
#
#   bench/syslog/run.sh                 # no fsync ("-/file"), then fsync ("/file")
#   MODES=nosync bench/syslog/run.sh    # only one mode (nosync | sync)
#   SCRATCH=/tmp/gsb N=100000 ROUNDS=1 bench/syslog/run.sh
#
# It builds cmd/gsyslogd into $SCRATCH, then runs the shared harness
# syslog-throughput.sh (found in $BENCH_DIR, default: the repository's bench/
# directory) with GSYSLOGD_BIN set and PEERS_DIR, BUILD_DIR and OUT_DIR under
# $SCRATCH, so nothing is written in the repository. Peers must be installed
# first: PEERS_DIR=$SCRATCH/peers BUILD_DIR=$SCRATCH/build $BENCH_DIR/install-peers.sh
# (rsyslog is the system's; inetutils-syslogd is unpacked there). The
# harness needs root (private namespaces) or NETNS=0.
#
# Knobs passed through to the harness: N, SENDERS, SIZE, ROUNDS, DAEMONS,
# SEND_MAX, DRAIN_MAX, MAX_RUNTIME, NETNS. For the sync mode N defaults to
# 20000 and ROUNDS to 2, as in the harness's README.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-$REPO/bench}"
SCRATCH="${SCRATCH:-/tmp/gsyslogd-bench}"
MODES="${MODES:-nosync sync}"
HARNESS="$BENCH_DIR/syslog-throughput.sh"
[[ -x "$HARNESS" ]] || { echo "run.sh: $HARNESS not found; set BENCH_DIR" >&2; exit 1; }

mkdir -p "$SCRATCH"
(cd "$REPO" && go build -ldflags "-X main.version=$(git describe --always --dirty 2>/dev/null || echo devel)" \
	-o "$SCRATCH/gsyslogd" ./cmd/gsyslogd)

export GSYSLOGD_BIN="$SCRATCH/gsyslogd" PEERS_DIR="$SCRATCH/peers" BUILD_DIR="$SCRATCH/build" OUT_DIR="$SCRATCH/out"

for mode in $MODES; do
	before=$(ls -1d "$OUT_DIR"/syslog-* 2>/dev/null | sort | tail -1 || true)
	case $mode in
	nosync) "$HARNESS" ;;
	sync) SYNC=1 N="${SYNC_N:-20000}" ROUNDS="${SYNC_ROUNDS:-2}" "$HARNESS" ;;
	*) echo "run.sh: unknown mode $mode" >&2; exit 1 ;;
	esac
	run=$(ls -1d "$OUT_DIR"/syslog-* | sort | tail -1)
	[[ "$run" == "$before" ]] && { echo "run.sh: no result for $mode" >&2; continue; }
	echo
	echo "== $mode: gsyslogd end-to-end rate / peer's, same run ($run/raw.jsonl)"
	python3 - "$run/raw.jsonl" <<'PY'
import json, statistics, sys
res = [json.loads(l) for l in open(sys.argv[1])]
res = [r for r in res if r.get("record") == "result"]
med = {}
for d in sorted({r["daemon"] for r in res}):
    rs = [r for r in res if r["daemon"] == d]
    med[d] = (statistics.median(r["e2e_msgs_per_s"] for r in rs), sum(r["lost"] for r in rs),
              max(r["peak_rss_kb"] for r in rs) / 1024, statistics.median(r["cpu_ticks"] for r in rs) / 100)
g = med.get("gsyslogd")
for d, (rate, lost, rss, cpu) in sorted(med.items(), key=lambda kv: -kv[1][0]):
    ratio = "" if not g or d == "gsyslogd" else "  gsyslogd/%s = %.2f" % (d, g[0] / rate)
    print("%-18s %8.0f msg/s  lost %d  peak RSS %.1f MiB  CPU %.2f s%s" % (d, rate, lost, rss, cpu, ratio))
PY
done
