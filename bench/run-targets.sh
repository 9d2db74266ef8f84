#!/usr/bin/env bash
# run-targets.sh - everything docs/benchmarks.md reports, in one go (~25 min):
#   1. run-peers.sh with the target measures repeated in every round
#      (exec daytime c=1/8/64, builtin daytime c=8, echo c=8, UDP daytime)
#   2. reload-under-load.sh (ginetd, xinetd, openbsd-inetd)
#   3. ginetd-resources.sh (idle RSS, threads with 1,000 children, hygiene
#      after 100,000 connections)
#   4. ginetd-scale.sh (1,000 services: start-up, idle RSS, reload time)
#   5. targets.py over the four raw files -> results/targets-<stamp>.md
#
#   bench/install-peers.sh && bench/run-targets.sh     # as root
#
# ginetd is built once from this checkout into BUILD_DIR and the same binary
# is used by every step (GINETD_BIN=path to measure another one). Knobs of
# the steps pass through (DURATION, ROUNDS, PEERS, ... for run-peers.sh;
# RELOAD_DURATION/RELOAD_ROUNDS for reload-under-load.sh; CHILDREN,
# HYGIENE_CONNS for ginetd-resources.sh; N, RELOADS, SCALE_ROUNDS for
# ginetd-scale.sh). STEPS="peers reload resources scale" selects steps.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export PEERS_DIR="${PEERS_DIR:-$HERE/.peers}" BUILD_DIR="${BUILD_DIR:-$HERE/.build}" OUT_DIR="${OUT_DIR:-$HERE/results}"
STEPS="${STEPS:-peers reload resources scale}"
mkdir -p "$BUILD_DIR" "$OUT_DIR"
if [[ -z "${GINETD_BIN:-}" ]]; then
	BUILD_DIR="$BUILD_DIR" BUILD_GINETD=1 "$HERE/build.sh" || exit 1
	cp "$BUILD_DIR/ginetd" "$BUILD_DIR/ginetd-targets"
	export GINETD_BIN="$BUILD_DIR/ginetd-targets"
	export GINETD_VERSION="${GINETD_VERSION:-$(cat "$BUILD_DIR/ginetd.version")}"
fi
export GINETD_BIN
: "${DURATION:=4}" "${ROUNDS:=3}"
export DURATION ROUNDS
export KEY_TESTS="${KEY_TESTS:-exec-daytime:1 exec-daytime:8 exec-daytime:64 builtin-daytime:8 builtin-echo:8 udp-daytime:8}"
newest() { ls -1dt "$OUT_DIR"/$1 2>/dev/null | head -1; }
args=()
for s in $STEPS; do
	case $s in
	peers)
		"$HERE/run-peers.sh" >/dev/null
		args+=(--peers "$(newest '2*')/raw.jsonl") ;;
	reload)
		DURATION="${RELOAD_DURATION:-10}" ROUNDS="${RELOAD_ROUNDS:-2}" "$HERE/reload-under-load.sh" >/dev/null
		args+=(--reload "$(newest 'reload-*')/raw.jsonl") ;;
	resources)
		"$HERE/ginetd-resources.sh" >/dev/null
		args+=(--resources "$(newest 'resources-*')/raw.jsonl") ;;
	scale)
		ROUNDS="${SCALE_ROUNDS:-3}" "$HERE/ginetd-scale.sh" >/dev/null
		args+=(--scale "$(newest 'scale-*')/raw.jsonl") ;;
	esac
done
out="$OUT_DIR/targets-$(date -u +%Y%m%dT%H%M%SZ).md"
python3 "$HERE/targets.py" "${args[@]}" | tee "$out"
echo "run-targets: $out (inputs: ${args[*]})" >&2
