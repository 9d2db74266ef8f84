#!/usr/bin/env bash
# run-peers.sh - measure Internet super-servers side by side on this machine.
#
# See README.md for what is measured and how each peer is configured.
#
#   bench/install-peers.sh                 # once: fetch/unpack/build the peers
#   bench/run-peers.sh                     # full run (~10 min)
#   QUICK=1 bench/run-peers.sh             # ~2-3 min smoke run
#   PEERS="xinetd floor-c-fork" bench/run-peers.sh
#   GINETD=0 bench/run-peers.sh            # peers only (by default ginetd is built
#                                          # from this checkout and added to the run)
#   GINETD_BIN=path/to/ginetd bench/run-peers.sh   # measure that binary instead
#
# Everything runs inside a private network namespace (only its own loopback
# exists) and a private mount namespace (/run is a private tmpfs, so peers
# that write pidfiles there cannot touch the host's), unless NETNS=0.
# All traffic goes to 127.0.0.1. Every load is bounded by time and count.
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SELF="$HERE/$(basename "$0")"

# ---------------------------------------------------------------- settings
QUICK="${QUICK:-0}"
if [[ "$QUICK" == 1 ]]; then
	: "${DURATION:=2}" "${ROUNDS:=1}" "${UDP_DURATION:=1}"
else
	: "${DURATION:=5}" "${ROUNDS:=3}" "${UDP_DURATION:=2}"
fi
CONCS="${CONCS:-1 8 64}"                 # exec (daytime) concurrencies, round 1
BUILTIN_CONCS="${BUILTIN_CONCS:-8 64}"   # builtin daytime/echo concurrencies
CAT_CONCS="${CAT_CONCS:-8}"              # exec /bin/cat (echo) concurrencies
KEY_CONC="${KEY_CONC:-8}"                # the measure repeated in every round
# Tests repeated in rounds >= 2 ("test:conc ..."); default: exec daytime at KEY_CONC.
# bench/run-targets.sh repeats every test that a ginetd target is judged on.
KEY_TESTS="${KEY_TESTS:-exec-daytime:$KEY_CONC}"
MAX_RUNTIME="${MAX_RUNTIME:-1800}"       # hard wall-clock cap for the whole run (s)
PEERS_DIR="${PEERS_DIR:-$HERE/.peers}"
BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
OUT_DIR="${OUT_DIR:-$HERE/results}"
NETNS="${NETNS:-1}"
DEFAULT_PEERS="xinetd openbsd-inetd inetutils-inetd busybox-inetd rlinetd tcpserver tcpsvd systemd-socket-activate floor-c-fork floor-c-spawn floor-go-forkexec floor-go-builtin"
PEERS="${PEERS:-$DEFAULT_PEERS}"
# ginetd (this project) and optional extra peer(s) reading an inetd.conf-format file.
#   GINETD=1 (default)         -> peer "ginetd", built from ../cmd/ginetd into BUILD_DIR
#   GINETD_BIN=path            -> peer "ginetd" with that binary instead
#   GINETD_CMD='{bin} -f {conf} -v'  (template; {bin} {conf} {dir} are substituted;
#                                     default: no spawn-rate limit, control socket in {dir})
#   GINETD_BUILTINS=0          -> no "internal" lines in its config, no builtin tests
#   EXTRA_PEER_NAME=x EXTRA_PEER_CMD='/path/x -f {conf}' [EXTRA_PEER_BUILTINS=0]
GINETD="${GINETD:-1}"
[[ -z "${GINETD_CMD:-}" ]] && GINETD_CMD='{bin} -f -R 0 -control {dir}/ginetd.sock {conf}'
GINETD_BUILTINS="${GINETD_BUILTINS:-1}"
EXTRA_PEER_BUILTINS="${EXTRA_PEER_BUILTINS:-1}"
# Lines added to the generated inetd.conf of ginetd/extra peers use this wait
# field; plain "nowait" assumes the server has no default rate limit.
EXTRA_NOWAIT="${EXTRA_NOWAIT:-nowait}"

EXEC_PORT=17001    # nowait exec of bench/daytime
CAT_PORT=17002     # nowait exec of /bin/cat (echo)
DAYTIME_PORT=13    # builtin daytime (tcp and udp): inetds find builtins by service name
ECHO_PORT=7        # builtin echo (tcp)
HOST=127.0.0.1

# ------------------------------------------- enter private namespaces, cap time
if [[ "$NETNS" == 1 && -z "${BENCH_IN_NS:-}" ]]; then
	if unshare --net --mount true 2>/dev/null; then
		exec timeout -k 10 "$MAX_RUNTIME" unshare --net --mount --propagation private -- \
			env BENCH_IN_NS=1 bash "$SELF" "$@"
	fi
	echo "run-peers: cannot unshare namespaces (not root?); set NETNS=0 to run on the host loopback" >&2
	exit 1
fi
if [[ -n "${BENCH_IN_NS:-}" ]]; then
	ip link set lo up || { echo "run-peers: cannot bring up lo" >&2; exit 1; }
	mount -t tmpfs -o size=16m,mode=755 bench-run /run || echo "run-peers: warning: /run not private" >&2
fi

# ------------------------------------------------------------------- build
BUILD_GINETD=0
[[ "$GINETD" == 1 && -z "${GINETD_BIN:-}" ]] && BUILD_GINETD=1
BUILD_DIR="$BUILD_DIR" BUILD_GINETD=$BUILD_GINETD "$HERE/build.sh" || { echo "run-peers: build failed" >&2; exit 1; }
[[ "$BUILD_GINETD" == 1 ]] && GINETD_BIN="$BUILD_DIR/ginetd"
LOADGEN="$BUILD_DIR/loadgen"
DAYTIME="$BUILD_DIR/daytime"
CAT=/bin/cat

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN_DIR="$OUT_DIR/$STAMP"
WORK="$RUN_DIR/work"
RAW="$RUN_DIR/raw.jsonl"
mkdir -p "$WORK"
: >"$RAW"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
jstr() { # JSON string escape (enough for paths, commands, messages)
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/ }
	s=${s//$'\t'/ }
	printf '"%s"' "$s"
}
# records name files relative to bench/ (no absolute paths of this machine in results)
emit() { local l=${*//"$HERE/"/}; printf '%s\n' "$l" >>"$RAW"; }

CUR_PID=""
cleanup() {
	if [[ -n "$CUR_PID" ]] && kill -0 "$CUR_PID" 2>/dev/null; then
		kill -TERM "$CUR_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$CUR_PID" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -------------------------------------------------------------- peer table
# peer_define NAME: sets
#   P_MODE   multi  = one process serves every service of the peer
#            single = one process per service (tcpserver, tcpsvd, floors...)
#   P_CAPS   subset of: exec cat builtin echo udp
#   P_BIN    main binary (checked for existence)
#   P_VERSION
#   P_NOTE   how it is run (for the report)
# and peer_cmd NAME DIR SERVICE fills array P_CMD (SERVICE: all | exec | cat | builtin).
bin_of() { # first existing candidate
	local c
	for c in "$@"; do
		if [[ -n "$c" && -x "$c" ]]; then
			printf '%s' "$c"
			return 0
		fi
	done
	return 1
}
ver_of() { [[ -f "$PEERS_DIR/$1.version" ]] && cat "$PEERS_DIR/$1.version" || echo "?"; }

peer_define() {
	P_MODE=multi P_CAPS="" P_BIN="" P_VERSION="" P_NOTE=""
	case "$1" in
	xinetd)
		P_BIN=$(bin_of "${XINETD_BIN:-}" "$PEERS_DIR/xinetd/usr/sbin/xinetd" /usr/sbin/xinetd)
		P_CAPS="exec cat builtin echo udp" P_VERSION=$(ver_of xinetd)
		P_NOTE="xinetd -dontfork -f CONF -filelog LOG; instances/per_source UNLIMITED, cps 1000000 1, no per-connection logging" ;;
	openbsd-inetd)
		P_BIN=$(bin_of "${OPENBSD_INETD_BIN:-}" "$PEERS_DIR/openbsd-inetd/usr/sbin/inetd")
		P_CAPS="exec cat builtin echo udp" P_VERSION=$(ver_of openbsd-inetd)
		P_NOTE="inetd -i -q 1024 -R 1000000 CONF; nowait.1000000" ;;
	inetutils-inetd)
		P_BIN=$(bin_of "${INETUTILS_INETD_BIN:-}" "$PEERS_DIR/inetutils-inetd/usr/sbin/inetutils-inetd" /usr/sbin/inetutils-inetd)
		P_CAPS="exec cat builtin echo udp" P_VERSION=$(ver_of inetutils-inetd)
		P_NOTE="inetutils-inetd -d -R 1000000 --pidfile=WORKDIR/inetd.pid CONF (-d is its only foreground mode; prints a few debug lines per connection); nowait.1000000" ;;
	busybox-inetd)
		P_BIN=$(bin_of "${BUSYBOX_INETD_BIN:-}" "$PEERS_DIR/busybox-inetd/busybox")
		P_CAPS="exec cat builtin echo udp" P_VERSION=$(ver_of busybox-inetd)
		P_NOTE="busybox inetd -f -q 1024 CONF (-R off by default); busybox built from Debian source, inetd applet only" ;;
	rlinetd)
		P_BIN=$(bin_of "${RLINETD_BIN:-}" "$PEERS_DIR/rlinetd/usr/sbin/rlinetd")
		P_CAPS="exec cat builtin echo udp" P_VERSION=$(ver_of rlinetd)
		P_NOTE="rlinetd -d -f CONF -p libparse.so; instances 100000, backlog 1024 (default 5 causes 1 s SYN-retry stalls); builtins: echo \"%I\\n\" (daytime), loopback (echo)" ;;
	tcpserver)
		P_BIN=$(bin_of "${TCPSERVER_BIN:-}" "$PEERS_DIR/ucspi-tcp/usr/bin/tcpserver" /usr/bin/tcpserver)
		P_MODE=single P_CAPS="exec cat" P_VERSION=$(ver_of ucspi-tcp)
		P_NOTE="tcpserver -H -R -l 0 -c 1000 -b 1024 127.0.0.1 PORT PROG (no DNS, no ident lookups); one process per port" ;;
	tcpsvd)
		P_BIN=$(bin_of "${TCPSVD_BIN:-}" "$PEERS_DIR/ipsvd/usr/bin/tcpsvd" /usr/bin/tcpsvd)
		P_MODE=single P_CAPS="exec cat" P_VERSION=$(ver_of ipsvd)
		P_NOTE="tcpsvd -l localhost -c 1000 -b 1024 127.0.0.1 PORT PROG; one process per port" ;;
	systemd-socket-activate)
		P_BIN=$(bin_of "${SSA_BIN:-}" /usr/bin/systemd-socket-activate /bin/systemd-socket-activate)
		P_MODE=single P_CAPS="exec cat"
		P_VERSION=$(dpkg-query -W -f '${Version}' systemd 2>/dev/null || echo "?")
		P_NOTE="systemd-socket-activate -l 127.0.0.1:PORT --accept --inetd PROG (standalone; no systemd as PID 1); logs one line per child exit" ;;
	floor-c-fork)
		P_BIN="$BUILD_DIR/floor-forkexec" P_MODE=single P_CAPS="exec cat" P_VERSION=ref
		P_NOTE="bench/floor/forkexec.c: accept4 + fork + dup2 + execv, SIGCHLD ignored" ;;
	floor-c-spawn)
		P_BIN="$BUILD_DIR/floor-forkexec" P_MODE=single P_CAPS="exec cat" P_VERSION=ref
		P_NOTE="bench/floor/forkexec.c -s: accept4 + posix_spawn (CLONE_VM|CLONE_VFORK)" ;;
	floor-go-forkexec)
		P_BIN="$BUILD_DIR/floor-goforkexec" P_MODE=single P_CAPS="exec cat" P_VERSION=ref
		P_NOTE="bench/floor/goforkexec: net.Listener accept + syscall.ForkExec, reap on SIGCHLD" ;;
	floor-go-forkexec-raw)
		P_BIN="$BUILD_DIR/floor-goforkexec" P_MODE=single P_CAPS="exec cat" P_VERSION=ref
		P_NOTE="bench/floor/goforkexec -mode raw: blocking accept4 loop + syscall.ForkExec" ;;
	floor-go-builtin)
		P_BIN="$BUILD_DIR/floor-gobuiltin" P_MODE=multi P_CAPS="builtin echo udp" P_VERSION=ref
		P_NOTE="bench/floor/gobuiltin: in-process daytime/echo, goroutine per connection" ;;
	ginetd)
		P_BIN=$(bin_of "${GINETD_BIN:-}") P_VERSION="${GINETD_VERSION:-$( ("$P_BIN" version || "$P_BIN" -version) 2>/dev/null | head -1)}"
		[[ -z "$P_VERSION" && -f "$BUILD_DIR/ginetd.version" ]] && P_VERSION=$(cat "$BUILD_DIR/ginetd.version")
		P_CAPS="exec cat"
		[[ "$GINETD_BUILTINS" == 1 ]] && P_CAPS+=" builtin echo udp"
		P_NOTE="$GINETD_CMD with a generated inetd.conf (see README)" ;;
	"${EXTRA_PEER_NAME:-}")
		P_BIN=$(set -- ${EXTRA_PEER_CMD}; bin_of "$1") P_VERSION="${EXTRA_PEER_VERSION:-?}"
		P_CAPS="exec cat"
		[[ "$EXTRA_PEER_BUILTINS" == 1 ]] && P_CAPS+=" builtin echo udp"
		P_NOTE="$EXTRA_PEER_CMD with a generated inetd.conf" ;;
	*) return 1 ;;
	esac
	[[ -n "$P_BIN" && -x "$P_BIN" ]]
}

has_cap() { [[ " $P_CAPS " == *" $1 "* ]]; }

# inetd.conf shared by openbsd-inetd, inetutils-inetd, busybox inetd and
# ginetd. Service field: HOST:PORT for exec services, HOST:NAME for
# builtins (these inetds find a builtin by its /etc/services name).
write_inetd_conf() { # FILE WAITFIELD BUILTINS(0/1)
	local f=$1 nw=$2 bi=$3
	{
		echo "# generated by run-peers.sh"
		printf '%s\tstream\ttcp\t%s\troot\t%s\t%s\n' "$HOST:$EXEC_PORT" "$nw" "$DAYTIME" daytime
		printf '%s\tstream\ttcp\t%s\troot\t%s\t%s\n' "$HOST:$CAT_PORT" "$nw" "$CAT" cat
		if [[ "$bi" == 1 ]]; then
			printf '%s\tstream\ttcp\t%s\troot\tinternal\n' "$HOST:daytime" "$nw"
			printf '%s\tstream\ttcp\t%s\troot\tinternal\n' "$HOST:echo" "$nw"
			printf '%s\tdgram\tudp\twait\troot\tinternal\n' "$HOST:daytime"
		fi
	} >"$f"
}

write_xinetd_conf() { # FILE DIR
	local f=$1 d=$2
	cat >"$f" <<EOF
# generated by run-peers.sh
defaults
{
	instances	= UNLIMITED
	per_source	= UNLIMITED
	cps		= 1000000 1
	log_type	= FILE $d/xinetd-services.log
	log_on_success	=
	log_on_failure	=
}
service bench-daytime-exec
{
	type		= UNLISTED
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= root
	bind		= $HOST
	port		= $EXEC_PORT
	server		= $DAYTIME
}
service bench-cat-exec
{
	type		= UNLISTED
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= root
	bind		= $HOST
	port		= $CAT_PORT
	server		= $CAT
}
service daytime
{
	type		= INTERNAL
	id		= daytime-stream
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= root
	bind		= $HOST
}
service echo
{
	type		= INTERNAL
	id		= echo-stream
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= root
	bind		= $HOST
}
service daytime
{
	type		= INTERNAL
	id		= daytime-dgram
	socket_type	= dgram
	protocol	= udp
	wait		= yes
	user		= root
	bind		= $HOST
}
EOF
}

write_rlinetd_conf() { # FILE
	local common="	interface $HOST;
	user \"root\";
	instances 100000;
	backlog 1024;"
	cat >"$1" <<EOF
# generated by run-peers.sh
service "bench-daytime-exec" {
	port $EXEC_PORT;
	protocol tcp;
$common
	exec "$DAYTIME";
}
service "bench-cat-exec" {
	port $CAT_PORT;
	protocol tcp;
$common
	exec "$CAT";
}
service "daytime" {
	port $DAYTIME_PORT;
	protocol tcp;
$common
	echo "%I\n";
	close;
}
service "echo" {
	port $ECHO_PORT;
	protocol tcp;
$common
	loopback;
}
service "daytime-udp" {
	port $DAYTIME_PORT;
	protocol udp;
$common
	echo "%I\n";
	close;
}
EOF
}

fill_template() { # TEMPLATE CONF DIR -> P_CMD (split on spaces)
	local t=$1
	t=${t//\{bin\}/$P_BIN}
	t=${t//\{conf\}/$2}
	t=${t//\{dir\}/$3}
	read -r -a P_CMD <<<"$t"
}

# peer_cmd NAME DIR SERVICE -> P_CMD, P_TCP_PORTS, P_UDP_PORTS
peer_cmd() {
	local name=$1 d=$2 svc=$3 port prog argv0
	P_CMD=() P_TCP_PORTS="" P_UDP_PORTS=""
	case "$svc" in
	exec) port=$EXEC_PORT prog=$DAYTIME argv0=daytime ;;
	cat) port=$CAT_PORT prog=$CAT argv0=cat ;;
	esac
	if [[ "$P_MODE" == multi ]]; then
		has_cap exec && P_TCP_PORTS+=" $EXEC_PORT"
		has_cap cat && P_TCP_PORTS+=" $CAT_PORT"
		has_cap builtin && P_TCP_PORTS+=" $DAYTIME_PORT"
		has_cap echo && P_TCP_PORTS+=" $ECHO_PORT"
		has_cap udp && P_UDP_PORTS+=" $DAYTIME_PORT"
	else
		P_TCP_PORTS=" $port"
	fi
	case "$name" in
	xinetd)
		write_xinetd_conf "$d/xinetd.conf" "$d"
		P_CMD=("$P_BIN" -dontfork -f "$d/xinetd.conf" -filelog "$d/xinetd.log") ;;
	openbsd-inetd)
		write_inetd_conf "$d/inetd.conf" nowait.1000000 1
		P_CMD=("$P_BIN" -i -q 1024 -R 1000000 "$d/inetd.conf") ;;
	inetutils-inetd)
		write_inetd_conf "$d/inetd.conf" nowait.1000000 1
		P_CMD=("$P_BIN" -d -R 1000000 "--pidfile=$d/inetd.pid" "$d/inetd.conf") ;;
	busybox-inetd)
		write_inetd_conf "$d/inetd.conf" nowait.1000000 1
		P_CMD=("$P_BIN" inetd -f -q 1024 "$d/inetd.conf") ;;
	rlinetd)
		write_rlinetd_conf "$d/rlinetd.conf"
		local parser
		parser=$(ls "$(dirname "$(dirname "$P_BIN")")"/lib/*/rlinetd/libparse.so 2>/dev/null | head -1)
		[[ -z "$parser" ]] && parser=$(ls /usr/lib/*/rlinetd/libparse.so 2>/dev/null | head -1)
		P_CMD=("$P_BIN" -d -f "$d/rlinetd.conf" -p "$parser") ;;
	tcpserver)
		P_CMD=("$P_BIN" -H -R -l 0 -c 1000 -b 1024 "$HOST" "$port" "$prog") ;;
	tcpsvd)
		P_CMD=("$P_BIN" -l localhost -c 1000 -b 1024 "$HOST" "$port" "$prog") ;;
	systemd-socket-activate)
		P_CMD=("$P_BIN" -l "$HOST:$port" --accept --inetd "$prog") ;;
	floor-c-fork)
		P_CMD=("$P_BIN" "$HOST:$port" "$prog" "$argv0") ;;
	floor-c-spawn)
		P_CMD=("$P_BIN" -s "$HOST:$port" "$prog" "$argv0") ;;
	floor-go-forkexec)
		P_CMD=("$P_BIN" -listen "$HOST:$port" "$prog" "$argv0") ;;
	floor-go-forkexec-raw)
		P_CMD=("$P_BIN" -mode raw -listen "$HOST:$port" "$prog" "$argv0") ;;
	floor-go-builtin)
		P_CMD=("$P_BIN" -daytime "$HOST:$DAYTIME_PORT" -echo "$HOST:$ECHO_PORT" -udp-daytime "$HOST:$DAYTIME_PORT") ;;
	ginetd)
		write_inetd_conf "$d/inetd.conf" "$EXTRA_NOWAIT" "$GINETD_BUILTINS"
		fill_template "$GINETD_CMD" "$d/inetd.conf" "$d" ;;
	"${EXTRA_PEER_NAME:-}")
		write_inetd_conf "$d/inetd.conf" "$EXTRA_NOWAIT" "$EXTRA_PEER_BUILTINS"
		fill_template "$EXTRA_PEER_CMD" "$d/inetd.conf" "$d" ;;
	esac
}

# ------------------------------------------------------- process handling
proc_field() { # PID FIELD  (from /proc/PID/status, first number)
	awk -v f="$2:" '$1==f {print $2; exit}' "/proc/$1/status" 2>/dev/null
}
listening() { # TCPPORTS UDPPORTS -> 0 when all listen
	local p
	for p in $1; do ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || return 1; done
	for p in $2; do ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || return 1; done
	return 0
}
backlogs() { # TCPPORTS -> "port:backlog,..."
	local p out="" b
	for p in $1; do
		b=$(ss -Hltn "sport = :$p" 2>/dev/null | awk '{print $3; exit}')
		out+="${out:+,}$p:${b:-?}"
	done
	printf '%s' "$out"
}
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | wc -w; }
zombies_of() {
	local c n=0
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[[ "$(awk '{print $3}' /proc/"$c"/stat 2>/dev/null)" == Z ]] && n=$((n + 1))
	done
	echo $n
}
in_session() { # SID -> pids of live processes in that session other than SID itself
	ps -eo pid=,sid= | awk -v s="$1" '$2==s && $1!=s {printf "%s ", $1}'
}

# start_peer NAME SERVICE DIR -> sets PID (0 on failure)
start_peer() {
	local name=$1 svc=$2 d=$3 i
	mkdir -p "$d"
	peer_cmd "$name" "$d" "$svc"
	printf '%q ' "${P_CMD[@]}" >"$d/cmdline"
	echo >>"$d/cmdline"
	# setsid: the peer leads its own session, so anything it leaves behind can be found by sid
	setsid "${P_CMD[@]}" >"$d/stdout.log" 2>"$d/stderr.log" </dev/null &
	PID=$!
	CUR_PID=$PID
	for ((i = 0; i < 100; i++)); do # up to 5 s
		if ! kill -0 "$PID" 2>/dev/null; then break; fi
		if listening "$P_TCP_PORTS" "$P_UDP_PORTS"; then
			sleep 0.3 # let it settle before the idle reading
			return 0
		fi
		sleep 0.05
	done
	log "  $name ($svc) did not come up; stderr: $(head -c 300 "$d/stderr.log" | tr '\n' ' ')"
	stop_peer
	PID=0
	return 1
}

# stop_peer: waits for children to drain, SIGTERM (then SIGKILL), checks leftovers.
# Leaves JSON fields for the peer record in STOPINFO (no subshell: it must wait for its child).
stop_peer() {
	local i zomb kids how="term" left alive=1
	for ((i = 0; i < 60; i++)); do # children drain, up to 3 s
		[[ "$(children_of "$PID")" -eq 0 ]] && break
		[[ "$(zombies_of "$PID")" -eq "$(children_of "$PID")" && $i -ge 20 ]] && break
		sleep 0.05
	done
	kids=$(children_of "$PID")
	zomb=$(zombies_of "$PID")
	kill -0 "$PID" 2>/dev/null || alive=0
	kill -TERM "$PID" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		# a zombie of ours counts as gone
		[[ "$(awk '{print $3}' /proc/"$PID"/stat 2>/dev/null)" == Z ]] && break
		sleep 0.05
	done
	# (bash may reap the exited peer between kill -0 and reading its state:
	# an empty state means it is gone, not that SIGTERM failed)
	local st=""
	kill -0 "$PID" 2>/dev/null && st=$(awk '{print $3}' /proc/"$PID"/stat 2>/dev/null)
	if [[ -n "$st" && "$st" != Z ]]; then
		kill -KILL "$PID" 2>/dev/null
		how="kill"
	fi
	wait "$PID" 2>/dev/null
	local rc=$?
	sleep 0.2
	left=$(in_session "$PID")
	if [[ -n "$left" ]]; then
		log "  leftover processes in session $PID: $left -- killing them"
		ps -o pid,ppid,stat,args -p "${left// /,}" >&2 2>/dev/null
		kill -KILL $left 2>/dev/null
	fi
	CUR_PID=""
	local nleft
	nleft=$(wc -w <<<"$left")
	STOPINFO=$(printf '"alive_before_stop":%s,"children_before_stop":%s,"zombies_before_stop":%s,"stop":"%s","exit_status":%s,"leftover_procs":%s' \
		"$([[ $alive == 1 ]] && echo true || echo false)" "${kids:-0}" "${zomb:-0}" "$how" "$rc" "$nleft")
}

# ------------------------------------------------------------------- tests
# test spec: NAME PORT PROTO EXTRA-ARGS
test_args() {
	case "$1" in
	exec-daytime) echo "tcp $EXEC_PORT" ;;
	exec-cat) echo "tcp $CAT_PORT -payload-size 64 -verify-echo" ;;
	builtin-daytime) echo "tcp $DAYTIME_PORT" ;;
	builtin-echo) echo "tcp $ECHO_PORT -payload-size 64 -verify-echo" ;;
	udp-daytime) echo "udp $DAYTIME_PORT -timeout 200ms" ;;
	esac
}

NSTAT_KEYS="TcpExtListenOverflows TcpExtListenDrops TcpExtTCPSynRetrans TcpRetransSegs TcpExtTCPTimeWaitOverflow UdpRcvbufErrors UdpNoPorts"
# -a absolute, -s do not touch nstat's history file, -z print zeros; counters are per netns
net_counters() { nstat -asz $NSTAT_KEYS 2>/dev/null | awk '$1 !~ /^#/ {printf "%s=%s ", $1, $2}'; }
net_delta_json() { # BEFORE AFTER
	local k out="" b a
	for k in $NSTAT_KEYS; do
		b=$(tr ' ' '\n' <<<"$1" | awk -F= -v k="$k" '$1==k{print $2}')
		a=$(tr ' ' '\n' <<<"$2" | awk -F= -v k="$k" '$1==k{print $2}')
		out+="${out:+,}\"$k\":$((${a:-0} - ${b:-0}))"
	done
	printf '{%s}' "$out"
}

# run_test PEER ROUND TEST CONC
run_test() {
	local peer=$1 round=$2 t=$3 c=$4 spec proto port extra dur=$DURATION n0 n1 out
	spec=$(test_args "$t")
	read -r proto port extra <<<"$spec"
	[[ "$proto" == udp ]] && dur=$UDP_DURATION
	if ! kill -0 "$PID" 2>/dev/null; then
		emit "{\"record\":\"skip\",\"peer\":$(jstr "$peer"),\"round\":$round,\"test\":\"$t\",\"c\":$c,\"reason\":\"server not running\"}"
		log "  $t c=$c: SKIPPED, server not running"
		return 1
	fi
	n0=$(net_counters)
	# shellcheck disable=SC2086
	out=$("$LOADGEN" -addr "$HOST:$port" -proto "$proto" -c "$c" -duration "${dur}s" \
		-max-conns 1000000 -max-errors 20000 -pid "$PID" -q $extra \
		-tag "peer=$peer" -tag "round=$round" -tag "test=$t" -tag "c=$c" 2>>"$WORK/loadgen.stderr")
	n1=$(net_counters)
	if [[ -z "$out" ]]; then
		log "  $t c=$c: loadgen printed nothing"
		return 1
	fi
	emit "$out"
	emit "{\"record\":\"net\",\"peer\":$(jstr "$peer"),\"round\":$round,\"test\":\"$t\",\"c\":$c,\"loadavg1\":$(cut -d' ' -f1 /proc/loadavg),\"delta\":$(net_delta_json "$n0" "$n1")}"
	# one human line
	local cps ok err p50 p99 mx
	cps=$(grep -o '"cps":[0-9.]*' <<<"$out" | cut -d: -f2)
	ok=$(grep -o '"ok":[0-9]*' <<<"$out" | cut -d: -f2)
	err=$(grep -o '"errors_total":[0-9]*' <<<"$out" | cut -d: -f2)
	p50=$(grep -o '"p50":[0-9.]*' <<<"$out" | cut -d: -f2)
	p99=$(grep -o '"p99":[0-9.]*' <<<"$out" | cut -d: -f2)
	mx=$(grep -o '"max":[0-9.]*' <<<"$out" | head -1 | cut -d: -f2)
	log "  $(printf '%-16s c=%-3s %8.0f conn/s  ok=%-7s err=%-5s p50=%sus p99=%sus max=%sus' "$t" "$c" "${cps:-0}" "$ok" "$err" "$p50" "$p99" "$mx")"
	# a peer that died is restarted for the next test by the caller
	return 0
}

warmup() { # PORT PROTO
	"$LOADGEN" -addr "$HOST:$1" -proto "$2" -c 1 -duration 300ms -max-conns 200 -timeout 1s -q >/dev/null 2>&1 || true
}

# run_phase PEER ROUND SERVICE TESTS...   (TESTS: "name:conc")
run_phase() {
	local peer=$1 round=$2 svc=$3
	shift 3
	local d="$WORK/$peer/r$round-$svc" idle_rss idle_thr idle_vsz bl tc name c restarts=0
	start_peer "$peer" "$svc" "$d" || {
		emit "{\"record\":\"peer\",\"peer\":$(jstr "$peer"),\"round\":$round,\"service\":\"$svc\",\"start_ok\":false,\"stderr\":$(jstr "$(head -c 400 "$d/stderr.log" 2>/dev/null)")}"
		return 1
	}
	idle_rss=$(proc_field "$PID" VmRSS)
	idle_thr=$(proc_field "$PID" Threads)
	idle_vsz=$(proc_field "$PID" VmSize)
	bl=$(backlogs "$P_TCP_PORTS")
	log "  started $peer ($svc) pid $PID: idle RSS ${idle_rss} KiB, ${idle_thr} thread(s), backlog $bl"
	local p
	for p in $P_TCP_PORTS; do
		case $p in $EXEC_PORT | $CAT_PORT) warmup "$p" tcp ;; esac
	done
	for tc in "$@"; do
		name=${tc%%:*} c=${tc##*:}
		if ! kill -0 "$PID" 2>/dev/null || [[ "$(awk '{print $3}' /proc/"$PID"/stat 2>/dev/null)" == Z ]]; then
			wait "$PID" 2>/dev/null
			local st=$?
			log "  $peer died (exit status $st); restarting it for the remaining tests"
			emit "{\"record\":\"died\",\"peer\":$(jstr "$peer"),\"round\":$round,\"service\":\"$svc\",\"before_test\":\"$name\",\"c\":$c,\"exit_status\":$st,\"stderr_tail\":$(jstr "$(tail -c 300 "$d/stderr.log" 2>/dev/null)")}"
			restarts=$((restarts + 1))
			start_peer "$peer" "$svc" "$d.restart$restarts" || break
		fi
		run_test "$peer" "$round" "$name" "$c"
		sleep 0.3
	done
	local post_rss post_thr
	post_rss=$(proc_field "$PID" VmRSS)
	post_thr=$(proc_field "$PID" Threads)
	stop_peer
	emit "{\"record\":\"peer\",\"peer\":$(jstr "$peer"),\"round\":$round,\"service\":\"$svc\",\"start_ok\":true,\"pid\":$PID,\"idle_rss_kb\":${idle_rss:-0},\"idle_threads\":${idle_thr:-0},\"idle_vmsize_kb\":${idle_vsz:-0},\"post_rss_kb\":${post_rss:-0},\"post_threads\":${post_thr:-0},\"backlog\":\"$bl\",\"restarts\":$restarts,$STOPINFO,\"cmd\":$(jstr "$(cat "$d/cmdline")")}"
	log "  stopped $peer ($svc): $STOPINFO"
}

# run_peer_round1 PEER: the full suite
run_peer_full() {
	local peer=$1 c ex=() bi=() ca=()
	if has_cap exec; then for c in $CONCS; do ex+=("exec-daytime:$c"); done; fi
	if has_cap cat; then for c in $CAT_CONCS; do ca+=("exec-cat:$c"); done; fi
	if has_cap builtin; then for c in $BUILTIN_CONCS; do bi+=("builtin-daytime:$c"); done; fi
	if has_cap echo; then for c in $BUILTIN_CONCS; do bi+=("builtin-echo:$c"); done; fi
	if has_cap udp; then bi+=("udp-daytime:$KEY_CONC"); fi
	if [[ "$P_MODE" == multi ]]; then
		run_phase "$peer" 1 all "${ex[@]}" "${ca[@]}" "${bi[@]}"
	else
		((${#ex[@]})) && run_phase "$peer" 1 exec "${ex[@]}"
		((${#ca[@]})) && run_phase "$peer" 1 cat "${ca[@]}"
		((${#bi[@]})) && run_phase "$peer" 1 builtin "${bi[@]}"
	fi
}
# the repeated measures (rounds >= 2): KEY_TESTS, restricted to what the peer can do
run_peer_key() {
	local peer=$1 round=$2 svc tc name tests=() ex=() other=()
	for tc in $KEY_TESTS; do
		name=${tc%%:*}
		case "$name" in
		exec-daytime) has_cap exec && ex+=("$tc") ;;
		exec-cat) has_cap cat && other+=("cat=$tc") ;;
		builtin-daytime) has_cap builtin && other+=("builtin=$tc") ;;
		builtin-echo) has_cap echo && other+=("builtin=$tc") ;;
		udp-daytime) has_cap udp && other+=("builtin=$tc") ;;
		esac
	done
	if [[ "$P_MODE" == multi ]]; then
		for tc in "${other[@]}"; do tests+=("${tc#*=}"); done
		tests=("${ex[@]}" "${tests[@]}")
		if ((${#tests[@]})); then
			run_phase "$peer" "$round" all "${tests[@]}"
		elif has_cap builtin; then
			run_phase "$peer" "$round" all "builtin-daytime:$KEY_CONC"
		fi
	else
		((${#ex[@]})) && run_phase "$peer" "$round" exec "${ex[@]}"
		for svc in cat builtin; do
			tests=()
			for tc in "${other[@]}"; do [[ "${tc%%=*}" == "$svc" ]] && tests+=("${tc#*=}"); done
			((${#tests[@]})) && run_phase "$peer" "$round" "$svc" "${tests[@]}"
		done
	fi
	return 0
}

# -------------------------------------------------------------------- main
[[ -n "${GINETD_BIN:-}" && " $PEERS " != *" ginetd "* ]] && PEERS="ginetd $PEERS"
[[ -n "${EXTRA_PEER_NAME:-}" ]] && PEERS="$EXTRA_PEER_NAME $PEERS"
read -r -a PEER_LIST <<<"$PEERS"
ACTIVE=()
for p in "${PEER_LIST[@]}"; do
	if peer_define "$p"; then
		ACTIVE+=("$p")
		emit "{\"record\":\"peerinfo\",\"peer\":$(jstr "$p"),\"bin\":$(jstr "$P_BIN"),\"version\":$(jstr "$P_VERSION"),\"mode\":\"$P_MODE\",\"caps\":$(jstr "$P_CAPS"),\"note\":$(jstr "$P_NOTE")}"
	else
		log "skipping $p: binary not found (run bench/install-peers.sh?)"
		emit "{\"record\":\"peerinfo\",\"peer\":$(jstr "$p"),\"skipped\":\"binary not found\"}"
	fi
done

emit "{\"record\":\"meta\",\"date_utc\":\"$STAMP\",\"nproc\":$(nproc),\"kernel\":$(jstr "$(uname -r)"),\"cpu\":$(jstr "$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"),\"mem_kb\":$(awk '/MemTotal/{print $2}' /proc/meminfo),\"os\":$(jstr "$(. /etc/os-release && echo "$PRETTY_NAME")"),\"go\":$(jstr "$(go version 2>/dev/null || /usr/local/go/bin/go version 2>/dev/null)"),\"duration_s\":$DURATION,\"udp_duration_s\":$UDP_DURATION,\"rounds\":$ROUNDS,\"key_conc\":$KEY_CONC,\"key_tests\":$(jstr "$KEY_TESTS"),\"ginetd_cmd\":$(jstr "$GINETD_CMD"),\"netns\":$([[ -n "${BENCH_IN_NS:-}" ]] && echo true || echo false),\"loadavg_start\":$(jstr "$(cut -d' ' -f1-3 /proc/loadavg)"),\"peers\":$(jstr "${ACTIVE[*]}")}"

log "run $STAMP: peers: ${ACTIVE[*]}"
log "duration ${DURATION}s per test, $ROUNDS round(s); results: $RAW"
T0=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
	# rotate the order every round, so no peer always runs first/last
	order=()
	n=${#ACTIVE[@]}
	for ((i = 0; i < n; i++)); do order+=("${ACTIVE[$(((i + r - 1) % n))]}"); done
	for p in "${order[@]}"; do
		peer_define "$p" || continue
		log "round $r: $p  (load avg $(cut -d' ' -f1 /proc/loadavg))"
		if ((r == 1)); then run_peer_full "$p"; else run_peer_key "$p" "$r"; fi
	done
done
emit "{\"record\":\"end\",\"elapsed_s\":$((SECONDS - T0)),\"loadavg_end\":$(jstr "$(cut -d' ' -f1-3 /proc/loadavg)")}"
log "done in $((SECONDS - T0)) s"
# keep the scratch small: peers in debug mode can log megabytes; keep the last 64 KiB
find "$WORK" -name '*.log' -size +1M -print0 2>/dev/null | while IFS= read -r -d '' f; do
	tail -c 65536 "$f" >"$f.tail" && mv "$f.tail" "$f"
done

"$BUILD_DIR/report" "$RAW" >"$RUN_DIR/summary.md" && cat "$RUN_DIR/summary.md"
log "raw: $RAW"
log "summary: $RUN_DIR/summary.md"
