#!/usr/bin/env bash
# ginetd-resources.sh - ginetd's resource targets (issue 2):
#   idle      idle RSS / threads / fds with the bench config (5 services)
#   threads   threads while 1,000 children run at once: a service whose
#             program sleeps SLEEP_S s, CHILDREN clients connecting at once
#             (loadgen -c CHILDREN, one attempt each); /proc/PID/status
#             Threads and the number of children are sampled every 50 ms
#   hygiene   fds (/proc/PID/fd) and zombie children before and after
#             HYGIENE_CONNS connections spread over every kind of service
#             (exec daytime, exec cat, builtin daytime, builtin echo, UDP
#             daytime), after the children have drained
#
#   bench/ginetd-resources.sh                      # ginetd built from this checkout
#   GINETD_BIN=/path/ginetd bench/ginetd-resources.sh
#
# Targets: idle RSS <= 8 MiB; threads with 1,000 children <= 30; no zombie and
# no fd growth after 100,000 connections.
# Knobs: CHILDREN (1000), SLEEP_S (8), HYGIENE_CONNS (100000; split 40 % exec
# daytime, 10 % exec cat, 30 % builtin daytime, 10 % echo, 10 % UDP),
# GINETD_CMD ('{bin} -f -R 0 -control {dir}/ginetd.sock {conf}'), GINETD=0 /
# GINETD_BIN, MAX_RUNTIME (600), NETNS=0, BUILD_DIR, OUT_DIR.
# Output: results/resources-<stamp>/raw.jsonl and summary.md.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SELF="$HERE/$(basename "$0")"
: "${CHILDREN:=1000}" "${SLEEP_S:=8}" "${HYGIENE_CONNS:=100000}" "${MAX_RUNTIME:=600}" "${NETNS:=1}" "${GINETD:=1}"
BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
OUT_DIR="${OUT_DIR:-$HERE/results}"
[[ -z "${GINETD_CMD:-}" ]] && GINETD_CMD='{bin} -f -R 0 -control {dir}/ginetd.sock {conf}'
HOST=127.0.0.1

if [[ "$NETNS" == 1 && -z "${BENCH_IN_NS:-}" ]]; then
	if unshare --net --mount true 2>/dev/null; then
		exec timeout -k 10 "$MAX_RUNTIME" unshare --net --mount --propagation private -- \
			env BENCH_IN_NS=1 bash "$SELF" "$@"
	fi
	echo "ginetd-resources: cannot unshare namespaces (not root?); set NETNS=0" >&2
	exit 1
fi
if [[ -n "${BENCH_IN_NS:-}" ]]; then
	ip link set lo up || exit 1
	mount -t tmpfs -o size=16m,mode=755 bench-run /run || echo "ginetd-resources: warning: /run not private" >&2
fi
BUILD_GINETD=0
[[ "$GINETD" == 1 && -z "${GINETD_BIN:-}" ]] && BUILD_GINETD=1
BUILD_DIR="$BUILD_DIR" BUILD_GINETD=$BUILD_GINETD "$HERE/build.sh" >/dev/null || exit 1
[[ "$BUILD_GINETD" == 1 ]] && GINETD_BIN="$BUILD_DIR/ginetd"
LOADGEN="$BUILD_DIR/loadgen"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN_DIR="$OUT_DIR/resources-$STAMP"
D="$RUN_DIR/work"
mkdir -p "$D"
RAW="$RUN_DIR/raw.jsonl"
: >"$RAW"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
emit() { printf '%s\n' "$*" >>"$RAW"; }
field() { awk -v f="$2:" '$1==f {print $2; exit}' "/proc/$1/status" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
kids() { cat /proc/"$1"/task/*/children 2>/dev/null | wc -w; }
zombies() {
	local c n=0
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[[ "$(awk '{print $3}' /proc/"$c"/stat 2>/dev/null)" == Z ]] && n=$((n + 1))
	done
	echo $n
}
drain() { # wait up to 10 s for the children to go
	local i
	for ((i = 0; i < 200; i++)); do [[ $(kids "$1") -eq 0 ]] && return 0; sleep 0.05; done
	return 1
}

CONF="$D/inetd.conf"
{
	printf '%s\tstream\ttcp\tnowait\troot\t%s\tdaytime\n' "$HOST:17001" "$BUILD_DIR/daytime"
	printf '%s\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n' "$HOST:17002"
	printf '%s\tstream\ttcp\tnowait\troot\tinternal\n' "$HOST:daytime"
	printf '%s\tstream\ttcp\tnowait\troot\tinternal\n' "$HOST:echo"
	printf '%s\tdgram\tudp\twait\troot\tinternal\n' "$HOST:daytime"
	printf '%s\tstream\ttcp\tnowait\troot\t/bin/sleep\tsleep %s\n' "$HOST:17004" "$SLEEP_S"
} >"$CONF"
cmd=${GINETD_CMD//\{bin\}/$GINETD_BIN}
cmd=${cmd//\{conf\}/$CONF}
cmd=${cmd//\{dir\}/$D}
read -r -a CMD <<<"$cmd"
ulimit -n 65536 2>/dev/null || true
setsid "${CMD[@]}" >"$D/stdout.log" 2>"$D/stderr.log" </dev/null &
PID=$!
trap 'kill -TERM $PID 2>/dev/null' EXIT
for ((i = 0; i < 200; i++)); do
	ss -Hltn "sport = :17004" | grep -q . && ss -Hlun "sport = :13" | grep -q . && break
	kill -0 $PID 2>/dev/null || { log "ginetd exited: $(head -c 400 "$D/stderr.log")"; exit 1; }
	sleep 0.025
done
VERSION=${GINETD_VERSION:-$("$GINETD_BIN" version 2>/dev/null | head -1)}
log "ginetd pid $PID ($VERSION): $cmd"

# ---- idle
sleep 0.3
i_rss=$(field $PID VmRSS) i_thr=$(field $PID Threads) i_fds=$(nfds $PID)
sleep 2
i2_rss=$(field $PID VmRSS) i2_thr=$(field $PID Threads)
emit "{\"record\":\"idle\",\"version\":\"$VERSION\",\"cmd\":\"$cmd\",\"rss_kb\":$i_rss,\"threads\":$i_thr,\"fds\":$i_fds,\"rss_kb_2s\":$i2_rss,\"threads_2s\":$i2_thr}"
log "idle: RSS $i_rss KiB (after 2 s more: $i2_rss), $i_thr threads, $i_fds fds"

# ---- threads with CHILDREN children at once
h_fds0=$(nfds $PID) h_z0=$(zombies $PID)
"$LOADGEN" -addr "$HOST:17004" -c "$CHILDREN" -max-conns "$CHILDREN" -duration 1s \
	-timeout "$((SLEEP_S + 20))s" -min-bytes 0 -pid $PID -sample 50ms -q -tag test=threads \
	>"$D/threads-loadgen.json" 2>"$D/threads-loadgen.err" &
LG=$!
max_kids=0 thr_at_max=0 max_thr=0 t_start=$SECONDS
while kill -0 $LG 2>/dev/null && ((SECONDS - t_start < SLEEP_S + 30)); do
	k=$(kids $PID) t=$(field $PID Threads)
	((k > max_kids)) && { max_kids=$k; thr_at_max=$t; }
	((k == max_kids && t > thr_at_max)) && thr_at_max=$t
	((t > max_thr)) && max_thr=$t
	sleep 0.05
done
wait $LG
cat "$D/threads-loadgen.json" >>"$RAW"
drain $PID
emit "{\"record\":\"threads\",\"children_target\":$CHILDREN,\"children_max\":$max_kids,\"threads_at_children_max\":$thr_at_max,\"threads_max\":$max_thr,\"threads_after\":$(field $PID Threads),\"rss_kb_after\":$(field $PID VmRSS),\"hwm_kb\":$(field $PID VmHWM)}"
log "threads: max $max_kids children at once, $thr_at_max threads then, $max_thr threads max; loadgen: $(grep -o '"ok":[0-9]*\|"errors_total":[0-9]*' "$D/threads-loadgen.json" | tr '\n' ' ')"

# ---- hygiene
drain $PID
b_fds=$(nfds $PID) b_z=$(zombies $PID) b_rss=$(field $PID VmRSS) b_thr=$(field $PID Threads)
ls -l /proc/$PID/fd >"$D/fds-before.txt" 2>/dev/null
total=0
run_lg() { # NAME PORT PROTO N C EXTRA...
	local name=$1 port=$2 proto=$3 n=$4 c=$5
	shift 5
	"$LOADGEN" -addr "$HOST:$port" -proto "$proto" -c "$c" -max-conns "$n" -duration 600s -pid $PID -q \
		-max-errors 20000 -tag test=hygiene-$name "$@" >"$D/hyg-$name.json" 2>>"$D/hyg.err"
	cat "$D/hyg-$name.json" >>"$RAW"
	local ok
	ok=$(grep -o '"ok":[0-9]*' "$D/hyg-$name.json" | cut -d: -f2)
	total=$((total + ${ok:-0}))
	log "hygiene $name: $(grep -o '"ok":[0-9]*\|"errors_total":[0-9]*\|"zombies_max":[0-9]*\|"children_max":[0-9]*' "$D/hyg-$name.json" | tr '\n' ' ')"
}
run_lg exec-daytime 17001 tcp $((HYGIENE_CONNS * 4 / 10)) 8
run_lg exec-cat 17002 tcp $((HYGIENE_CONNS / 10)) 8 -payload-size 64 -verify-echo
run_lg builtin-daytime 13 tcp $((HYGIENE_CONNS * 3 / 10)) 8
run_lg builtin-echo 7 tcp $((HYGIENE_CONNS / 10)) 8 -payload-size 64 -verify-echo
run_lg udp-daytime 13 udp $((HYGIENE_CONNS / 10)) 1 -timeout 200ms
drain $PID
sleep 1
a_fds=$(nfds $PID) a_z=$(zombies $PID) a_kids=$(kids $PID) a_rss=$(field $PID VmRSS) a_thr=$(field $PID Threads)
ls -l /proc/$PID/fd >"$D/fds-after.txt" 2>/dev/null
emit "{\"record\":\"hygiene\",\"connections_target\":$HYGIENE_CONNS,\"connections_ok\":$total,\"fds_before\":$b_fds,\"fds_after\":$a_fds,\"zombies_before\":$b_z,\"zombies_after\":$a_z,\"children_after\":$a_kids,\"rss_kb_before\":$b_rss,\"rss_kb_after\":$a_rss,\"threads_before\":$b_thr,\"threads_after\":$a_thr,\"alive\":$(kill -0 $PID 2>/dev/null && echo true || echo false)}"
log "hygiene: $total connections ok; fds $b_fds -> $a_fds; zombies $b_z -> $a_z; children left $a_kids; RSS $b_rss -> $a_rss KiB; threads $b_thr -> $a_thr"
diff "$D/fds-before.txt" "$D/fds-after.txt" | grep '^[<>]' | awk '{$1=$1; print}' | sed 's/^[^>]*[0-9]\{2\}:[0-9]\{2\} //' | head -20 >"$D/fds-diff.txt"

kill -TERM $PID
for ((i = 0; i < 60; i++)); do kill -0 $PID 2>/dev/null || break; sleep 0.05; done
kill -0 $PID 2>/dev/null && { kill -KILL $PID; stop=kill; } || stop=term
wait $PID 2>/dev/null
trap - EXIT
emit "{\"record\":\"stop\",\"stop\":\"$stop\"}"

python3 - "$RAW" "$CHILDREN" "$HYGIENE_CONNS" >"$RUN_DIR/summary.md" <<'PY'
import json, sys
recs = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    recs.setdefault(r.get("record", "load"), []).append(r)
idle, thr, hyg = recs["idle"][0], recs["threads"][0], recs["hygiene"][0]
def pf(ok): return "PASS" if ok else "FAIL"
print("| target | measured | result |\n|---|---|---|")
print(f"| idle RSS ≤ 8 MiB (8192 KiB) | {idle['rss_kb']} KiB ({idle['rss_kb_2s']} KiB 2 s later), {idle['threads']} threads, {idle['fds']} fds | {pf(max(idle['rss_kb'], idle['rss_kb_2s']) <= 8192)} |")
ok = thr['children_max'] >= int(sys.argv[2])
print(f"| threads with {sys.argv[2]} children at once ≤ 30 | {thr['threads_at_children_max']} threads at {thr['children_max']} children (max {thr['threads_max']} during the test; peak RSS {thr['hwm_kb']} KiB) | {pf(ok and thr['threads_max'] <= 30) if ok else 'NOT REACHED'} |")
print(f"| no zombie, no fd growth after {sys.argv[3]} connections | {hyg['connections_ok']} ok; fds {hyg['fds_before']} → {hyg['fds_after']}; zombies {hyg['zombies_before']} → {hyg['zombies_after']}; children left {hyg['children_after']}; RSS {hyg['rss_kb_before']} → {hyg['rss_kb_after']} KiB; threads {hyg['threads_before']} → {hyg['threads_after']} | {pf(hyg['fds_after'] <= hyg['fds_before'] and hyg['zombies_after'] == 0 and hyg['connections_ok'] >= int(sys.argv[3]) * 0.99)} |")
print()
print("| load | conns ok | errors | conn/s | zombies max (sampled) | children max | server CPU µs/conn |\n|---|---:|---:|---:|---:|---:|---:|")
for r in recs.get("load", []):
    s = r.get("server") or {}
    print(f"| {r['tags']['test']} | {r['ok']} | {r['errors_total']} {r.get('errors') or ''} | {r['cps']:.0f} | {s.get('zombies_max')} | {s.get('children_max')} | {s.get('cpu_us_per_conn', 0):.1f} |")
PY
cat "$RUN_DIR/summary.md"
log "raw: $RAW"
