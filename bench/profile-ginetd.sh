#!/usr/bin/env bash
# profile-ginetd.sh - where ginetd's CPU per connection goes: perf with
# software events only (it works in a VM), attached to the server process
# with --no-inherit so the exec'd children are not counted.
#
#   bench/profile-ginetd.sh                    # exec daytime, c=8, 8 s per phase
#   TEST=builtin-daytime bench/profile-ginetd.sh
#   GINETD_CMD='{bin} -f -R 0 -control {dir}/ginetd.sock -log /dev/null {conf}' bench/profile-ginetd.sh
#
# Three loads on one ginetd (bench config, private netns): 1) plain, for
# server CPU µs/conn; 2) under `perf stat` on every syscalls:sys_enter_*
# tracepoint plus sched/signal counters -> per-connection counts; 3) under
# `perf record -e cpu-clock -g` -> the top of `perf report` (children,
# self). perf inflates the CPU of phases 2-3; quote only counts and shares
# from them. Output: results/profile-<stamp>/ (summary.txt, perf.data).
# Knobs: TEST (exec-daytime|exec-cat|builtin-daytime|builtin-echo), C (8),
# SECS (8), GINETD_CMD, GINETD / GINETD_BIN, MAX_RUNTIME (300), NETNS=0.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SELF="$HERE/$(basename "$0")"
: "${TEST:=exec-daytime}" "${C:=8}" "${SECS:=8}" "${MAX_RUNTIME:=300}" "${NETNS:=1}" "${GINETD:=1}"
BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
OUT_DIR="${OUT_DIR:-$HERE/results}"
[[ -z "${GINETD_CMD:-}" ]] && GINETD_CMD='{bin} -f -R 0 -control {dir}/ginetd.sock {conf}'
if [[ "$NETNS" == 1 && -z "${BENCH_IN_NS:-}" ]]; then
	exec timeout -k 10 "$MAX_RUNTIME" unshare --net --mount --propagation private -- env BENCH_IN_NS=1 bash "$SELF" "$@"
fi
if [[ -n "${BENCH_IN_NS:-}" ]]; then
	ip link set lo up || exit 1
	mount -t tmpfs -o size=16m,mode=755 bench-run /run || true
fi
BUILD_GINETD=0
[[ "$GINETD" == 1 && -z "${GINETD_BIN:-}" ]] && BUILD_GINETD=1
BUILD_DIR="$BUILD_DIR" BUILD_GINETD=$BUILD_GINETD "$HERE/build.sh" >/dev/null || exit 1
[[ "$BUILD_GINETD" == 1 ]] && GINETD_BIN="$BUILD_DIR/ginetd"
R="$OUT_DIR/profile-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$R"
CONF="$R/inetd.conf"
{
	printf '127.0.0.1:17001\tstream\ttcp\tnowait\troot\t%s\tdaytime\n' "$BUILD_DIR/daytime"
	printf '127.0.0.1:17002\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n'
	printf '127.0.0.1:daytime\tstream\ttcp\tnowait\troot\tinternal\n'
	printf '127.0.0.1:echo\tstream\ttcp\tnowait\troot\tinternal\n'
	printf '127.0.0.1:daytime\tdgram\tudp\twait\troot\tinternal\n'
} >"$CONF"
case $TEST in
exec-daytime) LG=(-addr 127.0.0.1:17001) ;;
exec-cat) LG=(-addr 127.0.0.1:17002 -payload-size 64 -verify-echo) ;;
builtin-daytime) LG=(-addr 127.0.0.1:13) ;;
builtin-echo) LG=(-addr 127.0.0.1:7 -payload-size 64 -verify-echo) ;;
*) echo "unknown TEST $TEST" >&2; exit 2 ;;
esac
cmd=${GINETD_CMD//\{bin\}/$GINETD_BIN}
cmd=${cmd//\{conf\}/$CONF}
cmd=${cmd//\{dir\}/$R}
read -r -a CMD <<<"$cmd"
setsid "${CMD[@]}" >"$R/stdout.log" 2>"$R/stderr.log" </dev/null &
PID=$!
trap 'kill -TERM $PID 2>/dev/null' EXIT
for ((i = 0; i < 100; i++)); do ss -Hltn "sport = :7" | grep -q . && break; sleep 0.05; done
sleep 0.3
"$BUILD_DIR/loadgen" "${LG[@]}" -c 1 -duration 300ms -q >/dev/null 2>&1
lg() { "$BUILD_DIR/loadgen" "${LG[@]}" -c "$C" -duration "${SECS}s" -pid $PID -q "$@"; }
ok_of() { grep -o '"ok":[0-9]*' <<<"$1" | cut -d: -f2; }
{
	echo "ginetd: $cmd"
	echo "test $TEST c=$C, ${SECS}s per phase; $(nproc) CPUs; load avg $(cut -d' ' -f1-3 /proc/loadavg)"
	out=$(lg)
	echo "plain: ok=$(ok_of "$out") cps=$(grep -o '"cps":[0-9.]*' <<<"$out" | cut -d: -f2) server_cpu_us_per_conn=$(grep -o '"cpu_us_per_conn":[0-9.]*' <<<"$out" | cut -d: -f2) threads_max=$(grep -o '"threads_max":[0-9]*' <<<"$out" | cut -d: -f2) hwm_kb=$(grep -o '"hwm_kb":[0-9]*' <<<"$out" | cut -d: -f2)"
} | tee "$R/summary.txt"
# per-connection syscall / scheduler counts
perf stat --no-inherit -x, -o "$R/perfstat.csv" -e 'syscalls:sys_enter_*' \
	-e 'sched:sched_switch,sched:sched_wakeup,signal:signal_deliver,context-switches,cpu-migrations' \
	-p $PID -- sleep $((SECS + 1)) 2>/dev/null &
PS=$!
sleep 0.5
out=$(lg)
wait $PS
ok=$(ok_of "$out")
{
	echo
	echo "per connection under perf stat (ok=$ok; counts are of the ginetd process, all threads, children not included):"
	awk -F, -v n="$ok" '$1 ~ /^[0-9]+$/ && $1 > 0 { sub(/^syscalls:sys_enter_/, "", $3); printf "  %-28s %8.2f\n", $3, $1 / n }' "$R/perfstat.csv" | sort -k2 -nr | head -40
} | tee -a "$R/summary.txt"
perf record --no-inherit -e cpu-clock -F 4999 -g -o "$R/perf.data" -p $PID -- sleep $((SECS + 1)) 2>/dev/null &
PR=$!
sleep 0.5
lg >/dev/null
wait $PR
{
	echo
	echo "perf report (cpu-clock, inclusive 'children' share, top entries):"
	perf report -i "$R/perf.data" --children --stdio --no-demangle -g none --percent-limit 2 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
	echo
	echo "perf report (self):"
	perf report -i "$R/perf.data" --no-children --stdio -g none --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
} | tee -a "$R/summary.txt"
echo "stderr log lines: $(wc -l <"$R/stderr.log")" | tee -a "$R/summary.txt"
tail -c 65536 "$R/stderr.log" >"$R/stderr.tail" && rm -f "$R/stderr.log"
echo "profile: $R" >&2
