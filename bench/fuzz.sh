#!/bin/sh
# fuzz.sh [DURATION] [PATTERN]: run every native Go fuzz target of the
# module (or those whose package/name match the regexp PATTERN) for
# DURATION each (go test -fuzztime syntax: 10m, 30s, 100000x; default 10m),
# one after the other (FUZZFLAGS adds go test flags, e.g. -parallel=1),
# and print a table: package, target, result, execs, corpus entries
# ("ok-eot": a bare "context deadline exceeded" at the end of the run with
# no input written, a race in Go's fuzz coordinator before Go 1.27,
# go.dev/issue/75804; not a finding). A finding is written by go test
# under the package's testdata/fuzz/TARGET/ (commit it: it becomes a
# regression case that plain `go test` runs) and makes the script exit 1
# after all targets ran.
#
# CI runs `bench/fuzz.sh 2s` as a smoke test; the bar for a release is
# `bench/fuzz.sh 10m` without a finding (docs/reliability.md).
set -u
cd "$(dirname "$0")/.."
dur=${1:-10m}
pat=${2:-.}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

targets=$(go test -list '^Fuzz' ./... 2>/dev/null | awk '
	/^Fuzz/ { names = names " " $1; next }
	/^ok / && names != "" { n = split(names, a, " "); for (i = 1; i <= n; i++) print $2, a[i]; names = "" }
	/^ok / { names = "" }' | grep -E -- "$pat")
if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz target matches $pat" >&2
	exit 2
fi

fail=0
printf '%-44s %-24s %-8s %12s %8s\n' package target result execs corpus
echo "$targets" | while read -r pkg name; do
	out="$log/$(echo "$pkg.$name" | tr / _)"
	dir="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$name"
	before=$(ls "$dir" 2>/dev/null | wc -l)
	# shellcheck disable=SC2086 # FUZZFLAGS is a list of flags
	if go test -run '^$' ${FUZZFLAGS:-} -fuzz "^$name\$" -fuzztime "$dur" "$pkg" >"$out" 2>&1; then
		res=ok
	elif [ "$(ls "$dir" 2>/dev/null | wc -l)" = "$before" ] &&
		grep -q '^    context deadline exceeded$' "$out" &&
		! grep -q -e '^panic' -e 'Failing input written' -e '_test.go:[0-9]*:' "$out"; then
		# Go's fuzz coordinator can report the end of -fuzztime as
		# this failure, with no input written (go.dev/issue/75804,
		# fixed in Go 1.27): not a finding.
		res=ok-eot
	else
		res=FOUND
	fi
	# The last progress line: "fuzz: elapsed: 3s, execs: 1234 (411/sec), new interesting: 5 (total: 40)"
	execs=$(grep -o 'execs: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
	corpus=$(grep -o 'total: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
	printf '%-44s %-24s %-8s %12s %8s\n' "${pkg#github.com/ginetd/ginetd/}" "$name" "$res" "${execs:--}" "${corpus:--}"
	if [ "$res" = FOUND ]; then
		sed 's/^/    /' "$out" | grep -v '^    fuzz: elapsed' | head -40
		echo x >>"$log/failed"
	fi
done
[ -e "$log/failed" ] && exit 1
exit 0
