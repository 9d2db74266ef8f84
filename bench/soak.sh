#!/usr/bin/env bash
# soak.sh - one ginetd serving every kind of service at once, under load
# from well-behaved and misbehaving clients, reloaded and upgraded while it
# serves; prints its figures over time and checks the targets of
# docs/reliability.md. Exits non-zero when a target fails.
#
#   bench/soak.sh -short                 # CI: ~60 s (+ build and drain)
#   bench/soak.sh -duration 20m          # a time-limited run
#   bench/soak.sh                        # full: 1,000,000 connections, 1,000
#                                        # reloads, 10 upgrades
# Any other flag goes to the soak program (bench/soak, `-h` lists them).
#
# As root: the run happens in a private network namespace (unshare -n)
# where only lo exists, so every connection stays on 127.0.0.0/8.
# ginetd is built from this checkout (GINETD_BIN=path measures another
# binary). Knobs: BUILD_DIR (bench/.build), SOAK_DIR (scratch, default a
# new directory under $TMPDIR, removed after a passing run).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SELF="$HERE/$(basename "$0")"

if [[ -z "${SOAK_IN_NS:-}" ]]; then
	if [[ "$(id -u)" != 0 ]]; then
		echo "soak.sh: needs root (a private network namespace)" >&2
		exit 1
	fi
	BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
	mkdir -p "$BUILD_DIR"
	if [[ -z "${GINETD_BIN:-}" ]]; then
		(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$BUILD_DIR/ginetd" ./cmd/ginetd)
		GINETD_BIN="$BUILD_DIR/ginetd"
	fi
	(cd "$HERE/soak" && CGO_ENABLED=0 go build -trimpath -o "$BUILD_DIR/soak" .)
	commit="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	if [[ -n "$(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
		commit="$commit+dirty"
	fi
	exec unshare -n -- env SOAK_IN_NS=1 SOAK_COMMIT="$commit" GINETD_BIN="$GINETD_BIN" \
		BUILD_DIR="$BUILD_DIR" bash "$SELF" "$@"
fi

ip link set lo up 2>/dev/null || {
	echo "soak.sh: cannot bring lo up (is iproute2 installed?)" >&2
	exit 1
}
dir="${SOAK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ginetd-soak.XXXXXX")}"
mkdir -p "$dir" && chmod 755 "$dir"
status=0
"$BUILD_DIR/soak" -ginetd "$GINETD_BIN" -dir "$dir" "$@" || status=$?
if [[ $status == 0 && -z "${SOAK_DIR:-}" ]]; then
	rm -rf "$dir"
else
	echo "soak.sh: scratch directory (configs, ginetd.log) kept: $dir" >&2
fi
exit $status
