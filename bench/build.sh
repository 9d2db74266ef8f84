#!/usr/bin/env bash
# build.sh - build the harness's own binaries into bench/.build (or $BUILD_DIR):
#   loadgen, report            (Go, stdlib only)
#   daytime                    (gcc -O2 -static; the exec'd per-connection server)
#   floor-forkexec             (C accept+fork/posix_spawn loop)
#   floor-goforkexec           (Go accept + syscall.ForkExec loop)
#   floor-gobuiltin            (Go in-process daytime/echo)
#   ginetd                     (this checkout's ./cmd/ginetd; only with BUILD_GINETD=1,
#                               which run-peers.sh and the ginetd-*.sh scripts set)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD_DIR="${BUILD_DIR:-$HERE/.build}"
mkdir -p "$BUILD_DIR"
export PATH="$PATH:/usr/local/go/bin"
CC="${CC:-gcc}"
$CC -O2 -static -Wall -Wextra -o "$BUILD_DIR/daytime" "$HERE/daytime.c"
$CC -O2 -Wall -Wextra -o "$BUILD_DIR/floor-forkexec" "$HERE/floor/forkexec.c"
(cd "$HERE/loadgen" && go build -trimpath -o "$BUILD_DIR/loadgen" .)
(cd "$HERE/report" && go build -trimpath -o "$BUILD_DIR/report" .)
(cd "$HERE/floor" && go build -trimpath -o "$BUILD_DIR/floor-goforkexec" ./goforkexec &&
	go build -trimpath -o "$BUILD_DIR/floor-gobuiltin" ./gobuiltin)
if [[ "${BUILD_GINETD:-0}" == 1 ]]; then
	# the checkout this bench/ belongs to; built as a user would (pure Go, static)
	# (GINETD_SRC: another checkout, e.g. a `git worktree` of a fixed commit)
	src="${GINETD_SRC:-$HERE/..}"
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$BUILD_DIR/ginetd" ./cmd/ginetd) ||
		{ echo "build.sh: ginetd does not build in $src (set GINETD_BIN or GINETD_SRC)" >&2; exit 1; }
	git -C "$src" describe --always --dirty 2>/dev/null >"$BUILD_DIR/ginetd.version" || echo "?" >"$BUILD_DIR/ginetd.version"
fi
echo "build.sh: binaries in $BUILD_DIR" >&2
