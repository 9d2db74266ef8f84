#!/bin/sh
# contrib/deb/build.sh: build ginetd's release files from this checkout.
#
#   contrib/deb/build.sh [OUTDIR]          (default OUTDIR: dist/)
#
# For each architecture (ARCHES, default "amd64 arm64"), OUTDIR gets
#   ginetd-VERSION-linux-ARCH, gsyslogd-VERSION-linux-ARCH
#       static binaries: CGO_ENABLED=0, -trimpath, -buildvcs=false,
#       -ldflags "-s -w -X main.version=VERSION"
#   ginetd_VERSION-REVISION_ARCH.deb
#       the Debian package, built by nfpm (contrib/deb/nfpm.yaml) with the
#       version pinned in contrib/deb/go.mod ("go tool nfpm")
# and SHA256SUMS (sha256sum -c) and BUILDINFO (commit, Go version,
# SOURCE_DATE_EPOCH). The same commit built with the same Go gives the
# same bytes: file times are SOURCE_DATE_EPOCH (the commit's time unless
# set), gzip runs with -n, nothing depends on the build directory.
#
# VERSION comes from git: "X.Y.Z" on a tag vX.Y.Z; "X.Y.Z+gitDATE.HASH"
# after one; "0.0~gitDATE.HASH" with no tag (DATE is the commit time,
# YYYYMMDD.HHMMSS UTC, so versions sort in commit order); "+dirty" when
# tracked files have uncommitted changes. "ginetd version" prints it.
# Environment: VERSION, DEB_REVISION (default 1), ARCHES, DEB_MAINTAINER,
# SOURCE_DATE_EPOCH override the defaults.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

ARCHES=${ARCHES:-amd64 arm64}
DEB_REVISION=${DEB_REVISION:-1}
DEB_MAINTAINER=${DEB_MAINTAINER:-ginetd maintainers <ginetd@example.org>}

git_version() {
	date=$(TZ=UTC git -C "$top" log -1 --date=format-local:%Y%m%d.%H%M%S --format=%cd)
	hash=$(git -C "$top" rev-parse --short=12 HEAD)
	if tag=$(git -C "$top" describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
		v=${tag#v}
	elif tag=$(git -C "$top" describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
		v=${tag#v}+git$date.$hash
	else
		v=0.0~git$date.$hash
	fi
	if ! git -C "$top" diff --quiet HEAD -- 2>/dev/null; then
		v=$v+dirty
	fi
	echo "$v"
}

VERSION=${VERSION:-$(git_version)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct)}
export SOURCE_DATE_EPOCH TZ=UTC LC_ALL=C
commit=$(git -C "$top" rev-parse HEAD)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Files shared by every architecture.
common=$work/common
mkdir -p "$common/scripts"
for f in ginetd.8 ginetd.conf.5 gsyslogd.8; do
	gzip -9n <"$top/docs/$f" >"$common/$f.gz"
done
gzip -9n <"$here/README.md" >"$common/README.Debian.gz"
cp "$here/inetd.conf" "$here/inetd.init" "$here/copyright" "$common/"
cp "$here/lintian-overrides" "$common/lintian-overrides"
cp "$here/scripts/preinst" "$here/scripts/postinst" "$here/scripts/prerm" "$here/scripts/postrm" "$common/scripts/"
chmod 0755 "$common/scripts/"* "$common/inetd.init"

# The systemd units are contrib/'s, with the packaged paths. ginetd.service
# reads /etc/xinetd.conf too when it exists, as /etc/init.d/inetd does.
unit() { # unit SRC DST: contrib/'s unit with the packaged header and paths
	{
		echo "# $(basename "$2"): installed by the ginetd package (see"
		echo "# /usr/share/doc/ginetd/README.Debian.gz). Change it with"
		echo "# \"systemctl edit $(basename "$2")\", not here."
		echo
		sed -e '1,/^$/d' -e 's#/usr/local/sbin/#/usr/sbin/#g' "$1"
	} >"$2"
}
unit "$top/contrib/ginetd.service" "$common/ginetd.service.in"
exec_line='ExecStart=/bin/sh -c '\''c=; for f in /etc/inetd.conf /etc/xinetd.conf; do [ ! -e $$f ] || c="$$c $$f"; done; exec /usr/sbin/ginetd -f $$OPTIONS $$c'\'''
awk -v exec_line="$exec_line" '
	/^Documentation=/ { print; print "ConditionPathExists=|/etc/inetd.conf"; print "ConditionPathExists=|/etc/xinetd.conf"; n++; next }
	/^ExecStart=\/usr\/sbin\/ginetd -f$/ { print "EnvironmentFile=-/etc/default/ginetd"; print exec_line; n++; next }
	{ print }
	END { if (n != 2) { print "build.sh: contrib/ginetd.service changed: update the packaged unit" > "/dev/stderr"; exit 1 } }
' "$common/ginetd.service.in" >"$common/ginetd.service"
rm "$common/ginetd.service.in"
unit "$top/contrib/gsyslogd.service" "$common/gsyslogd.service"
if grep -q /usr/local "$common/ginetd.service" "$common/gsyslogd.service"; then
	echo "build.sh: a packaged unit still names /usr/local" >&2
	exit 1
fi

# changelog.Debian: this build; changelog: the project's history.
{
	echo "ginetd ($VERSION-$DEB_REVISION) unstable; urgency=medium"
	echo
	echo "  * Built from commit $commit."
	echo "  * Packaged with nfpm from contrib/deb (see README.Debian)."
	echo
	echo " -- $DEB_MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$common/changelog.Debian.gz"
git -C "$top" log --no-merges --date=short --format='%ad %h %s' -n 1000 HEAD | gzip -9n >"$common/changelog.gz"

# nfpm, at the version contrib/deb/go.mod pins (a module of its own, so
# that ginetd's go.mod does not carry nfpm's dependencies)
go -C "$here" build -o "$work/nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm

for arch in $ARCHES; do
	stage=$work/$arch
	cp -a "$common" "$stage"
	for cmd in ginetd gsyslogd; do
		(cd "$top" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
			-ldflags "-s -w -X main.version=$VERSION" -o "$stage/$cmd" "./cmd/$cmd")
		# every Go module linked in has a paragraph in the copyright file
		for m in $(go version -m "$stage/$cmd" | awk '$1 == "dep" { print $2 }'); do
			grep -q "^Files: .*$m/\*\|^ $m/\*" "$here/copyright" || {
				echo "build.sh: $cmd links $m, which contrib/deb/copyright does not name" >&2
				exit 1
			}
		done
		cp "$stage/$cmd" "$out/$cmd-$VERSION-linux-$arch"
	done
	deb=$out/ginetd_${VERSION}-${DEB_REVISION}_$arch.deb
	(cd "$stage" && DEB_ARCH=$arch DEB_VERSION=$VERSION DEB_REVISION=$DEB_REVISION \
		DEB_MAINTAINER=$DEB_MAINTAINER \
		"$work/nfpm" package --config "$here/nfpm.yaml" --packager deb --target "$deb" >/dev/null)
done

(cd "$out" && for f in ginetd-"$VERSION"-linux-* gsyslogd-"$VERSION"-linux-* ginetd_"$VERSION"-"$DEB_REVISION"_*.deb; do
	[ -e "$f" ] && sha256sum "$f"
done) >"$out/SHA256SUMS"
{
	echo "version: $VERSION-$DEB_REVISION"
	echo "commit: $commit"
	echo "go: $(go version)"
	echo "SOURCE_DATE_EPOCH: $SOURCE_DATE_EPOCH"
	echo "arches: $ARCHES"
} >"$out/BUILDINFO"
echo "$out"
