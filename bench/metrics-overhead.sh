#!/usr/bin/env bash
# metrics-overhead.sh — the cost of -metrics on ginetd's exec-per-connection
# path (issue 7 target: <= 3% throughput loss).
#
#   bench/metrics-overhead.sh                  # ~70 s
#   ROUNDS=7 bench/metrics-overhead.sh
#   GINETD_BIN=/var/tmp/ginetd NETNS=0 bench/metrics-overhead.sh
#
# Two ginetd processes run side by side for the whole run, same binary, same
# inetd.conf line (nowait exec of bench/daytime.c, built static with gcc,
# on its own port), one of them with `-metrics 127.0.0.1:0`.
# Each round runs bench/loadgen (connect, read to EOF, close; closed
# loop) for DURATION s at c=C against each, in alternating order; the idle
# one costs nothing meanwhile. While the metrics instance is loaded, its
# /metrics is scraped every SCRAPE_S s (0: never). loadgen's -pid gives
# the server CPU (utime+stime of ginetd itself, not its children).
# At the end /metrics is checked: the accepted-connections counter must
# equal what loadgen counted, so the metrics were really being recorded.
#
# Knobs: DURATION (5), ROUNDS (5), C (8), SCRAPE_S (1), MAX_RUNTIME (600),
# NETNS (1: private network namespace), OUT_DIR (/var/tmp/metrics-overhead),
# SCRATCH (/var/tmp/metrics-overhead-scratch), GINETD_BIN (default: built from
# this checkout), SHARED_BENCH (where loadgen/ and daytime.c are: this
# bench/ directory).
set -euo pipefail

SELF="$(readlink -f "$0")"
HERE="$(dirname "$SELF")"
REPO="$(dirname "$HERE")"

DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-5}"
C="${C:-8}"
SCRAPE_S="${SCRAPE_S:-1}"
MAX_RUNTIME="${MAX_RUNTIME:-600}"
NETNS="${NETNS:-1}"
OUT_DIR="${OUT_DIR:-/var/tmp/metrics-overhead}"
SCRATCH="${SCRATCH:-/var/tmp/metrics-overhead-scratch}"
SHARED_BENCH="${SHARED_BENCH:-$HERE}"

PLAIN_PORT=17301
METRICS_PORT=17302

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ------------------------------------------------------------------- build
if [[ -z "${MOB_IN_NS:-}${MOB_TIMED:-}" ]]; then
	mkdir -p "$SCRATCH"
	( cd "$SHARED_BENCH/loadgen" && go build -o "$SCRATCH/loadgen" . )
	gcc -O2 -static -Wall -o "$SCRATCH/daytime" "$SHARED_BENCH/daytime.c"
	if [[ -z "${GINETD_BIN:-}" ]]; then
		( cd "$REPO" && go build -o "$SCRATCH/ginetd" ./cmd/ginetd )
		GINETD_BIN="$SCRATCH/ginetd"
	fi
	export GINETD_BIN
fi

# ------------------------------------------- enter a private netns, cap time
if [[ "$NETNS" == 1 && -z "${MOB_IN_NS:-}" ]]; then
	if unshare --net true 2>/dev/null; then
		exec timeout -k 10 "$MAX_RUNTIME" unshare --net -- env MOB_IN_NS=1 bash "$SELF" "$@"
	fi
	echo "metrics-overhead: cannot unshare (not root?); NETNS=0 runs on the host's 127.0.0.1" >&2
	exit 1
fi
if [[ -n "${MOB_IN_NS:-}" ]]; then
	ip link set lo up
elif [[ -z "${MOB_TIMED:-}" ]]; then
	exec timeout -k 10 "$MAX_RUNTIME" env MOB_TIMED=1 bash "$SELF" "$@"
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN="$OUT_DIR/$STAMP"
W="$RUN/work"
RAW="$RUN/raw.jsonl"
mkdir -p "$W"

for v in plain metrics; do
	port=$PLAIN_PORT
	[[ $v == metrics ]] && port=$METRICS_PORT
	printf '127.0.0.1:%s\tstream\ttcp\tnowait\troot\t%s\tdaytime\n' "$port" "$SCRATCH/daytime" >"$W/$v.conf"
done
P_CMD=("$GINETD_BIN" -f -R 0 -hosts-allow none -control none -log "$W/plain.log" "$W/plain.conf")
M_CMD=("$GINETD_BIN" -f -R 0 -hosts-allow none -control none -log "$W/metrics.log" -metrics 127.0.0.1:0 "$W/metrics.conf")

PIDS=()
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
start() { # start NAME PORT CMD... -> LAST_PID
	local name=$1 port=$2 i pid
	shift 2
	printf '%q ' "$@" >"$W/$name.cmdline"
	setsid "$@" >"$W/$name.stdout" 2>"$W/$name.stderr" </dev/null &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if listening "$port"; then LAST_PID=$pid; return 0; fi
		sleep 0.05
	done
	log "$name did not come up: $(head -c 400 "$W/$name.stderr")"
	return 1
}
SCRAPER=
cleanup() {
	local p k
	[[ -n "$SCRAPER" ]] && kill "$SCRAPER" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		for k in $(ps -o pid= -s "$p" 2>/dev/null || true); do kill -KILL "$k" 2>/dev/null || true; done
	done
}
trap cleanup EXIT

start plain $PLAIN_PORT "${P_CMD[@]}"; P_PID=$LAST_PID
start metrics $METRICS_PORT "${M_CMD[@]}"; M_PID=$LAST_PID
MADDR=""
for ((i = 0; i < 50; i++)); do
	MADDR=$(grep -o 'msg=metrics addr=[0-9.:]*' "$W/metrics.log" | head -1 | sed 's/.*addr=//') || true
	[[ -n "$MADDR" ]] && break
	sleep 0.1
done
[[ -n "$MADDR" ]] || { log "no metrics address in $W/metrics.log"; exit 1; }
log "plain ginetd pid $P_PID (:$PLAIN_PORT); metrics ginetd pid $M_PID (:$METRICS_PORT, /metrics on $MADDR)"
curl -fsS --max-time 5 "http://$MADDR/metrics" >"$W/metrics-before.txt"

LOAD=("$SCRATCH/loadgen" -q -c "$C" -duration "${DURATION}s" -max-conns 10000000 -max-errors 20000 -timeout 5s)
port_of() { [[ $1 == metrics ]] && echo $METRICS_PORT || echo $PLAIN_PORT; }
pid_of() { [[ $1 == metrics ]] && echo "$M_PID" || echo "$P_PID"; }

# warm-up (page cache, first fork of each)
for v in plain metrics; do
	"$SCRATCH/loadgen" -q -addr "127.0.0.1:$(port_of $v)" -c 1 -duration 0.3s >"$W/warmup-$v.json"
done

cat >"$RUN/meta.json" <<EOF
{"date":"$(date -u +%FT%TZ)","nproc":$(nproc),"kernel":"$(uname -r)","cpu":"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')","go":"$(go version)","ginetd":"$GINETD_BIN (git $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo ?))","c":$C,"duration_s":$DURATION,"rounds":$ROUNDS,"scrape_s":$SCRAPE_S,"netns":$NETNS}
EOF

for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then order="plain metrics"; else order="metrics plain"; fi
	for v in $order; do
		if [[ $v == metrics && "$SCRAPE_S" != 0 ]]; then
			( while :; do curl -fsS --max-time 2 -o /dev/null "http://$MADDR/metrics" || true; sleep "$SCRAPE_S"; done ) &
			SCRAPER=$!
		fi
		"${LOAD[@]}" -addr "127.0.0.1:$(port_of $v)" -pid "$(pid_of $v)" \
			-tag variant=$v -tag round=$r >>"$RAW" 2>>"$W/loadgen.stderr" || log "  (no success)"
		if [[ -n "$SCRAPER" ]]; then kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=; fi
		log "round $r $v: $(tail -1 "$RAW" | jq -c '{cps, errors_total, cpu_us_per_conn: .server.cpu_us_per_conn, busy: .host.cpu_busy_pct}')"
		sleep 1
	done
done
sleep 1
curl -fsS --max-time 5 "http://$MADDR/metrics" >"$W/metrics-after.txt"

python3 - "$RUN" <<'PY' | tee "$RUN/summary.md"
import json, re, sys, statistics as st
run = sys.argv[1]
meta = json.load(open(run + "/meta.json"))
rows = [json.loads(l) for l in open(run + "/raw.jsonl") if l.strip()]
def sel(v): return [r for r in rows if r["tags"]["variant"] == v]
def med(xs): return st.median(xs)
def fmt(xs, f="{:.0f}"): return f"{f.format(med(xs))} [{f.format(min(xs))}–{f.format(max(xs))}] ({len(xs)})"
print(f"run {run}: {meta['date']}, {meta['nproc']} CPUs ({meta['cpu']}), kernel {meta['kernel']}")
print(f"exec daytime (static), loadgen c={meta['c']}, {meta['duration_s']} s per run, {meta['rounds']} rounds interleaved; /metrics scraped every {meta['scrape_s']} s during the metrics runs\n")
print("| ginetd | conn/s median [min–max] (n) | errors | server CPU µs/conn | p50 / p99 µs | host busy % |")
print("|---|---|---|---|---|---|")
m = {}
for v in ("plain", "metrics"):
    rs = sel(v)
    cps = [r["cps"] for r in rs]; cpu = [r["server"]["cpu_us_per_conn"] for r in rs]
    m[v] = (med(cps), med(cpu))
    lat = f"{med([r['lat_us']['p50'] for r in rs]):.0f} / {med([r['lat_us']['p99'] for r in rs]):.0f}"
    name = "without -metrics" if v == "plain" else "with -metrics 127.0.0.1:0"
    print(f"| {name} | {fmt(cps)} | {sum(r['errors_total'] for r in rs)} | {fmt(cpu, '{:.1f}')} | {lat} | {med([r['host']['cpu_busy_pct'] for r in rs]):.0f} |")
# paired per round (the two runs of a round are adjacent in time)
pairs = []
for r in sorted({x["tags"]["round"] for x in rows}, key=int):
    a = [x for x in rows if x["tags"]["round"] == r and x["tags"]["variant"] == "plain"]
    b = [x for x in rows if x["tags"]["round"] == r and x["tags"]["variant"] == "metrics"]
    if a and b: pairs.append(b[0]["cps"] / a[0]["cps"])
loss = 1 - m["metrics"][0] / m["plain"][0]
print(f"\nthroughput with/without (medians): {m['metrics'][0]/m['plain'][0]:.3f} → loss {100*loss:+.1f}% (target ≤ 3%: {'PASS' if loss <= 0.03 else 'FAIL'})")
print(f"per-round ratios: {', '.join(f'{p:.3f}' for p in pairs)} (median {med(pairs):.3f})")
print(f"server CPU µs/conn with/without: {m['metrics'][1]:.1f} / {m['plain'][1]:.1f} = {m['metrics'][1]/m['plain'][1]:.2f}×")
ok = sum(r["ok"] for r in sel("metrics")) + json.load(open(run + "/work/warmup-metrics.json"))["ok"]
text = open(run + "/work/metrics-after.txt").read()
acc = 0
for l in text.splitlines():
    mm = re.match(r'ginetd_connections_total\{.*result="accepted".*\} (\S+)', l)
    if mm: acc += float(mm.group(1))
print(f"\ncheck: connections loadgen completed on the metrics instance (warm-up included): {ok}; "
      f"ginetd_connections_total{{result=\"accepted\"}} after the run: {acc:.0f} → {'consistent' if acc >= ok else 'MISMATCH'}")
PY
log "raw: $RAW"
