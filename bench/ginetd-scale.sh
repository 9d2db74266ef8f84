#!/usr/bin/env bash
# ginetd-scale.sh - ginetd with many services (issue 3): start-up time, idle
# RSS and reload time with N (default 1000) services configured.
#
#   bench/ginetd-scale.sh                       # ginetd built from this checkout, 1000 services
#   GINETD_BIN=/path/ginetd bench/ginetd-scale.sh
#   SERVERS="ginetd openbsd-inetd" N=1000 bench/ginetd-scale.sh   # the same for openbsd-inetd
#
# Per server and round, bench/scale (Go) writes an inetd.conf with N nowait
# services (127.0.0.1:20000.., each the bench's static daytime program),
# starts the server, and records:
#   ready_ms      exec() -> "msg=ready" on ginetd's stderr (ginetd only)
#   listening_ms  exec() -> all N ports in LISTEN (/proc/net/tcp polled every 2 ms)
#   idle RSS / threads / fds after 1 s idle
#   RELOADS SIGHUPs, 300 ms apart; each adds or removes service N+1 (so every
#   reload changes the config while the N services stay): the "took=" ginetd
#   logs on its "msg=reload" line, and SIGHUP -> service N+1 (un)bound.
# Targets (issue 3): ready < 300 ms, reload median < 100 ms, idle RSS < 30 MiB.
#
# Knobs: N (1000), RELOADS (20), ROUNDS (3), SERVERS (ginetd), GINETD_CMD
# ('{bin} -f -R 0 -control {dir}/ginetd.sock {conf}'), GINETD=0/GINETD_BIN as
# for run-peers.sh, MAX_RUNTIME (600), NETNS=0, PEERS_DIR/BUILD_DIR/OUT_DIR.
# Output: results/scale-<stamp>/raw.jsonl (one "scale" record per server and
# round) and summary.md. Private network + mount namespaces, loopback only.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SELF="$HERE/$(basename "$0")"
: "${N:=1000}" "${RELOADS:=20}" "${ROUNDS:=3}" "${MAX_RUNTIME:=600}" "${NETNS:=1}" "${GINETD:=1}"
PEERS_DIR="${PEERS_DIR:-$HERE/.peers}"
BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
OUT_DIR="${OUT_DIR:-$HERE/results}"
SERVERS="${SERVERS:-ginetd}"
[[ -z "${GINETD_CMD:-}" ]] && GINETD_CMD='{bin} -f -R 0 -control {dir}/ginetd.sock {conf}'

if [[ "$NETNS" == 1 && -z "${BENCH_IN_NS:-}" ]]; then
	if unshare --net --mount true 2>/dev/null; then
		exec timeout -k 10 "$MAX_RUNTIME" unshare --net --mount --propagation private -- \
			env BENCH_IN_NS=1 bash "$SELF" "$@"
	fi
	echo "ginetd-scale: cannot unshare namespaces (not root?); set NETNS=0" >&2
	exit 1
fi
if [[ -n "${BENCH_IN_NS:-}" ]]; then
	ip link set lo up || exit 1
	mount -t tmpfs -o size=16m,mode=755 bench-run /run || echo "ginetd-scale: warning: /run not private" >&2
fi

BUILD_GINETD=0
[[ "$GINETD" == 1 && -z "${GINETD_BIN:-}" ]] && BUILD_GINETD=1
BUILD_DIR="$BUILD_DIR" BUILD_GINETD=$BUILD_GINETD "$HERE/build.sh" >/dev/null || exit 1
[[ "$BUILD_GINETD" == 1 ]] && GINETD_BIN="$BUILD_DIR/ginetd"
(cd "$HERE/scale" && go build -trimpath -o "$BUILD_DIR/scale" .) || exit 1

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN_DIR="$OUT_DIR/scale-$STAMP"
mkdir -p "$RUN_DIR/work"
RAW="$RUN_DIR/raw.jsonl"
: >"$RAW"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
printf '{"record":"meta","kind":"scale","date_utc":"%s","nproc":%s,"kernel":"%s","services":%s,"reloads":%s,"rounds":%s,"loadavg_start":"%s"}\n' \
	"$STAMP" "$(nproc)" "$(uname -r)" "$N" "$RELOADS" "$ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW"

read -r -a LIST <<<"$SERVERS"
for ((r = 1; r <= ROUNDS; r++)); do
	n=${#LIST[@]}
	for ((i = 0; i < n; i++)); do
		s=${LIST[$(((i + r - 1) % n))]}
		d="$RUN_DIR/work/$s-r$r"
		mkdir -p "$d"
		case $s in
		ginetd)
			cmd=${GINETD_CMD//\{bin\}/$GINETD_BIN}
			args=(-name ginetd -wait nowait -cmd "$cmd") ;;
		openbsd-inetd)
			args=(-name openbsd-inetd -wait nowait.1000000 -ready-re '' -reload-re ''
				-cmd "$PEERS_DIR/openbsd-inetd/usr/sbin/inetd -i -q 1024 -R 1000000 {conf}") ;;
		*) log "unknown server $s"; continue ;;
		esac
		log "round $r: $s, $N services (load avg $(cut -d' ' -f1 /proc/loadavg))"
		"$BUILD_DIR/scale" -n "$N" -prog "$BUILD_DIR/daytime" -dir "$d" -reloads "$RELOADS" \
			-tag "round=$r" "${args[@]}" >>"$RAW"
		sleep 0.5
	done
done
log "raw: $RAW"
# summary: median [min-max] over rounds per server
python3 - "$RAW" >"$RUN_DIR/summary.md" <<'PY'
import json, sys, statistics as st
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
meta = [r for r in recs if r.get("record") == "meta"][0]
rows = {}
for r in recs:
    if r.get("record") == "scale":
        rows.setdefault(r["server"], []).append(r)
def agg(v):
    v = [x for x in v if x is not None and x >= 0]
    if not v: return "–"
    f = lambda x: f"{x:.1f}" if isinstance(x, float) else str(x)
    return f"{f(st.median(v))} [{f(min(v))}–{f(max(v))}]" if len(v) > 1 else f(v[0])
print(f"## {meta['services']} services, {meta['reloads']} reloads per round, {meta['rounds']} rounds ({meta['date_utc']}, {meta['nproc']} CPUs, kernel {meta['kernel']})\n")
print("| server | exec → ready ms | exec → all listening ms | idle RSS KiB | idle threads | idle fds | reload took ms (median of each round) | reload took max ms | SIGHUP → applied ms (median) | reloads applied | RSS after reloads KiB | fds after reloads | alive |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for s, rs in rows.items():
    print(f"| {s} | {agg([r['ready_ms'] for r in rs])} | {agg([r['listening_ms'] for r in rs])} | {agg([r['idle_rss_kb'] for r in rs])} | {agg([r['idle_threads'] for r in rs])} | {agg([r['idle_fds'] for r in rs])} | {agg([r['reload_took_median_ms'] for r in rs])} | {agg([r['reload_took_max_ms'] for r in rs])} | {agg([r['reload_applied_median_ms'] for r in rs])} | {sum(r['reloads_applied'] for r in rs)}/{sum(len(r['reloads'] or []) for r in rs)} | {agg([r['post_reload_rss_kb'] for r in rs])} | {agg([r['post_reload_fds'] for r in rs])} | {'yes' if all(r['alive_at_end'] for r in rs) else 'NO'} |")
PY
cat "$RUN_DIR/summary.md"
log "summary: $RUN_DIR/summary.md"
