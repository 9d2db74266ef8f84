#!/usr/bin/env bash
# tls-vs-stunnel.sh — TLS termination in front of a /bin/cat child, per
# connection: ginetd (tls_cert/tls_key on an xinetd-syntax service) vs
# stunnel4 in front of openbsd-inetd (nowait /bin/cat). Same certificate
# (ECDSA P-256, self-signed, made here with openssl), same run, same
# client (bench/tlsload, Go crypto/tls, TLS 1.3, no session resumption),
# loopback only inside a private network namespace.
#
#   bench/tls-vs-stunnel.sh                       # ~3 min
#   ROUNDS=5 bench/tls-vs-stunnel.sh
#   GINETD_BIN=/var/tmp/ginetd NETNS=0 bench/tls-vs-stunnel.sh
#
# Measures, ROUNDS times with the order of the two servers alternating:
#   hs    tlsload -mode hs   -c $HS_C  -duration $DURATION  (full TLS 1.3
#         handshake + a $MSG-byte echo + close, closed loop) -> handshakes/s
#   bulk  tlsload -mode bulk -c $BULK_C -bytes $BULK_BYTES   (each connection
#         streams the bytes through the echo and reads them back while
#         writing) -> MB/s (10^6 B/s of payload echoed back)
# and prints the tables and the ratios ginetd/stunnel (targets, issue 6:
# >= 1.0x handshakes/s, >= 0.8x bulk MB/s).
#
# Knobs: DURATION (10), ROUNDS (3), HS_C (8), BULK_C (4), BULK_BYTES
# (67108864), MSG (16), CURVES (x25519 | p256 | default), VERIFY (1: the
# client verifies the certificate chain), MAX_RUNTIME (900 s), NETNS (1),
# OUT_DIR (/var/tmp/tls-vs-stunnel), SCRATCH (/var/tmp/tls-vs-stunnel-scratch:
# binaries, unpacked openbsd-inetd), GINETD_BIN (default: built from this
# checkout), OPENBSD_INETD_BIN (default: apt-get download + dpkg-deb -x into
# SCRATCH — never installed: it conflicts with other inetds and would start a
# system service), STUNNEL_BIN (stunnel4; `apt-get install stunnel4` if missing).
# Needs root for the namespace (NETNS=0 runs on the host's 127.0.0.1).
set -euo pipefail

SELF="$(readlink -f "$0")"
HERE="$(dirname "$SELF")"
REPO="$(dirname "$HERE")"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
HS_C="${HS_C:-8}"
BULK_C="${BULK_C:-4}"
BULK_BYTES="${BULK_BYTES:-67108864}"
MSG="${MSG:-16}"
CURVES="${CURVES:-x25519}"
VERIFY="${VERIFY:-1}"
MAX_RUNTIME="${MAX_RUNTIME:-900}"
NETNS="${NETNS:-1}"
OUT_DIR="${OUT_DIR:-/var/tmp/tls-vs-stunnel}"
SCRATCH="${SCRATCH:-/var/tmp/tls-vs-stunnel-scratch}"
STUNNEL_BIN="${STUNNEL_BIN:-$(command -v stunnel4 || true)}"

G_PORT=17201 # ginetd: TLS -> /bin/cat
S_PORT=17202 # stunnel: TLS -> 127.0.0.1:17203
I_PORT=17203 # openbsd-inetd: nowait /bin/cat

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ------------------------------------------------------------------- build
# (before entering the namespace, which has no network for apt or go)
if [[ -z "${TLSB_IN_NS:-}${TLSB_TIMED:-}" ]]; then
	mkdir -p "$SCRATCH"
	( cd "$REPO" && go build -o "$SCRATCH/tlsload" ./bench/tlsload )
	if [[ -z "${GINETD_BIN:-}" ]]; then
		( cd "$REPO" && go build -o "$SCRATCH/ginetd" ./cmd/ginetd )
		GINETD_BIN="$SCRATCH/ginetd"
	fi
	if [[ -z "$STUNNEL_BIN" ]]; then
		log "stunnel4 missing: apt-get install stunnel4"
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y stunnel4 >/dev/null
		STUNNEL_BIN=$(command -v stunnel4)
	fi
	if [[ -z "${OPENBSD_INETD_BIN:-}" ]]; then
		OPENBSD_INETD_BIN="$SCRATCH/openbsd-inetd/usr/sbin/inetd"
		if [[ ! -x "$OPENBSD_INETD_BIN" ]]; then
			mkdir -p "$SCRATCH/debs"
			( cd "$SCRATCH/debs" && compgen -G 'openbsd-inetd_*.deb' >/dev/null || timeout 120 apt-get download openbsd-inetd )
			dpkg-deb -x "$(ls "$SCRATCH"/debs/openbsd-inetd_*.deb | head -1)" "$SCRATCH/openbsd-inetd"
		fi
	fi
	export GINETD_BIN STUNNEL_BIN OPENBSD_INETD_BIN
fi

# ------------------------------------------- enter a private netns, cap time
if [[ "$NETNS" == 1 && -z "${TLSB_IN_NS:-}" ]]; then
	if unshare --net --mount true 2>/dev/null; then
		exec timeout -k 10 "$MAX_RUNTIME" unshare --net --mount --propagation private -- \
			env TLSB_IN_NS=1 bash "$SELF" "$@"
	fi
	echo "tls-vs-stunnel: cannot unshare (not root?); NETNS=0 runs on the host's 127.0.0.1" >&2
	exit 1
fi
if [[ -n "${TLSB_IN_NS:-}" ]]; then
	ip link set lo up
	# openbsd-inetd writes /run/inetd.pid: keep it out of the host's /run.
	mount -t tmpfs -o size=16m,mode=755 tlsb-run /run || log "warning: /run not private"
elif [[ -z "${TLSB_TIMED:-}" ]]; then
	exec timeout -k 10 "$MAX_RUNTIME" env TLSB_TIMED=1 bash "$SELF" "$@"
fi

INETD_VERSION=$(ls "$SCRATCH"/debs/openbsd-inetd_*.deb 2>/dev/null | head -1 | sed 's/.*openbsd-inetd_\(.*\)_[a-z0-9]*\.deb/\1/')
[[ -z "$INETD_VERSION" ]] && INETD_VERSION=$(dpkg-query -W -f='${Version}' openbsd-inetd 2>/dev/null || echo "?")
STUNNEL_VERSION=$("$STUNNEL_BIN" -version 2>&1 | grep -m1 '^stunnel' || true)
OPENSSL_LINE=$("$STUNNEL_BIN" -version 2>&1 | grep -m1 'Running  with\|Compiled with' || true)
GO_VERSION=$(go version)
GINETD_VERSION=$("$GINETD_BIN" version 2>/dev/null | head -1 || true)
GIT_REV=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo "?")

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN="$OUT_DIR/$STAMP"
W="$RUN/work"
RAW="$RUN/raw.jsonl"
mkdir -p "$W"

# ------------------------------------------------------ certificate + configs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 30 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
chmod 600 "$W/key.pem"

cat >"$W/ginetd.conf" <<EOF
service tlsecho
{
	type        = UNLISTED
	socket_type = stream
	protocol    = tcp
	bind        = 127.0.0.1
	port        = $G_PORT
	wait        = no
	user        = root
	server      = /bin/cat
	instances   = UNLIMITED
	per_source  = UNLIMITED
	tls_cert    = $W/cert.pem
	tls_key     = $W/key.pem
}
EOF
G_CMD=("$GINETD_BIN" -f -R 0 -hosts-allow none -control none -log "$W/ginetd.log" "$W/ginetd.conf")

printf '127.0.0.1:%s\tstream\ttcp\tnowait.1000000\troot\t/bin/cat\tcat\n' "$I_PORT" >"$W/inetd.conf"
I_CMD=("$OPENBSD_INETD_BIN" -i -q 1024 -R 1000000 "$W/inetd.conf")

# stunnel: defaults except foreground, a log file, no pid file, and no
# syslog. Its default log level, notice, writes a few lines per connection
# (as ginetd logs every accept and exit) to the file. `syslog = no` matters:
# with its default (syslog too, LOG_CONS) and no syslog daemon listening on
# /dev/log, glibc writes every message to /dev/console, here a serial UART,
# which made stunnel ~2x slower (perf: uart_write under n_tty_write).
cat >"$W/stunnel.conf" <<EOF
foreground = yes
syslog = no
pid =
output = $W/stunnel.log
[tlsecho]
accept  = 127.0.0.1:$S_PORT
connect = 127.0.0.1:$I_PORT
cert    = $W/cert.pem
key     = $W/key.pem
EOF
S_CMD=("$STUNNEL_BIN" "$W/stunnel.conf")

# ------------------------------------------------------------ processes
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
cleanup() {
	local p sid kids
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in "${PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		# anything left in the session each server led (cat children)
		kids=$(ps -o pid= -s "$p" 2>/dev/null || true)
		for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
	done
}
trap cleanup EXIT

start ginetd $G_PORT "${G_CMD[@]}"; G_PID=$LAST_PID
start inetd $I_PORT "${I_CMD[@]}"; I_PID=$LAST_PID
start stunnel $S_PORT "${S_CMD[@]}"; S_PID=$LAST_PID
log "ginetd pid $G_PID; stunnel pid $S_PID -> openbsd-inetd pid $I_PID"

LOAD=("$SCRATCH/tlsload" -q -curves "$CURVES")
[[ "$VERIFY" == 1 ]] && LOAD+=(-ca "$W/cert.pem" -servername localhost)

port_of() { [[ $1 == ginetd ]] && echo $G_PORT || echo $S_PORT; }
pids_of() { [[ $1 == ginetd ]] && echo "$G_PID" || echo "$S_PID,$I_PID"; }

# warm-up: both paths work, page cache and the cert are hot
for s in ginetd stunnel; do
	"${LOAD[@]}" -addr "127.0.0.1:$(port_of $s)" -mode hs -c 2 -duration 1s >/dev/null ||
		{ log "warm-up against $s failed"; exit 1; }
done

cat >"$RUN/meta.json" <<EOF
{"date":"$(date -u +%FT%TZ)","nproc":$(nproc),"kernel":"$(uname -r)","cpu":"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')","go":"$GO_VERSION","ginetd":"$GINETD_BIN $GINETD_VERSION (git $GIT_REV)","stunnel":"$STUNNEL_VERSION; $OPENSSL_LINE","openbsd_inetd":"$INETD_VERSION","curves":"$CURVES","verify":$VERIFY,"duration_s":$DURATION,"rounds":$ROUNDS,"hs_c":$HS_C,"bulk_c":$BULK_C,"bulk_bytes":$BULK_BYTES,"msg":$MSG,"netns":$NETNS}
EOF

for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then order="ginetd stunnel"; else order="stunnel ginetd"; fi
	for s in $order; do
		log "round $r hs $s"
		"${LOAD[@]}" -addr "127.0.0.1:$(port_of $s)" -mode hs -c "$HS_C" -duration "${DURATION}s" \
			-msg "$MSG" -pids "$(pids_of $s)" -tag server=$s -tag round=$r -tag test=hs >>"$RAW" || log "  (no success)"
		tail -1 "$RAW" | jq -c '{hs_per_s, errors, cipher, curve, server_cpu_us_per_op, host_cpu_busy_pct}' >&2
		sleep 1
	done
	for s in $order; do
		log "round $r bulk $s"
		"${LOAD[@]}" -addr "127.0.0.1:$(port_of $s)" -mode bulk -c "$BULK_C" -bytes "$BULK_BYTES" \
			-pids "$(pids_of $s)" -tag server=$s -tag round=$r -tag test=bulk >>"$RAW" || log "  (no success)"
		tail -1 "$RAW" | jq -c '{mb_per_s, errors, cipher, server_cpu_us_per_op, host_cpu_busy_pct}' >&2
		sleep 1
	done
done

# ------------------------------------------------------------------ report
python3 - "$RUN" <<'PY' | tee "$RUN/summary.md"
import json, sys, statistics as st
run = sys.argv[1]
meta = json.load(open(run + "/meta.json"))
rows = [json.loads(l) for l in open(run + "/raw.jsonl") if l.strip()]
def sel(test, srv): return [r for r in rows if r["tags"]["test"] == test and r["tags"]["server"] == srv]
def med(xs): return st.median(xs) if xs else float("nan")
def fmt(xs, f="{:.0f}"): return f"{f.format(med(xs))} [{f.format(min(xs))}–{f.format(max(xs))}] ({len(xs)})" if xs else "–"
def errs(rs): return sum(sum(r["errors"].values()) for r in rs)
print(f"run {run}: {meta['date']}, {meta['nproc']} CPUs ({meta['cpu']}), kernel {meta['kernel']}")
print(f"client: tlsload, TLS 1.3, curves={meta['curves']}, verify={meta['verify']}, no resumption\n")
print(f"### Handshakes/s (c={meta['hs_c']}, {meta['duration_s']} s, handshake + {meta['msg']} B echo + close)\n")
print("| server | hs/s median [min–max] (n) | p50 / p99 µs | errors | server CPU µs/hs | host busy % | cipher / group |")
print("|---|---|---|---|---|---|---|")
res = {}
for s in ("ginetd", "stunnel"):
    rs = sel("hs", s)
    res[("hs", s)] = med([r["hs_per_s"] for r in rs])
    lat = f"{med([r['lat_us']['p50'] for r in rs]):.0f} / {med([r['lat_us']['p99'] for r in rs]):.0f}" if rs else "–"
    print(f"| {s} | {fmt([r['hs_per_s'] for r in rs])} | {lat} | {errs(rs)} | {fmt([r.get('server_cpu_us_per_op',0) for r in rs])} | {med([r['host_cpu_busy_pct'] for r in rs]):.0f} | {rs[0]['cipher']} / {rs[0]['curve']} |")
print(f"\n### Bulk echo (c={meta['bulk_c']}, {meta['bulk_bytes']>>20} MiB per connection, sent and read back concurrently)\n")
print("| server | MB/s median [min–max] (n) | errors | server CPU µs/MiB | host busy % | cipher |")
print("|---|---|---|---|---|---|")
for s in ("ginetd", "stunnel"):
    rs = sel("bulk", s)
    res[("bulk", s)] = med([r["mb_per_s"] for r in rs])
    print(f"| {s} | {fmt([r['mb_per_s'] for r in rs], '{:.1f}')} | {errs(rs)} | {fmt([r.get('server_cpu_us_per_op',0) for r in rs])} | {med([r['host_cpu_busy_pct'] for r in rs]):.0f} | {rs[0]['cipher']} |")
print("\n### Ratios ginetd / stunnel (medians)\n")
print("| measure | ratio | target | verdict |")
print("|---|---|---|---|")
for t, target in (("hs", 1.0), ("bulk", 0.8)):
    ratio = res[(t, "ginetd")] / res[(t, "stunnel")]
    print(f"| {'handshakes/s' if t == 'hs' else 'bulk MB/s'} | {ratio:.2f}× | ≥ {target:.1f}× | {'PASS' if ratio >= target else 'FAIL'} |")
print("\nstunnel's CPU column is stunnel + openbsd-inetd (the cat children are not counted on either side).")
print("\n### Every run, in order (CPU-seconds during the run; other = host busy − client − server: cat children, kernel threads, other jobs on the machine)\n")
print("| round | test | server | rate | server CPU s | client CPU s | other CPU s | host busy % |")
print("|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: r["start_unix"]):
    rate = f"{r['hs_per_s']:.0f} hs/s" if r["mode"] == "hs" else f"{r['mb_per_s']:.1f} MB/s"
    scpu = sum(p["cpu_s"] for p in r.get("server", []))
    print(f"| {r['tags']['round']} | {r['tags']['test']} | {r['tags']['server']} | {rate} | {scpu:.2f} | {r.get('client_cpu_s', 0):.2f} | {r.get('other_cpu_s', 0):.2f} | {r['host_cpu_busy_pct']:.0f} |")
for t, key in (("hs", "hs_per_s"), ("bulk", "mb_per_s")):
    pr = []
    for rd in sorted({r["tags"]["round"] for r in rows}, key=int):
        g = [r[key] for r in rows if r["tags"]["round"] == rd and r["tags"]["test"] == t and r["tags"]["server"] == "ginetd"]
        s_ = [r[key] for r in rows if r["tags"]["round"] == rd and r["tags"]["test"] == t and r["tags"]["server"] == "stunnel"]
        if g and s_: pr.append(g[0] / s_[0])
    if pr: print(f"\nper-round ratio ginetd/stunnel, {t}: {', '.join(f'{x:.2f}' for x in pr)} (min {min(pr):.2f})")
PY
log "raw: $RAW"
