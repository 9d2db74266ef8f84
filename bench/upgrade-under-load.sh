#!/usr/bin/env bash
# upgrade-under-load.sh - binary upgrades under load, with wait services
# whose children are busy: is any connection lost, does a wait socket ever
# get two servers, does every upgrade succeed?  (docs/reliability.md,
# "Upgrades under load"; ginetd(8) "ginetd upgrade".)
#
#   bench/upgrade-under-load.sh                  # 10 upgrades, one a second, c=8
#   UPGRADE_BY=signal bench/upgrade-under-load.sh   # kill -USR2 instead of `ginetd upgrade`
#   GINETD_BIN=/path/to/ginetd bench/upgrade-under-load.sh
#
# One ginetd, built from this checkout, serves on 127.0.0.1 in a private
# network namespace (unshare -n; only lo):
#   exec-cat   stream nowait  /bin/cat (a child per connection)
#   echo       stream nowait  the built-in echo (served by ginetd itself)
#   wait-tcp   stream wait    bench/upgload: accepts on the listening socket
#                             for LIFE, answers "pid N", exits
#   wait-udp   dgram  wait    bench/upgload: answers every datagram for
#                             LIFE, exits
# bench/loadgen runs C clients in all (split over the four services, each a
# closed loop: connect, ask, check the answer, close) for
# SETTLE + UPGRADES*EVERY + SETTLE seconds; meanwhile `ginetd upgrade`
# (or SIGUSR2) every EVERY seconds, UPGRADES times. A wait child lives
# LIFE (1.3 s: not a multiple of EVERY), so children are always running,
# and some of them are serving across each upgrade.
#
# Two servers on one wait socket are detected by the children themselves:
# each takes flock(LOCK_EX|LOCK_NB) on a lock file when it starts (which
# only one live process can hold) and records "overlap" when it cannot;
# each also records its start and end (CLOCK_MONOTONIC), and
# `upgload check` looks for lifetimes that overlap.
#
# Passes (exit 0) when: 0 failed client attempts on every service; every
# upgrade succeeded (`ginetd upgrade: ok`, or for SIGUSR2 the pid file
# naming a new live ginetd within 30 s) and its old process exited; 0
# overlaps by lock and by lifetime; one ginetd left at the end; every
# `ginetd status` asked meanwhile (every 50 ms) answered; the pid file,
# read every 10 ms, never missing nor naming a dead process.
#
# Knobs: C (8), UPGRADES (10), EVERY (s, 1), SETTLE (s, 1), LIFE (1.3s),
# UPGRADE_BY (command | signal | alternate), GINETD_BIN, BUILD_DIR
# (bench/.build), OUT_DIR (bench/results; a run keeps its configs and logs
# in OUT_DIR/upgrade-STAMP/). As root.
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SELF="$HERE/$(basename "$0")"
: "${C:=8}" "${UPGRADES:=10}" "${EVERY:=1}" "${SETTLE:=1}" "${LIFE:=1.3s}" "${UPGRADE_BY:=command}"
BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
OUT_DIR="${OUT_DIR:-$HERE/results}"

if [[ -z "${UPG_IN_NS:-}" ]]; then
	if [[ "$(id -u)" != 0 ]]; then
		echo "upgrade-under-load.sh: needs root (a private network namespace)" >&2
		exit 1
	fi
	case $UPGRADE_BY in command | signal | alternate) ;; *)
		echo "upgrade-under-load.sh: UPGRADE_BY must be command, signal or alternate" >&2
		exit 2 ;;
	esac
	mkdir -p "$BUILD_DIR" "$OUT_DIR"
	BUILD_DIR=$(realpath "$BUILD_DIR") OUT_DIR=$(realpath "$OUT_DIR")
	commit="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	if [[ -n "$(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
		commit="$commit+dirty"
	fi
	if [[ -z "${GINETD_BIN:-}" ]]; then
		(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$BUILD_DIR/ginetd" ./cmd/ginetd) || exit 1
		GINETD_BIN="$BUILD_DIR/ginetd"
	else
		GINETD_BIN=$(realpath "$GINETD_BIN") || exit 1
		commit="binary $GINETD_BIN"
	fi
	(cd "$HERE/loadgen" && CGO_ENABLED=0 go build -trimpath -o "$BUILD_DIR/loadgen" .) || exit 1
	(cd "$HERE/upgload" && CGO_ENABLED=0 go build -trimpath -o "$BUILD_DIR/upgload" .) || exit 1
	exec unshare -n -- env UPG_IN_NS=1 UPG_COMMIT="$commit" GINETD_BIN="$GINETD_BIN" \
		BUILD_DIR="$BUILD_DIR" OUT_DIR="$OUT_DIR" bash "$SELF" "$@"
fi

ip link set lo up 2>/dev/null || {
	echo "upgrade-under-load.sh: cannot bring lo up (is iproute2 installed?)" >&2
	exit 1
}
HOST=127.0.0.1
P_CAT=17201 P_WTCP=17202 P_WUDP=17203 P_ECHO=7
LOADGEN="$BUILD_DIR/loadgen"
UPGLOAD="$BUILD_DIR/upgload"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
DIR="$OUT_DIR/upgrade-$STAMP"
mkdir -p "$DIR" && chmod 755 "$DIR"
CTL="$DIR/ginetd.sock"
PIDFILE="$DIR/ginetd.pid"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# alive PID: a process that has not exited (a zombie has).
alive() { [[ -r /proc/$1/stat ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }
pidfile_pid() { local p; read -r p <"$PIDFILE" 2>/dev/null && [[ "$p" =~ ^[0-9]+$ ]] && echo "$p"; }
# pids_of_exe PATH: live processes running the binary PATH in this run's
# network namespace (so never another run's).
NETNS_ID=$(readlink /proc/self/ns/net)
pids_of_exe() {
	local p e
	for p in /proc/[0-9]*; do
		e=$(readlink "$p/exe" 2>/dev/null) || continue
		[[ "$e" == "$1" && "$(readlink "$p/ns/net" 2>/dev/null)" == "$NETNS_ID" ]] &&
			alive "${p#/proc/}" && printf '%s ' "${p#/proc/}"
	done
}

# C clients over four services: C/4 each, the remainder to the wait services.
q=$((C / 4)) r=$((C % 4))
C_WTCP=$((q + (r > 0))) C_WUDP=$((q + (r > 1))) C_CAT=$((q + (r > 2))) C_ECHO=$q
cat >"$DIR/inetd.conf" <<EOF
# generated by upgrade-under-load.sh
$HOST:$P_CAT	stream	tcp	nowait	root	/bin/cat	cat
$HOST:echo	stream	tcp	nowait	root	internal
$HOST:$P_WTCP	stream	tcp	wait	root	$UPGLOAD	upgload wait-tcp $DIR wait-tcp $LIFE
$HOST:$P_WUDP	dgram	udp	wait	root	$UPGLOAD	upgload wait-udp $DIR wait-udp $LIFE
EOF

GPID=""
LOADPIDS=()
POLLPIDS=()
cleanup() {
	local p
	for p in "${LOADPIDS[@]}" "${POLLPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in $(pids_of_exe "$GINETD_BIN"); do kill -TERM "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "run $STAMP on ${UPG_COMMIT:-?}: $UPGRADES upgrades (${UPGRADE_BY}) every ${EVERY}s, c=$C, wait children live $LIFE; logs in $DIR"
setsid "$GINETD_BIN" -f -R 0 -hosts-allow none -control "$CTL" -pidfile "$PIDFILE" "$DIR/inetd.conf" \
	</dev/null >"$DIR/ginetd.out" 2>"$DIR/ginetd.log" &
GPID=$!
up=0
for ((i = 0; i < 200; i++)); do
	if [[ -S "$CTL" && "$(pidfile_pid)" == "$GPID" ]] &&
		ss -Hltn "sport = :$P_CAT" | grep -q . && ss -Hltn "sport = :$P_WTCP" | grep -q . &&
		ss -Hltn "sport = :$P_ECHO" | grep -q . && ss -Hlun "sport = :$P_WUDP" | grep -q .; then
		up=1
		break
	fi
	alive "$GPID" || break
	sleep 0.05
done
if [[ $up != 1 ]]; then
	log "ginetd did not come up: $(head -c 600 "$DIR/ginetd.log")"
	exit 1
fi

secs=$((2 * SETTLE + UPGRADES * EVERY))
lg() { # lg NAME CONC ARGS...
	local name=$1 c=$2
	shift 2
	((c > 0)) || return 0
	"$LOADGEN" -c "$c" -duration "${secs}s" -timeout 5s -q -tag "svc=$name" "$@" \
		>"$DIR/load-$name.json" 2>"$DIR/load-$name.err" &
	LOADPIDS+=($!)
}
lg exec-cat "$C_CAT" -addr "$HOST:$P_CAT" -payload "hello upgrade" -verify-echo
lg echo "$C_ECHO" -addr "$HOST:$P_ECHO" -payload "hello upgrade" -verify-echo
lg wait-tcp "$C_WTCP" -addr "$HOST:$P_WTCP" -min-bytes 5
lg wait-udp "$C_WUDP" -addr "$HOST:$P_WUDP" -proto udp -min-bytes 5

# Meanwhile, what scripts and operators do: `ginetd status` on the control
# socket (every 50 ms), and the pid file read every 10 ms, which must
# always name a live ginetd (ginetd(8): neither is ever missing).
POLL_STOP="$DIR/poll.stop"
(
	n=0 bad=0 first=""
	while [[ ! -e $POLL_STOP ]]; do
		if ! out=$("$GINETD_BIN" status -control "$CTL" 2>&1); then
			bad=$((bad + 1))
			[[ -z "$first" ]] && first=$(tr '\n' ' ' <<<"$out")
		fi
		n=$((n + 1))
		sleep 0.05
	done
	echo "requests=$n failed=$bad first=$first" >"$DIR/status-poll.txt"
) &
POLLPIDS=($!)
(
	n=0 missing=0 dead=0 first=""
	while [[ ! -e $POLL_STOP ]]; do
		p=$(pidfile_pid)
		if [[ -z "$p" ]]; then
			missing=$((missing + 1))
		elif [[ "$(readlink "/proc/$p/exe" 2>/dev/null)" != "$GINETD_BIN" ]] || ! alive "$p"; then
			# Gone since the read? Only if the file still names it.
			if [[ "$(pidfile_pid)" == "$p" ]]; then
				dead=$((dead + 1))
				[[ -z "$first" ]] && first=$p
			fi
		fi
		n=$((n + 1))
		sleep 0.01
	done
	echo "reads=$n missing=$missing dead=$dead first=$first" >"$DIR/pidfile-poll.txt"
) &
POLLPIDS+=($!)

# The upgrades, on a fixed schedule from the start of the load.
t0=$(now_ms)
OLDPIDS=()
: >"$DIR/upgrades.txt"
for ((i = 1; i <= UPGRADES; i++)); do
	at=$((t0 + SETTLE * 1000 + (i - 1) * EVERY * 1000))
	n=$(now_ms)
	((at > n)) && sleep "$(awk -v d=$((at - n)) 'BEGIN{printf "%.3f", d/1000}')"
	old=$(pidfile_pid)
	how=$UPGRADE_BY
	[[ $how == alternate ]] && { ((i % 2)) && how=command || how=signal; }
	s=$(now_ms)
	rc=0 out="" new=""
	if [[ $how == command ]]; then
		out=$(timeout 40 "$GINETD_BIN" upgrade -control "$CTL" 2>&1) || rc=$?
		new=$(pidfile_pid)
	else
		kill -USR2 "$old" 2>/dev/null || rc=$?
		for ((k = 0; k < 3000 && rc == 0; k++)); do
			new=$(pidfile_pid)
			[[ -n "$new" && "$new" != "$old" ]] && break
			sleep 0.01
		done
		out="pid file: $new"
	fi
	took=$(($(now_ms) - s))
	ok=1
	[[ $rc == 0 && -n "$new" && "$new" != "$old" ]] && alive "$new" || ok=0
	[[ $how == command && "$out" != *"upgrade: ok"* ]] && ok=0
	[[ -n "$old" ]] && OLDPIDS+=("$old")
	printf '%d %s %s %s %d %d %d %s\n' "$i" "$how" "${old:--}" "${new:--}" "$rc" "$ok" "$took" "$(tr '\n' ' ' <<<"$out")" >>"$DIR/upgrades.txt"
	log "  upgrade $i ($how): $old -> ${new:--}, rc=$rc, ${took} ms: $(tr '\n' ' ' <<<"$out")"
done
lfail=0
for p in "${LOADPIDS[@]}"; do wait "$p" || lfail=1; done
touch "$POLL_STOP"
for p in "${POLLPIDS[@]}"; do wait "$p"; done
POLLPIDS=()
LOADPIDS=()

# Every old ginetd gone? (each had up to 30 s to hand over; it is long done)
old_left=()
for p in "${OLDPIDS[@]}"; do
	for ((k = 0; k < 100; k++)); do alive "$p" || break; sleep 0.05; done
	alive "$p" && old_left+=("$p")
done
gin_left=$(pids_of_exe "$GINETD_BIN")
final=$(pidfile_pid)
"$GINETD_BIN" status -control "$CTL" >"$DIR/status.txt" 2>&1
# Stop; the wait children then end by themselves within LIFE.
[[ -n "$final" ]] && kill -TERM "$final" 2>/dev/null
for ((k = 0; k < 200; k++)); do [[ -z "$(pids_of_exe "$GINETD_BIN")" ]] && break; sleep 0.05; done
for ((k = 0; k < 200; k++)); do [[ -z "$(pids_of_exe "$UPGLOAD")" ]] && break; sleep 0.05; done
left=$(pids_of_exe "$UPGLOAD")
[[ -n "$left" ]] && kill -KILL $left 2>/dev/null

echo
echo "upgrade-under-load on ${UPG_COMMIT:-?}: $UPGRADES upgrades ($UPGRADE_BY) every ${EVERY}s under c=$C for ${secs}s; wait children live $LIFE; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
status=0
"$UPGLOAD" clients "$DIR" exec-cat:"exec nowait" echo:built-in wait-tcp:"wait stream" wait-udp:"wait dgram" \
	>"$DIR/clients.txt" 2>&1 || status=1
cat "$DIR/clients.txt"
echo
"$UPGLOAD" check "$DIR" wait-tcp wait-udp >"$DIR/children.txt" 2>&1 || status=1
cat "$DIR/children.txt"
echo
upg_ok=$(awk '$6 == 1' "$DIR/upgrades.txt" | wc -l)
upg_fail=$(awk '$6 != 1' "$DIR/upgrades.txt" | wc -l)
took=$(awk '{print $7}' "$DIR/upgrades.txt" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%d / %d / %d ms", a[1], a[int((NR+1)/2)], a[NR]}')
echo "upgrades: $upg_ok ok, $upg_fail failed (of $UPGRADES); took min / median / max: $took"
awk '$6 != 1 {print "  failed: " $0}' "$DIR/upgrades.txt"
echo "old ginetd still running after their upgrade: ${#old_left[@]} ${old_left[*]:+(${old_left[*]})}"
echo "ginetd running before the stop: $(wc -w <<<"$gin_left") ($gin_left), the pid file: ${final:--}"
echo "wait children killed after the stop: $(wc -w <<<"$left")"
echo "ginetd status during the run: $(cat "$DIR/status-poll.txt" 2>/dev/null)"
echo "pid file during the run: $(cat "$DIR/pidfile-poll.txt" 2>/dev/null)"
echo
((upg_fail > 0 || upg_ok != UPGRADES)) && status=1
((${#old_left[@]} > 0)) && status=1
[[ "$(wc -w <<<"$gin_left")" != 1 || " $gin_left" != *" $final "* ]] && status=1
[[ $lfail != 0 ]] && status=1
grep -q ' failed=0 ' "$DIR/status-poll.txt" 2>/dev/null || status=1
grep -q ' missing=0 dead=0 ' "$DIR/pidfile-poll.txt" 2>/dev/null || status=1
warn=$(grep -cE 'level=(WARN|ERROR)' "$DIR/ginetd.log")
echo "ginetd warnings and errors logged: $warn (by event: $(grep -E 'level=(WARN|ERROR)' "$DIR/ginetd.log" | grep -o 'msg=[^ ]*' | sort | uniq -c | awk '{printf "%s %s; ", $2, $1}'))"
if [[ $status == 0 ]]; then
	echo "PASS"
else
	echo "FAIL (logs: $DIR)"
fi
exit $status
